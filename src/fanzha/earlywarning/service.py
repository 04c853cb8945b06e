"""Victim warnings after they are issued: delivery and the user's choice, reported by the platform, and counts.

Warnings are issued on the decision path (:mod:`fanzha.earlywarning.runtime`) and stored by the
decision journal. Here the platform confirms that a warning was shown and what the user chose
(continued, cancelled, or cancelled and reported); each report is a state change, audited. Both are
idempotent: the same report again changes nothing; a different choice after one was recorded is a
conflict.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from fanzha.audit import service as audit
from fanzha.earlywarning.models import VictimWarning
from fanzha.earlywarning.repository import WarningRepository
from fanzha.earlywarning.schemas import TypologyStats, UserChoice, WarningState, WarningStats
from fanzha.kit.clock import ensure_utc, utcnow
from fanzha.kit.errors import Conflict, NotFound


def get(session: Session, warning_id: str) -> VictimWarning:
    warning = WarningRepository(session).get(warning_id)
    if warning is None:
        raise NotFound(f"no warning {warning_id!r}", zh=f"预警 {warning_id!r} 不存在")
    return warning


def confirm_delivery(session: Session, *, warning_id: str, delivered_at: datetime | None, actor: str) -> VictimWarning:
    """Record that the platform showed the warning (the first report counts; repeats change nothing)."""
    repository = WarningRepository(session)
    warning = get(session, warning_id)
    if warning.delivered_at is not None:
        return warning
    moment = ensure_utc(delivered_at) if delivered_at is not None else utcnow()
    if not repository.mark_delivered(
        warning_id, at=moment, state=WarningState.delivered.value, from_state=WarningState.issued.value
    ):
        session.refresh(warning)
        return warning  # a concurrent report (delivery or choice) got there first
    audit.record(
        session,
        actor=actor,
        action="warning.delivered",
        object_type="victim_warning",
        object_id=warning_id,
        before={"state": WarningState.issued.value},
        after={"state": WarningState.delivered.value, "delivered_at": moment.isoformat()},
    )
    session.refresh(warning)
    return warning


def record_choice(
    session: Session, *, warning_id: str, choice: UserChoice, chosen_at: datetime | None, actor: str
) -> VictimWarning:
    """Record what the warned user did. The same choice again is a no-op; a different one is a conflict."""
    repository = WarningRepository(session)
    warning = get(session, warning_id)
    before = {"state": warning.state, "choice": warning.choice}
    moment = ensure_utc(chosen_at) if chosen_at is not None else utcnow()
    if warning.choice is None and repository.record_choice(warning_id, choice=choice.value, at=moment):
        audit.record(
            session,
            actor=actor,
            action="warning.choice",
            object_type="victim_warning",
            object_id=warning_id,
            before=before,
            after={"state": choice.value, "choice": choice.value, "chosen_at": moment.isoformat()},
        )
        session.refresh(warning)
        return warning
    session.refresh(warning)
    if warning.choice != choice.value:
        raise Conflict(
            f"warning {warning_id} already records the choice {warning.choice!r}",
            zh=f"预警 {warning_id} 已记录用户选择 {warning.choice!r}",
        )
    return warning


def search(
    session: Session,
    *,
    recipient_id: str | None,
    typology: str | None,
    state: WarningState | None,
    limit: int,
    offset: int,
) -> tuple[list[VictimWarning], int]:
    return WarningRepository(session).search(
        recipient_id=recipient_id,
        typology=typology,
        state=state.value if state is not None else None,
        limit=limit,
        offset=offset,
    )


def _stats(typology: str, warned: int, delivered: int, continued: int, cancelled: int, reported: int) -> TypologyStats:
    dissuaded = cancelled + reported
    chose = dissuaded + continued
    return TypologyStats(
        typology=typology,
        warned=warned,
        delivered=delivered,
        continued=continued,
        cancelled=cancelled,
        reported=reported,
        dissuaded=dissuaded,
        dissuasion_rate=round(dissuaded / chose, 4) if chose else None,
    )


def stats(session: Session, *, since: datetime | None, until: datetime | None) -> WarningStats:
    """Warned, delivered, continued, cancelled and reported per typology for warnings issued in [since, until)."""
    rows = WarningRepository(session).counts_by_typology(
        since=ensure_utc(since) if since is not None else None,
        until=ensure_utc(until) if until is not None else None,
    )
    by_typology = [_stats(*row) for row in rows]
    counts = [counted for _typology, *counted in rows]
    totals = [sum(column) for column in zip(*counts, strict=True)] if counts else [0] * 5
    return WarningStats(
        since=since,
        until=until,
        total=_stats("all", *totals),
        by_typology=by_typology,
    )
