"""Clue referral (ATOFL art. 26(2)): package a case's clues for the police or an authority, under four eyes.

A referral discloses personal data and evidence to an authority, which cannot be undone, so it goes
through the same four-eyes rule as an evidence release (D2-ORG-03) — by proposing one:

1. ``refer`` freezes the package (see :mod:`fanzha.referrals.package`), records its SHA-256, adds the
   package to the first case's evidence (type ``referral_package``: the chain of custody names what
   went out) and proposes an evidence release of the package and that case's evidence to the
   recipient unit (:func:`fanzha.cases.releases.propose`).
2. A second person with ``measures:approve`` approves or rejects it — ``decide`` here, or the release
   itself (``POST /v1/releases/{id}/decision``); the proposer never can. The referral's state is read
   from its release, so the two never disagree.
3. Once approved, the unmasked package may be exported (JSON, HTML, PDF) and sent; the authority's
   answers (received, case filed, declined) are recorded with ``record_feedback``.

Every step is in the audit log (``referral.create``, ``referral.approve``/``reject``,
``referral.feedback``, ``referral.package.read``, besides the release's own entries).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.orm import Session

from fanzha.audit import service as audit
from fanzha.cases import releases
from fanzha.cases import service as cases_service
from fanzha.cases.models import Case, CaseEvidence, EvidenceRelease
from fanzha.cases.releases import ReleaseState
from fanzha.cases.repository import CaseRepository
from fanzha.intel.indicators import SharingIdentity
from fanzha.kit.clock import ensure_utc, utcnow
from fanzha.kit.errors import Conflict, NotFound
from fanzha.referrals import package as packages
from fanzha.referrals.models import Referral, ReferralFeedback
from fanzha.referrals.repository import ReferralRepository
from fanzha.referrals.schemas import FeedbackIn, FeedbackStatus, ReferralIn, ReferralState

PACKAGE_EVIDENCE_TYPE = "referral_package"

_NEXT_FEEDBACK: dict[FeedbackStatus, tuple[str | None, ...]] = {
    FeedbackStatus.received: (None,),
    FeedbackStatus.case_filed: (None, FeedbackStatus.received.value),
    FeedbackStatus.declined: (None, FeedbackStatus.received.value),
}
"""From which feedback status each answer may come: received first (optional), then filed or declined."""


DEFAULT_ANSWER_DAYS = 30.0
"""Days after approval within which the authority's final answer is expected (settings: referral_answer_days)."""

AWAITING_ANSWER = (ReferralState.referred, ReferralState.received)
"""States in which the authority's final answer (case filed or declined) is still awaited."""


def answer_due_at(release: EvidenceRelease | None, *, answer_days: float) -> datetime | None:
    """When the authority's final answer is due: ``answer_days`` after the referral was approved."""
    if release is None or release.state != ReleaseState.released.value or release.decided_at is None:
        return None
    return ensure_utc(release.decided_at) + timedelta(days=answer_days)


@dataclass(frozen=True)
class AnswerWatch:
    """Approved referrals still awaiting the authority's final answer, and how many are past due."""

    awaiting: int
    overdue: int


def _feedback_statuses(states: Sequence[ReferralState]) -> list[str | None]:
    """The stored feedback status of each state (``referred``: no answer yet)."""
    return [None if state is ReferralState.referred else state.value for state in states]


def _due_before(now: datetime | None, answer_days: float) -> datetime:
    """Referrals approved before this are past their answer date."""
    return (now or utcnow()) - timedelta(days=answer_days)


def answer_watch(
    session: Session, *, answer_days: float = DEFAULT_ANSWER_DAYS, now: datetime | None = None
) -> AnswerWatch:
    awaiting, overdue = ReferralRepository(session).count_awaiting(
        awaited=_feedback_statuses(AWAITING_ANSWER), approved_before=_due_before(now, answer_days)
    )
    return AnswerWatch(awaiting, overdue)


def state_of(referral: Referral, release: EvidenceRelease | None) -> ReferralState:
    """The referral's state: its release's approval, then the authority's latest answer."""
    if release is None or release.state == ReleaseState.rejected.value:
        return ReferralState.rejected
    if release.state == ReleaseState.pending.value:
        return ReferralState.pending_approval
    if referral.feedback_status is not None:
        return ReferralState(referral.feedback_status)
    return ReferralState.referred


def get(session: Session, referral_id: int) -> Referral:
    referral = ReferralRepository(session).get(referral_id)
    if referral is None:
        raise NotFound(f"no referral {referral_id}", zh=f"线索移送 {referral_id} 不存在")
    return referral


def _cases(session: Session, case_ids: Sequence[int], *, cluster: bool) -> list[Case]:
    chosen: dict[int, Case] = {}
    for case_id in case_ids:
        case = cases_service.get(session, case_id)
        chosen.setdefault(case.id, case)
        if cluster:
            for other in cases_service.cluster_of(session, case.id):
                chosen.setdefault(other.id, other)
    return list(chosen.values())


def refer(
    session: Session, *, case_ids: Sequence[int], body: ReferralIn, sender: SharingIdentity, actor: str
) -> Referral:
    """Build and record a referral of ``case_ids`` (and their clusters with ``body.cluster``), pending approval.

    Raises:
        NotFound: a case does not exist.
        Conflict: the first case already has a referral to the same unit awaiting approval.
    """
    cases = _cases(session, case_ids, cluster=body.cluster)
    anchor = cases[0]
    repository = ReferralRepository(session)
    for earlier in repository.search(
        case_id=anchor.id, release_states=[ReleaseState.pending.value], feedback_statuses=None, limit=100, offset=0
    ):
        if earlier.recipient_unit == body.recipient_unit:
            raise Conflict(
                f"referral {earlier.id} of case {anchor.id} to {body.recipient_unit} awaits approval",
                zh=f"案件 {anchor.id} 移送至 {body.recipient_unit} 的线索移送 {earlier.id} 正在等待复核",
            )
    now = utcnow()
    referral = Referral(
        case_id=anchor.id,
        case_ids=[case.id for case in cases],
        recipient_unit=body.recipient_unit,
        recipient_type=body.recipient_type.value,
        risk_degree=body.risk_degree.value,
        summary=body.summary,
        legal_basis=list(body.legal_basis),
        reason=body.reason,
        package_json="",
        package_sha256="",
        referred_by=actor,
        created_at=now,
        updated_at=now,
    )
    repository.add(referral)
    data = packages.canonical(packages.build(session, referral=referral, cases=cases, sender=sender))
    digest = packages.sha256(data)
    referral.package_json = data.decode("utf-8")
    referral.package_sha256 = digest
    # The package joins the case's evidence: the chain of custody then names exactly what went out.
    # Added here rather than through cases.add_evidence because a closed case can still be referred.
    case_repository = CaseRepository(session)
    case_repository.add(
        CaseEvidence(
            case_id=anchor.id,
            hash=digest,
            type=PACKAGE_EVIDENCE_TYPE,
            uri=f"fanzha:referral/{referral.id}",
            description=f"clue referral {referral.id} to {body.recipient_unit} / 线索移送",
            captured_at=now,
            added_by=actor,
            added_at=now,
        )
    )
    audit.record(
        session,
        actor=actor,
        action="case.evidence.add",
        object_type="case",
        object_id=str(anchor.id),
        after={"hash": digest, "type": PACKAGE_EVIDENCE_TYPE, "uri": f"fanzha:referral/{referral.id}"},
    )
    hashes = [digest, *(item.hash for item in case_repository.evidence(anchor.id) if item.hash != digest)]
    release = releases.propose(
        session,
        case_id=anchor.id,
        recipient=body.recipient_unit,
        request_ref=f"referral:{referral.id}",
        hashes=hashes,
        legal_basis=body.legal_basis,
        reason=body.reason,
        actor=actor,
    )
    referral.release_id = release.id
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="referral.create",
        object_type="referral",
        object_id=str(referral.id),
        after={
            "cases": referral.case_ids,
            "recipient_unit": referral.recipient_unit,
            "recipient_type": referral.recipient_type,
            "risk_degree": referral.risk_degree,
            "package_sha256": digest,
            "release": release.id,
        },
        reason=body.reason,
    )
    return referral


def decide(session: Session, *, referral_id: int, approve: bool, actor: str, reason: str) -> Referral:
    """The second pair of eyes approves (the package may go) or rejects a referral, through its release.

    Raises:
        Forbidden: the approver proposed the referral.
        Conflict: it was decided already.
    """
    referral = get(session, referral_id)
    if referral.release_id is None:
        raise Conflict(
            f"referral {referral_id} has no release to decide (its evidence release was deleted)",
            zh=f"线索移送 {referral_id} 没有待决定的证据移交（其证据移交已被删除）",
        )
    release = releases.decide(session, release_id=referral.release_id, approve=approve, actor=actor, reason=reason)
    referral.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"referral.{'approve' if approve else 'reject'}",
        object_type="referral",
        object_id=str(referral_id),
        before={"state": ReferralState.pending_approval.value},
        after={"state": state_of(referral, release).value, "release": release.id},
        reason=reason,
    )
    return referral


def record_feedback(session: Session, *, referral_id: int, body: FeedbackIn, actor: str) -> Referral:
    """The authority's answer: received, then case filed (立案) or declined.

    Raises:
        Conflict: the referral was not (yet) referred, or the answer does not follow the last one.
    """
    repository = ReferralRepository(session)
    referral = get(session, referral_id)
    state = state_of(referral, repository.release(referral.release_id))
    if state in (ReferralState.pending_approval, ReferralState.rejected):
        raise Conflict(
            f"referral {referral_id} is {state.value}: there is no feedback on a referral not sent",
            zh=f"线索移送 {referral_id} 的状态为 {state.value}：尚未发出的线索移送没有答复",
        )
    expected = _NEXT_FEEDBACK[body.status]
    now = utcnow()
    received_at = body.received_at or now
    before = referral.feedback_status
    if before not in expected or not repository.set_feedback_if(
        referral_id, expected=expected, status=body.status.value, at=received_at, now=now
    ):
        raise Conflict(
            f"referral {referral_id} is {state.value}; feedback {body.status.value!r} cannot follow it",
            zh=f"线索移送 {referral_id} 的状态为 {state.value}；其后不能记录答复 {body.status.value!r}",
        )
    repository.add(
        ReferralFeedback(
            referral_id=referral_id,
            status=body.status.value,
            text=body.text,
            authority_ref=body.authority_ref,
            received_at=received_at,
            recorded_by=actor,
            recorded_at=now,
        )
    )
    session.refresh(referral)
    audit.record(
        session,
        actor=actor,
        action="referral.feedback",
        object_type="referral",
        object_id=str(referral_id),
        before={"feedback_status": before},
        after={"feedback_status": body.status.value, "authority_ref": body.authority_ref},
        reason=body.text,
    )
    return referral


def search(
    session: Session,
    *,
    case_id: int | None,
    state: ReferralState | None,
    limit: int,
    offset: int,
    overdue: bool = False,
    answer_days: float = DEFAULT_ANSWER_DAYS,
    now: datetime | None = None,
) -> list[Referral]:
    """Newest first. ``overdue``: approved more than ``answer_days`` ago and still awaiting the final answer."""
    if overdue:
        if state is not None and state not in AWAITING_ANSWER:
            return []
        awaited = [state] if state is not None else list(AWAITING_ANSWER)
        return ReferralRepository(session).search(
            case_id=case_id,
            release_states=[ReleaseState.released.value],
            feedback_statuses=_feedback_statuses(awaited),
            approved_before=_due_before(now, answer_days),
            limit=limit,
            offset=offset,
        )
    release_states: list[str] | None = None
    feedback: list[str | None] | None = None
    if state is ReferralState.pending_approval:
        release_states = [ReleaseState.pending.value]
    elif state is ReferralState.rejected:
        release_states = [ReleaseState.rejected.value]
    elif state is ReferralState.referred:
        release_states, feedback = [ReleaseState.released.value], [None]
    elif state is not None:
        release_states, feedback = [ReleaseState.released.value], [state.value]
    return ReferralRepository(session).search(
        case_id=case_id, release_states=release_states, feedback_statuses=feedback, limit=limit, offset=offset
    )


def to_dict(
    session: Session, referral: Referral, *, answer_days: float = DEFAULT_ANSWER_DAYS, now: datetime | None = None
) -> dict[str, Any]:
    repository = ReferralRepository(session)
    release = repository.release(referral.release_id)
    decided = release is not None and release.state != ReleaseState.pending.value
    state = state_of(referral, release)
    due = answer_due_at(release, answer_days=answer_days) if state in AWAITING_ANSWER else None
    return {
        "id": referral.id,
        "case_id": referral.case_id,
        "case_ids": list(referral.case_ids or []),
        "recipient_unit": referral.recipient_unit,
        "recipient_type": referral.recipient_type,
        "risk_degree": referral.risk_degree,
        "summary": referral.summary,
        "legal_basis": list(referral.legal_basis or []),
        "reason": referral.reason,
        "state": state,
        "answer_due_at": due,
        "answer_overdue": due is not None and (now or utcnow()) >= due,
        "package_sha256": referral.package_sha256,
        "release_id": referral.release_id,
        "referred_by": referral.referred_by,
        "created_at": referral.created_at,
        "decided_by": release.decided_by if decided and release is not None else None,
        "decided_at": release.decided_at if decided and release is not None else None,
        "decision_reason": release.decision_reason if decided and release is not None else None,
        "feedback_status": referral.feedback_status,
        "feedback_at": referral.feedback_at,
        "feedback": [
            {
                "status": item.status,
                "text": item.text,
                "authority_ref": item.authority_ref,
                "received_at": item.received_at,
                "recorded_by": item.recorded_by,
                "recorded_at": item.recorded_at,
            }
            for item in repository.feedback(referral.id)
        ],
    }


@dataclass(frozen=True)
class PackageView:
    """A referral's package as one caller may read it: the referred one, or a masked copy."""

    referral_id: int
    package: dict[str, Any]
    data: bytes
    sha: str
    state: ReferralState
    decided_by: str | None
    revealed: bool


def package_view(session: Session, *, referral_id: int, reveal: bool, fmt: str, actor: str) -> PackageView:
    """The referred package (``reveal``: only once approved) or a masked copy; every read is audited.

    The caller checks that ``actor`` may read personal data before asking for ``reveal``.

    Raises:
        Conflict: ``reveal`` before a second person approved the referral (or after a rejection).
    """
    referral = get(session, referral_id)
    release = ReferralRepository(session).release(referral.release_id)
    state = state_of(referral, release)
    if reveal and state in (ReferralState.pending_approval, ReferralState.rejected):
        raise Conflict(
            f"referral {referral_id} is {state.value}: the package may leave only after a second person approves it",
            zh=f"线索移送 {referral_id} 的状态为 {state.value}：须经第二人复核批准后方可发出",
        )
    stored = referral.package_json.encode("utf-8")
    package: dict[str, Any] = orjson.loads(stored)
    if reveal:
        data = stored
        cases_service.record_reveal(
            session, actor=actor, object_type="referral", object_id=str(referral_id), reason=f"package.{fmt}"
        )
    else:
        package = packages.masked(package, sha=referral.package_sha256)
        data = packages.canonical(package)
    audit.record(
        session,
        actor=actor,
        action="referral.package.read",
        object_type="referral",
        object_id=str(referral_id),
        after={"format": fmt, "masked": not reveal, "package_sha256": referral.package_sha256},
    )
    decided_by = release.decided_by if release is not None and state is not ReferralState.pending_approval else None
    return PackageView(referral_id, package, data, referral.package_sha256, state, decided_by, reveal)
