"""Appeals: one per measure, handled by someone other than who decided the measure; an overturn
lifts the measure at once (restrictions answer and webhook) and counts against the rules behind it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fanzha.appeals.models import Appeal, RuleAppealCount
from fanzha.appeals.repository import AppealRepository
from fanzha.audit import service as audit
from fanzha.bus.dispatcher import publish
from fanzha.cases import service as cases_service
from fanzha.kit.clock import ensure_utc, utcnow
from fanzha.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from fanzha.measures import service as measures_service
from fanzha.measures.vocabulary import MeasureState

CLAIM_MINUTES = 60
APPEAL_TOPIC = "appeal.decided"
_APPEALABLE = (MeasureState.active, MeasureState.expired, MeasureState.lifted, MeasureState.lapsed)


def get(session: Session, appeal_id: int) -> Appeal:
    appeal = AppealRepository(session).get(appeal_id)
    if appeal is None:
        raise NotFound(f"no appeal {appeal_id}", zh=f"申诉 {appeal_id} 不存在")
    return appeal


def submit(
    session: Session, *, measure_id: int, account_id: str, grounds: str, materials: list[dict[str, Any]], actor: str
) -> Appeal:
    """File the subject's appeal; one per measure, within the deadline its statement gave."""
    measure = measures_service.get(session, measure_id)
    if measure.account_id != account_id:
        raise NotFound(
            f"account {account_id!r} has no measure {measure_id}", zh=f"账号 {account_id!r} 没有处置措施 {measure_id}"
        )
    if measure.state not in _APPEALABLE:
        raise Conflict(
            f"measure {measure_id} is {measure.state}; there is nothing to appeal",
            zh=f"处置措施 {measure_id} 的状态为 {measure.state}，无可申诉",
        )
    repository = AppealRepository(session)
    if repository.for_measure(measure_id) is not None:
        raise Conflict(f"measure {measure_id} has already been appealed", zh=f"处置措施 {measure_id} 已被申诉")
    statement = measures_service.statement_for(session, measure_id)
    now = utcnow()
    if statement is not None and ensure_utc(statement.appeal_deadline) < now:
        raise Conflict(
            f"the appeal deadline for measure {measure_id} passed on {statement.appeal_deadline.isoformat()}",
            zh=f"处置措施 {measure_id} 的申诉期限已于 {statement.appeal_deadline.isoformat()} 届满",
        )
    appeal = Appeal(
        measure_id=measure_id,
        case_id=measure.case_id,
        account_id=account_id,
        grounds=grounds,
        materials=materials,
        state="submitted",
        submitted_by=actor,
        submitted_at=now,
        original_decider=measure.proposed_by,
    )
    try:
        with session.begin_nested():
            repository.add(appeal)
    except IntegrityError:
        raise Conflict(
            f"measure {measure_id} has already been appealed", zh=f"处置措施 {measure_id} 已被申诉"
        ) from None
    repository.count(measure.rules or [], "appeals")
    audit.record(
        session,
        actor=actor,
        action="appeal.submit",
        object_type="appeal",
        object_id=str(appeal.id),
        after={"measure_id": measure_id, "account_id": account_id, "materials": len(materials)},
        reason=grounds,
    )
    if measure.case_id is not None:
        cases_service.appeal_opened(session, case_id=measure.case_id, actor=actor, reason=f"appeal {appeal.id}")
    return appeal


def claim(session: Session, *, appeal_id: int, actor: str) -> Appeal:
    """Take an appeal for review; the person who decided (or approved) the measure may not."""
    appeal = get(session, appeal_id)
    measure = measures_service.get(session, appeal.measure_id)
    if actor in {appeal.original_decider, measure.approved_by}:
        raise Forbidden(
            "an appeal must be handled by someone other than who decided the measure",
            zh="申诉须由作出原处置决定以外的人处理",
        )
    now = utcnow()
    claimed = AppealRepository(session).update_if(
        appeal_id,
        [
            Appeal.state.in_(["submitted", "in_review"]),
            (Appeal.claimed_by.is_(None)) | (Appeal.claim_expires_at <= now) | (Appeal.claimed_by == actor),
        ],
        {"state": "in_review", "claimed_by": actor, "claim_expires_at": now + timedelta(minutes=CLAIM_MINUTES)},
    )
    session.refresh(appeal)
    if not claimed:
        if appeal.state not in ("submitted", "in_review"):
            raise Conflict(
                f"appeal {appeal_id} is already {appeal.state}", zh=f"申诉 {appeal_id} 的状态已为 {appeal.state}"
            )
        raise Conflict(
            f"appeal {appeal_id} is held by {appeal.claimed_by}", zh=f"申诉 {appeal_id} 已由 {appeal.claimed_by} 领取"
        )
    audit.record(
        session,
        actor=actor,
        action="appeal.claim",
        object_type="appeal",
        object_id=str(appeal_id),
        after={"claimed_by": actor},
    )
    if appeal.case_id is not None:
        cases_service.appeal_in_review(session, case_id=appeal.case_id, actor=actor, reason=f"appeal {appeal_id}")
    return appeal


def decide(session: Session, *, appeal_id: int, actor: str, overturn: bool, reason: str) -> measures_service.Outcome:
    """Uphold or overturn (with a reason); an overturn restores the account at once."""
    if not reason.strip():
        raise InvalidInput("a reason is required", details=[{"field": "reason"}], zh="必须填写理由")
    appeal = get(session, appeal_id)
    now = utcnow()
    state = "overturned" if overturn else "upheld"
    decided = AppealRepository(session).update_if(
        appeal_id,
        [Appeal.state == "in_review", Appeal.claimed_by == actor, Appeal.claim_expires_at > now],
        {
            "state": state,
            "decided_by": actor,
            "decided_at": now,
            "decision_reason": reason,
            "claimed_by": None,
            "claim_expires_at": None,
            "restored_at": now if overturn else None,
        },
    )
    session.refresh(appeal)
    if not decided:
        if appeal.state in ("upheld", "overturned"):
            raise Conflict(
                f"appeal {appeal_id} is already {appeal.state}", zh=f"申诉 {appeal_id} 的状态已为 {appeal.state}"
            )
        raise Conflict(
            f"claim appeal {appeal_id} before deciding it (held by {appeal.claimed_by or 'nobody'})",
            zh=f"请先领取申诉 {appeal_id} 再作出决定（当前领取人：{appeal.claimed_by or '无'}）",
        )
    measure = measures_service.get(session, appeal.measure_id)
    outcome = measures_service.Outcome([measure])
    if overturn:
        outcome = measures_service.lift(
            session,
            measure_id=measure.id,
            actor=actor,
            reason=f"appeal {appeal_id} overturned: {reason}",
            to_state=MeasureState.reversed,
            from_states=_APPEALABLE,
        )
    AppealRepository(session).count(measure.rules or [], "overturned" if overturn else "upheld")
    audit.record(
        session,
        actor=actor,
        action=f"appeal.{state}",
        object_type="appeal",
        object_id=str(appeal_id),
        before={"state": "in_review"},
        after={"state": state, "measure_id": measure.id, "rules": measure.rules},
        reason=reason,
    )
    publish(
        session,
        topic=APPEAL_TOPIC,
        key=appeal.account_id,
        payload={
            "appeal_id": appeal.id,
            "measure_id": measure.id,
            "account_id": appeal.account_id,
            "outcome": state,
            "reason": reason,
            "restrictions": measures_service.restrictions(session, appeal.account_id),
        },
    )
    if appeal.case_id is not None:
        cases_service.appeal_decided(
            session, case_id=appeal.case_id, overturned=overturn, actor=actor, reason=f"appeal {appeal_id}: {reason}"
        )
    return outcome


def search(
    session: Session, *, state: Sequence[str] | None, account_id: str | None, limit: int, offset: int
) -> list[Appeal]:
    return AppealRepository(session).search(state=state, account_id=account_id, limit=limit, offset=offset)


def rule_counts(session: Session) -> list[RuleAppealCount]:
    return AppealRepository(session).counts()
