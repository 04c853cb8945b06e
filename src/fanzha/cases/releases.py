"""Releasing a case's evidence to the police or an authority: proposed by one person, approved by another.

Evidence release is irreversible (D2-ORG-03), so it follows the four-eyes rule of the disposal
ladder's close and ban: the proposer can never approve their own release, and a release names
the recipient, the request it answers, the legal basis and exactly which evidence (by hash) goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from sqlalchemy.orm import Session

from fanzha.audit import service as audit
from fanzha.cases import service as cases_service
from fanzha.cases.models import EvidenceRelease
from fanzha.cases.repository import CaseRepository, ReleaseRepository
from fanzha.kit.clock import utcnow
from fanzha.kit.errors import Conflict, Forbidden, InvalidInput, NotFound


class ReleaseState(StrEnum):
    pending = "pending"
    released = "released"
    rejected = "rejected"


def propose(
    session: Session,
    *,
    case_id: int,
    recipient: str,
    request_ref: str,
    hashes: Sequence[str],
    legal_basis: Sequence[str],
    reason: str,
    actor: str,
) -> EvidenceRelease:
    """Propose releasing some (or, with no hashes, all) of a case's evidence; nothing leaves yet."""
    cases_service.get(session, case_id)
    held = {item.hash.lower() for item in CaseRepository(session).evidence(case_id)}
    if not held:
        raise InvalidInput(f"case {case_id} holds no evidence to release", zh=f"案件 {case_id} 没有可移交的证据")
    wanted = [value.lower() for value in hashes] or sorted(held)
    unknown = sorted(set(wanted) - held)
    if unknown:
        raise InvalidInput(
            f"case {case_id} holds no evidence with hash {unknown[0]}",
            details=[{"field": "hashes"}],
            zh=f"案件 {case_id} 中没有哈希为 {unknown[0]} 的证据",
        )
    release = EvidenceRelease(
        case_id=case_id,
        recipient=recipient,
        request_ref=request_ref,
        hashes=list(dict.fromkeys(wanted)),
        legal_basis=list(legal_basis),
        reason=reason,
        state=ReleaseState.pending.value,
        proposed_by=actor,
        proposed_at=utcnow(),
    )
    ReleaseRepository(session).add(release)
    audit.record(
        session,
        actor=actor,
        action="evidence.release.propose",
        object_type="case",
        object_id=str(case_id),
        after={"release": release.id, "recipient": recipient, "hashes": release.hashes, "request": request_ref},
        reason=reason,
    )
    return release


def decide(session: Session, *, release_id: int, approve: bool, actor: str, reason: str) -> EvidenceRelease:
    """The second pair of eyes approves (the evidence is released) or rejects a proposed release."""
    repository = ReleaseRepository(session)
    release = repository.get(release_id)
    if release is None:
        raise NotFound(f"no evidence release {release_id}", zh=f"证据移交 {release_id} 不存在")
    if release.state != ReleaseState.pending.value:
        raise Conflict(
            f"evidence release {release_id} is already {release.state}",
            zh=f"证据移交 {release_id} 的状态已为 {release.state}",
        )
    if approve and release.proposed_by == actor:
        raise Forbidden(
            "releasing evidence needs a second person: you proposed this release",
            zh="移交证据须由第二人复核：本次移交由您提出",
        )
    state = ReleaseState.released if approve else ReleaseState.rejected
    now = utcnow()
    values: dict[str, object] = {
        "state": state.value,
        "decided_by": actor,
        "decided_at": now,
        "decision_reason": reason,
    }
    if not repository.decide(release_id, values=values):
        raise Conflict(
            f"evidence release {release_id} was decided by someone else meanwhile",
            zh=f"证据移交 {release_id} 已由他人同时作出决定",
        )
    session.refresh(release)
    audit.record(
        session,
        actor=actor,
        action=f"evidence.release.{'approve' if approve else 'reject'}",
        object_type="case",
        object_id=str(release.case_id),
        before={"release": release_id, "state": ReleaseState.pending.value},
        after={"release": release_id, "state": state.value, "recipient": release.recipient},
        reason=reason,
    )
    return release


def for_case(session: Session, *, case_id: int) -> list[EvidenceRelease]:
    cases_service.get(session, case_id)
    return ReleaseRepository(session).for_case(case_id)
