"""Cases: open (or join) one per trigger, route it to a queue, claim it, decide it, close the loop.

Every state move is a conditional update on the state the caller saw (and, for decisions, on the
caller still holding the claim), so two reviewers acting at once cannot both win; each move is
recorded as a transition (actor, time, reason) and in the audit log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.orm import Session

from fanzha.audit import service as audit
from fanzha.auth.masking import mask
from fanzha.bus.dispatcher import publish
from fanzha.cases.models import Case, CaseEvidence, CaseTransition, ReviewQueue
from fanzha.cases.repository import CaseRepository
from fanzha.cases.schemas import CaseDecision, QueueIn
from fanzha.cases.states import MANUAL, OPEN, SLA, STRONG_LINKS, CaseState, Priority, SourceType, SubjectType
from fanzha.kit.clock import ensure_utc, iso_or_none, utcnow
from fanzha.kit.errors import Conflict, InvalidInput, NotFound
from fanzha.lists.kinds import InvalidListValue, ListKind, normalize_value
from fanzha.measures import service as measures
from fanzha.measures.models import Measure
from fanzha.measures.vocabulary import MeasureState

DEFAULT_QUEUE = "default"
DEFAULT_CLAIM_MINUTES = 30
SLA_ACTOR = "system:sla"

ENDED_TOPIC = "case.ended"
_ENDS = frozenset({CaseState.decided, CaseState.notified, CaseState.closed})
"""Moves after which the case's outcome may be known; ``case.ended`` lets other domains (reports) react
after the move commits, without cases knowing they exist."""

_NORMALISE = {
    SubjectType.phone: ListKind.phone,
    SubjectType.url: ListKind.url,
    SubjectType.domain: ListKind.domain,
    SubjectType.ip: ListKind.ip,
    SubjectType.id_hash: ListKind.keyword,
}


@dataclass(frozen=True, slots=True)
class Subject:
    type: SubjectType
    value: str
    role: str = ""
    normalised: bool = False
    """The value is already in its canonical spelling (a caller that normalised it skips the second pass)."""


def normalise_subject(kind: SubjectType, value: str) -> str:
    """The canonical spelling (as lists use it), so the same phone or URL links cases however it was written."""
    list_kind = _NORMALISE.get(kind)
    if list_kind is None:
        return value.strip()
    try:
        return normalize_value(list_kind, value)
    except InvalidListValue:
        return value.strip()


def get(session: Session, case_id: int) -> Case:
    case = CaseRepository(session).get(case_id)
    if case is None:
        raise NotFound(f"no case {case_id}", zh=f"案件 {case_id} 不存在")
    return case


# ---- queues -----------------------------------------------------------------------------------------


def put_queue(session: Session, *, name: str, body: QueueIn, actor: str) -> ReviewQueue:
    repository = CaseRepository(session)
    match: dict[str, Any] = {}
    if body.priorities:
        match["priorities"] = [p.value for p in body.priorities]
    if body.source_types:
        match["source_types"] = [s.value for s in body.source_types]
    if body.fraud_types:
        match["fraud_types"] = body.fraud_types
    if body.rules_any:
        match["rules_any"] = body.rules_any
    if body.min_risk_score is not None:
        match["min_risk_score"] = body.min_risk_score
    queue = repository.get_queue(name)
    before = None
    if queue is None:
        queue = ReviewQueue(name=name, created_at=utcnow())
    else:
        before = {"position": queue.position, "match": queue.match, "claim_minutes": queue.claim_minutes}
    queue.description = body.description
    queue.position = body.position
    queue.match = match
    queue.claim_minutes = body.claim_minutes
    repository.add(queue)
    audit.record(
        session,
        actor=actor,
        action="queue.put",
        object_type="queue",
        object_id=name,
        before=before,
        after={"position": queue.position, "match": match, "claim_minutes": queue.claim_minutes},
    )
    return queue


def queues(session: Session) -> list[ReviewQueue]:
    return CaseRepository(session).queues()


def _matches(match: dict[str, Any], case: Case) -> bool:
    if "priorities" in match and case.priority not in match["priorities"]:
        return False
    if "source_types" in match and case.source_type not in match["source_types"]:
        return False
    if "fraud_types" in match and case.fraud_type not in match["fraud_types"]:
        return False
    if "rules_any" in match and not set(match["rules_any"]) & set(case.rules or []):
        return False
    return not ("min_risk_score" in match and case.risk_score < match["min_risk_score"])


def route(session: Session, case: Case) -> ReviewQueue | None:
    """The first queue (by position, then name) whose rule matches the case."""
    for queue in CaseRepository(session).queues():
        if _matches(queue.match or {}, case):
            return queue
    return None


def _claim_minutes(session: Session, case: Case) -> int:
    queue = CaseRepository(session).get_queue(case.queue)
    return DEFAULT_CLAIM_MINUTES if queue is None else queue.claim_minutes


# ---- opening and joining ----------------------------------------------------------------------------


def open_case(
    session: Session,
    *,
    source_type: SourceType,
    source_ref: str,
    subjects: Sequence[Subject],
    evidence: Sequence[dict[str, Any]] = (),
    summary: str = "",
    fraud_type: str | None = None,
    risk_score: int = 0,
    priority: Priority = Priority.P2,
    legal_basis: Sequence[str] = (),
    rules: Sequence[str] = (),
    feedback_owed: bool = False,
    actor: str,
    rule_version: str | None = None,
) -> Case:
    """Open a case for a trigger; the same (source_type, source_ref) twice is a conflict."""
    repository = CaseRepository(session)
    if repository.by_source(source_type.value, source_ref) is not None:
        raise Conflict(
            f"a case for {source_type.value} {source_ref!r} already exists",
            zh=f"来源 {source_type.value} {source_ref!r} 的案件已存在",
        )
    now = utcnow()
    case = Case(
        source_type=source_type.value,
        source_ref=source_ref,
        received_at=now,
        summary=summary,
        fraud_type=fraud_type,
        risk_score=risk_score,
        priority=priority.value,
        sla_due_at=now + SLA[priority],
        state=CaseState.new.value,
        queue=DEFAULT_QUEUE,
        legal_basis=list(legal_basis),
        rules=list(rules),
        feedback_owed=feedback_owed,
        created_by=actor,
        updated_at=now,
    )
    queue = route(session, case)
    if queue is not None:
        case.queue = queue.name
    repository.add(case)
    repository.add(
        CaseTransition(
            case_id=case.id,
            from_state=None,
            to_state=CaseState.new.value,
            actor=actor,
            at=now,
            reason=summary or f"opened from {source_type.value}",
            rule_version=rule_version,
        )
    )
    _add_subjects(session, case, subjects)
    for item in evidence:
        _add_evidence(session, case, item, actor=actor)
    audit.record(
        session,
        actor=actor,
        action="case.open",
        object_type="case",
        object_id=str(case.id),
        after={
            "source_type": case.source_type,
            "source_ref": case.source_ref,
            "priority": case.priority,
            "queue": case.queue,
            "subjects": len(subjects),
        },
        reason=summary or None,
    )
    _cluster(session, case, actor=actor)
    return case


def _add_subjects(session: Session, case: Case, subjects: Iterable[Subject]) -> list[tuple[str, str]]:
    repository = CaseRepository(session)
    known = repository.subject_keys(case.id)
    added = []
    rows: list[dict[str, Any]] = []
    for subject in subjects:
        value = subject.value if subject.normalised else normalise_subject(subject.type, subject.value)
        key = (subject.type.value, value)
        if key in known:
            continue
        known.add(key)
        rows.append({"case_id": case.id, "type": key[0], "value": key[1], "role": subject.role})
        added.append(key)
    # One multi-row insert: a police notice can name 100,000 subjects.
    repository.add_subjects(rows)
    return added


def _add_evidence(session: Session, case: Case, item: dict[str, Any], *, actor: str) -> bool:
    repository = CaseRepository(session)
    digest = str(item["hash"]).lower()
    if repository.has_evidence(case.id, digest):
        return False
    repository.add(
        CaseEvidence(
            case_id=case.id,
            hash=digest,
            type=item["type"],
            uri=item.get("uri", ""),
            description=item.get("description", ""),
            captured_at=ensure_utc(item["captured_at"]),
            added_by=actor,
            added_at=utcnow(),
        )
    )
    return True


def add_subjects(session: Session, *, case_id: int, subjects: Sequence[Subject], actor: str) -> Case:
    case = get(session, case_id)
    if case.state == CaseState.closed.value:
        raise Conflict(f"case {case_id} is closed; reopen it first", zh=f"案件 {case_id} 已结案，请先重开")
    added = _add_subjects(session, case, subjects)
    if added:
        audit.record(
            session,
            actor=actor,
            action="case.subjects.add",
            object_type="case",
            object_id=str(case_id),
            after={"subjects": [{"type": kind, "value": mask(kind, value)} for kind, value in added]},
        )
        _cluster(session, case, actor=actor)
    return case


def add_evidence(session: Session, *, case_id: int, evidence: Sequence[dict[str, Any]], actor: str) -> Case:
    case = get(session, case_id)
    if case.state == CaseState.closed.value:
        raise Conflict(f"case {case_id} is closed; reopen it first", zh=f"案件 {case_id} 已结案，请先重开")
    for item in evidence:
        if _add_evidence(session, case, item, actor=actor):
            audit.record(
                session,
                actor=actor,
                action="case.evidence.add",
                object_type="case",
                object_id=str(case_id),
                after={"hash": str(item["hash"]).lower(), "type": item["type"], "uri": item.get("uri", "")},
            )
    return case


def _link_keys(session: Session, case_id: int) -> set[tuple[str, str]]:
    return {
        (kind, value)
        for kind, value, role in CaseRepository(session).link_rows(case_id)
        if kind in STRONG_LINKS and role != "counterparty"
    }


def _cluster(session: Session, case: Case, *, actor: str) -> None:
    """Put cases that share a strong link (account, device, payment account, phone, ID) in one cluster."""
    repository = CaseRepository(session)
    own = _link_keys(session, case.id)
    others = repository.cases_sharing(own, exclude=case.id)
    # Only subjects in the same role family link: a victim named as counterparty links nothing.
    others = [other for other in others if _link_keys(session, other.id) & own]
    if not others:
        return
    clusters = {other.cluster_id or other.id for other in others} | {case.cluster_id or case.id}
    target = min(clusters)
    if case.cluster_id == target and all(other.cluster_id == target for other in others):
        return
    repository.merge_clusters([case.id, *[other.id for other in others]], sorted(clusters), target)
    session.refresh(case)
    audit.record(
        session,
        actor=actor,
        action="case.cluster",
        object_type="case",
        object_id=str(case.id),
        after={"cluster_id": target, "linked": sorted(other.id for other in others)},
    )


def cluster_of(session: Session, case_id: int) -> list[Case]:
    case = get(session, case_id)
    if case.cluster_id is None:
        return [case]
    return CaseRepository(session).search(
        state=None, queue=None, cluster_id=case.cluster_id, unclaimed_at=None, limit=1000, offset=0
    )


# ---- the bus: decisions open or join cases ----------------------------------------------------------


def open_or_join_for_decision(
    session: Session,
    *,
    event_id: str,
    event_type: str,
    decision: str,
    score: int,
    rules: Sequence[str],
    entities: Sequence[dict[str, str]],
    legal_basis: Sequence[str],
    rule_version: str | None,
    decided_at: datetime,
    actor: str,
) -> Case | None:
    """A review or block decision opens a case for its acting account, or joins the one already open."""
    if decision not in ("review", "block"):
        return None
    repository = CaseRepository(session)
    if repository.by_source(SourceType.decision.value, event_id) is not None:
        return None  # delivered twice: the case is already there
    known = {kind.value for kind in SubjectType}
    subjects = [
        Subject(SubjectType(item["type"]), item["value"], item.get("role", ""))
        for item in entities
        if item.get("type") in known and item.get("value")
    ]
    actor_account = next((s.value for s in subjects if s.type is SubjectType.account and s.role == "actor"), None)
    priority = Priority.P1 if decision == "block" else Priority.P2
    digest = hashlib.sha256(
        orjson.dumps(
            {"event_id": event_id, "decision": decision, "rules": list(rules), "score": score},
            option=orjson.OPT_SORT_KEYS,
        )
    ).hexdigest()
    evidence = {
        "hash": digest,
        "type": "decision",
        "uri": f"fanzha:decision/{event_id}",
        "description": f"{event_type} decided {decision} by {', '.join(rules) or 'score'}",
        "captured_at": decided_at,
    }
    existing = None
    if actor_account is not None:
        existing = repository.open_case_for_subject(
            SubjectType.account.value,
            actor_account,
            states=[state.value for state in OPEN],
            source_type=SourceType.decision.value,
        )
    if existing is None:
        return open_case(
            session,
            source_type=SourceType.decision,
            source_ref=event_id,
            subjects=subjects,
            evidence=[evidence],
            summary=f"{event_type} {decision}: {', '.join(rules) or 'score threshold'}",
            risk_score=score,
            priority=priority,
            legal_basis=sorted(set(legal_basis)),
            rules=sorted(set(rules)),
            actor=actor,
            rule_version=rule_version,
        )
    before = {"priority": existing.priority, "rules": existing.rules, "risk_score": existing.risk_score}
    added = _add_subjects(session, existing, subjects)
    _add_evidence(session, existing, evidence, actor=actor)
    existing.rules = sorted(set(existing.rules or []) | set(rules))
    existing.legal_basis = sorted(set(existing.legal_basis or []) | set(legal_basis))
    existing.risk_score = max(existing.risk_score, score)
    if priority.value < existing.priority:
        existing.priority = priority.value
        existing.sla_due_at = min(ensure_utc(existing.sla_due_at), ensure_utc(existing.received_at) + SLA[priority])
    existing.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="case.join",
        object_type="case",
        object_id=str(existing.id),
        before=before,
        after={
            "event_id": event_id,
            "priority": existing.priority,
            "rules": existing.rules,
            "risk_score": existing.risk_score,
            "new_subjects": len(added),
        },
    )
    if added:
        _cluster(session, existing, actor=actor)
    return existing


# ---- moving through the state machine ---------------------------------------------------------------


def _move(
    session: Session,
    case: Case,
    to: CaseState,
    *,
    actor: str,
    reason: str,
    from_states: Iterable[CaseState],
    conditions: Sequence[Any] = (),
    values: dict[str, Any] | None = None,
    audit_after: dict[str, Any] | None = None,
) -> None:
    before = case.state
    now = utcnow()
    allowed = [state.value for state in from_states]
    moved = CaseRepository(session).update_if(
        case.id,
        [Case.state.in_(allowed), *conditions],
        {"state": to.value, "updated_at": now, **(values or {})},
    )
    session.refresh(case)
    if not moved:
        raise Conflict(
            f"case {case.id} is {case.state}; it cannot move to {to.value} now",
            zh=f"案件 {case.id} 的状态为 {case.state}，当前不能转为 {to.value}",
        )
    CaseRepository(session).add(
        CaseTransition(case_id=case.id, from_state=before, to_state=to.value, actor=actor, at=now, reason=reason)
    )
    audit.record(
        session,
        actor=actor,
        action="case.transition",
        object_type="case",
        object_id=str(case.id),
        before={"state": before},
        after={"state": to.value, **(audit_after or {})},
        reason=reason,
    )
    if to in _ENDS:
        _announce_end(session, case)


def _announce_end(session: Session, case: Case) -> None:
    publish(
        session,
        topic=ENDED_TOPIC,
        key=str(case.id),
        payload={"case_id": case.id, "state": case.state, "source_type": case.source_type},
    )


def transition(session: Session, *, case_id: int, to: CaseState, actor: str, reason: str) -> Case:
    """A move a person asks for by name (triage, verify, escalate, close, reopen)."""
    case = get(session, case_id)
    current = CaseState(case.state)
    if to not in MANUAL.get(current, frozenset()):
        allowed = sorted(state.value for state in MANUAL.get(current, frozenset()))
        raise Conflict(
            f"case {case_id} is {current.value}; it cannot move to {to.value} by hand",
            details={"allowed": allowed},
            zh=f"案件 {case_id} 的状态为 {current.value}，不能手动转为 {to.value}",
        )
    values: dict[str, Any] = {}
    if to is CaseState.closed:
        pairs = close_problems(session, case)
        if pairs:
            problems = [english for english, _chinese in pairs]
            raise Conflict(
                f"case {case_id} cannot close yet: {'; '.join(problems)}",
                details={"problems": problems},
                zh=f"案件 {case_id} 暂不能结案：{'；'.join(chinese for _english, chinese in pairs)}",
            )
        values = {"claimed_by": None, "claim_expires_at": None}
    if to is CaseState.reopened:
        values = {"claimed_by": None, "claim_expires_at": None, "decided_by": None, "decided_at": None}
    _move(session, case, to, actor=actor, reason=reason, from_states=[current], values=values)
    return case


def close_problems(session: Session, case: Case) -> list[tuple[str, str]]:
    """Why the loop is not closed yet (D2-CASE-03), each as ``(English, Chinese)``; empty when the case may close."""
    problems: list[tuple[str, str]] = []
    open_subjects = [s for s in CaseRepository(session).subjects(case.id) if s.outcome is None]
    if open_subjects:
        problems.append(
            (f"{len(open_subjects)} subject(s) have no outcome", f"{len(open_subjects)} 个涉案对象尚无处理结果")
        )
    if case.feedback_owed and case.feedback_sent_at is None:
        problems.append(("feedback is owed to the originator and not sent", "尚未向来源方反馈，反馈义务未完成"))
    waiting = [m.id for m in measures.for_case(session, case.id) if m.state == MeasureState.pending_approval.value]
    if waiting:
        problems.append((f"measure(s) {waiting} await approval", f"处置措施 {waiting} 待复核"))
    return problems


def claim(session: Session, *, case_id: int, actor: str, minutes: int | None = None) -> Case:
    """Take a case for review; only one reviewer holds it until the claim expires or is released."""
    case = get(session, case_id)
    now = utcnow()
    held_until = now + timedelta(minutes=minutes or _claim_minutes(session, case))
    claimed = CaseRepository(session).update_if(
        case_id,
        [
            Case.state.in_([state.value for state in OPEN]),
            (Case.claimed_by.is_(None)) | (Case.claim_expires_at <= now) | (Case.claimed_by == actor),
        ],
        {"claimed_by": actor, "claim_expires_at": held_until, "assignee": actor, "updated_at": now},
    )
    session.refresh(case)
    if not claimed:
        if case.state not in OPEN:
            raise Conflict(
                f"case {case_id} is {case.state}; only open cases can be claimed",
                zh=f"案件 {case_id} 的状态为 {case.state}；只能领取未结的案件",
            )
        raise Conflict(
            f"case {case_id} is held by {case.claimed_by} until {iso_or_none(case.claim_expires_at)}",
            zh=f"案件 {case_id} 已由 {case.claimed_by} 领取，至 {iso_or_none(case.claim_expires_at)}",
        )
    audit.record(
        session,
        actor=actor,
        action="case.claim",
        object_type="case",
        object_id=str(case_id),
        after={"claimed_by": actor, "claim_expires_at": iso_or_none(held_until)},
    )
    return case


def claim_next(session: Session, *, queue: str, actor: str) -> Case | None:
    """Claim the most urgent unclaimed open case in ``queue`` (None when the queue is empty)."""
    now = utcnow()
    candidates = CaseRepository(session).search(
        state=[state.value for state in OPEN], queue=queue, cluster_id=None, unclaimed_at=now, limit=20, offset=0
    )
    for candidate in candidates:
        try:
            return claim(session, case_id=candidate.id, actor=actor)
        except Conflict:
            continue  # someone else took it a moment ago: try the next
    return None


def release(session: Session, *, case_id: int, actor: str) -> Case:
    case = get(session, case_id)
    released = CaseRepository(session).update_if(
        case_id,
        [Case.claimed_by == actor],
        {"claimed_by": None, "claim_expires_at": None, "updated_at": utcnow()},
    )
    session.refresh(case)
    if not released:
        raise Conflict(f"case {case_id} is not held by you", zh=f"案件 {case_id} 不是由您领取的")
    audit.record(session, actor=actor, action="case.release", object_type="case", object_id=str(case_id))
    return case


def _targets(session: Session, case: Case, *, cluster: bool) -> list[str]:
    cases = cluster_of(session, case.id) if cluster else [case]
    accounts: list[str] = []
    for item in cases:
        for subject in CaseRepository(session).subjects(item.id):
            if subject.type == SubjectType.account.value and subject.role != "counterparty":
                if subject.value not in accounts:
                    accounts.append(subject.value)
    return accounts


def decide(session: Session, *, case_id: int, actor: str, decision: CaseDecision) -> measures.Outcome:
    """Decide a case the caller holds: record the reason, apply the measures, give every subject an outcome."""
    case = get(session, case_id)
    now = utcnow()
    if case.state in OPEN and case.claimed_by != actor:
        raise Conflict(
            f"claim case {case_id} before deciding it (held by {case.claimed_by or 'nobody'})",
            zh=f"请先领取案件 {case_id} 再作出决定（当前领取人：{case.claimed_by or '无'}）",
        )
    _move(
        session,
        case,
        CaseState.decided,
        actor=actor,
        reason=decision.reason,
        from_states=OPEN,
        conditions=[Case.claimed_by == actor, Case.claim_expires_at > now],
        values={
            "decided_by": actor,
            "decided_at": now,
            "claimed_by": None,
            "claim_expires_at": None,
            "fraud_type": decision.fraud_type or case.fraud_type,
            "legal_basis": sorted(set(case.legal_basis or []) | set(decision.legal_basis)),
        },
        audit_after={"outcome": decision.outcome, "measures": len(decision.measures)},
    )
    outcome = measures.Outcome()
    actioned: set[tuple[str, str]] = set()
    for spec in decision.measures:
        accounts = [spec.account_id] if spec.account_id else _targets(session, case, cluster=decision.cluster)
        if not accounts:
            raise InvalidInput(
                "the case names no account: give account_id for each measure",
                zh="案件未涉及任何账号：请为每项处置措施提供 account_id",
            )
        for account_id in accounts:
            outcome.extend(
                measures.propose(
                    session,
                    account_id=account_id,
                    spec=spec,
                    reason=decision.reason,
                    legal_basis=list(case.legal_basis or []),
                    rules=list(case.rules or []),
                    case_id=case.id,
                    automated=False,
                    actor=actor,
                    withhold=decision.withhold_statement,
                )
            )
            actioned.add((SubjectType.account.value, account_id))
            actioned.update(
                (key.type.value, normalise_subject(SubjectType(key.type.value), key.value)) for key in spec.keys
            )
    _set_outcomes(session, case, actioned, cluster=decision.cluster)
    _advance(session, case, actor=actor)
    return outcome


def _set_outcomes(session: Session, case: Case, actioned: set[tuple[str, str]], *, cluster: bool) -> None:
    repository = CaseRepository(session)
    now = utcnow()
    keys = repository.subject_keys(case.id)
    repository.set_outcomes(case.id, {key: "actioned" if key in actioned else "no_action" for key in keys}, now)
    if cluster:
        for other in cluster_of(session, case.id):
            if other.id != case.id:
                shared = repository.subject_keys(other.id) & actioned
                repository.set_outcomes(other.id, dict.fromkeys(shared, f"actioned_in_case_{case.id}"), now)


def _advance(session: Session, case: Case, *, actor: str) -> None:
    """decided -> actioned -> notified once no measure of the case awaits approval and some are in force."""
    if case.state != CaseState.decided.value:
        return
    taken = measures.for_case(session, case.id)
    if any(m.state == MeasureState.pending_approval.value for m in taken):
        return
    applied = [m for m in taken if m.state not in (MeasureState.rejected.value, MeasureState.pending_approval.value)]
    if not applied:
        return
    _move(
        session,
        case,
        CaseState.actioned,
        actor=actor,
        reason=f"{len(applied)} measure(s) in force",
        from_states=[CaseState.decided],
    )
    withheld = 0
    for measure in applied:
        statement = measures.statement_for(session, measure.id)
        if statement is not None and statement.state == "withheld":
            withheld += 1
    _move(
        session,
        case,
        CaseState.notified,
        actor=actor,
        reason=f"statements issued for {len(applied) - withheld} measure(s), withheld for {withheld}",
        from_states=[CaseState.actioned],
    )


def approve_measure(session: Session, *, measure_id: int, actor: str, reason: str) -> measures.Outcome:
    """Four-eyes approval of an irreversible measure; its case moves on when nothing else waits."""
    outcome = measures.approve(session, measure_id=measure_id, actor=actor, reason=reason)
    _after_review(session, outcome.measures[0], actor=actor)
    return outcome


def reject_measure(session: Session, *, measure_id: int, actor: str, reason: str) -> Measure:
    measure = measures.reject(session, measure_id=measure_id, actor=actor, reason=reason)
    _after_review(session, measure, actor=actor)
    return measure


def _after_review(session: Session, measure: Measure, *, actor: str) -> None:
    if measure.case_id is not None:
        case = get(session, measure.case_id)
        _advance(session, case, actor=actor)
        if case.state == CaseState.decided.value and not any(
            m.state == MeasureState.pending_approval.value for m in measures.for_case(session, case.id)
        ):
            # Every proposed measure was rejected: the case stays decided, and its outcome is now known.
            _announce_end(session, case)


def record_feedback(session: Session, *, case_id: int, actor: str, note: str) -> Case:
    """The feedback owed to the originator (police, reporter) has been sent."""
    case = get(session, case_id)
    now = utcnow()
    if not CaseRepository(session).update_if(
        case_id, [Case.feedback_sent_at.is_(None)], {"feedback_sent_at": now, "updated_at": now}
    ):
        raise Conflict(f"feedback for case {case_id} was already recorded", zh=f"案件 {case_id} 的反馈已记录")
    session.refresh(case)
    audit.record(
        session,
        actor=actor,
        action="case.feedback",
        object_type="case",
        object_id=str(case_id),
        after={"feedback_sent_at": iso_or_none(now)},
        reason=note,
    )
    return case


def escalate_overdue(session: Session, *, now: datetime | None = None, limit: int = 500) -> int:
    """Open cases past their SLA move to ``escalated`` (senior reviewers watch that state)."""
    now = now or utcnow()
    waiting = [state.value for state in OPEN if state is not CaseState.escalated]
    escalated = 0
    for case in CaseRepository(session).overdue(states=waiting, at=now, limit=limit):
        try:
            _move(
                session,
                case,
                CaseState.escalated,
                actor=SLA_ACTOR,
                reason=f"SLA passed ({case.priority}, due {iso_or_none(case.sla_due_at)})",
                from_states=[CaseState(case.state)],
                values={"claimed_by": None, "claim_expires_at": None},
            )
            escalated += 1
        except Conflict:
            continue  # moved by someone in the meantime
    return escalated


# ---- appeals move the case too ----------------------------------------------------------------------

_APPEALABLE = (CaseState.actioned, CaseState.notified, CaseState.closed, CaseState.upheld, CaseState.reversed)


def appeal_opened(session: Session, *, case_id: int, actor: str, reason: str) -> None:
    case = get(session, case_id)
    if CaseState(case.state) in _APPEALABLE:
        _move(session, case, CaseState.appealed, actor=actor, reason=reason, from_states=[CaseState(case.state)])


def appeal_in_review(session: Session, *, case_id: int, actor: str, reason: str) -> None:
    case = get(session, case_id)
    if case.state == CaseState.appealed.value:
        _move(session, case, CaseState.appeal_review, actor=actor, reason=reason, from_states=[CaseState.appealed])


def appeal_decided(session: Session, *, case_id: int, overturned: bool, actor: str, reason: str) -> None:
    case = get(session, case_id)
    to = CaseState.reversed if overturned else CaseState.upheld
    if case.state in (CaseState.appealed.value, CaseState.appeal_review.value):
        _move(session, case, to, actor=actor, reason=reason, from_states=[CaseState(case.state)])


# ---- reading ----------------------------------------------------------------------------------------


def search(
    session: Session,
    *,
    state: Sequence[str] | None,
    queue: str | None,
    cluster_id: int | None,
    limit: int,
    offset: int,
) -> list[Case]:
    return CaseRepository(session).search(
        state=state, queue=queue, cluster_id=cluster_id, unclaimed_at=None, limit=limit, offset=offset
    )


@dataclass(frozen=True, slots=True)
class QueueLoad:
    """How much waits in one queue: open cases, of them unclaimed, of them past their SLA."""

    queue: str
    open: int
    unclaimed: int
    overdue: int


def queue_load(session: Session, *, now: datetime | None = None) -> list[QueueLoad]:
    """Every queue that has open cases (or is configured), with its load; routing order, then name."""
    repository = CaseRepository(session)
    counts = {
        name: QueueLoad(name, total, unclaimed, overdue)
        for name, total, unclaimed, overdue in repository.queue_load(
            states=[state.value for state in OPEN], at=now or utcnow()
        )
    }
    ordered = [queue.name for queue in repository.queues()]
    names = [*ordered, *sorted(set(counts) - set(ordered))]
    return [counts.get(name, QueueLoad(name, 0, 0, 0)) for name in names]


def held_by(session: Session, *, actor: str, limit: int = 100) -> list[Case]:
    """The cases ``actor`` holds a live claim on."""
    return CaseRepository(session).held_by(actor, at=utcnow(), limit=limit)


def with_subject(session: Session, *, kind: SubjectType, value: str, limit: int = 100) -> list[Case]:
    """Cases naming ``value`` (in its canonical spelling) as a subject of type ``kind``, newest first."""
    found = CaseRepository(session).cases_sharing([(kind.value, normalise_subject(kind, value))], exclude=0)
    return sorted(found, key=lambda item: item.id, reverse=True)[:limit]


def detail(session: Session, case: Case, *, reveal: bool) -> dict[str, Any]:
    """A case with its subjects, evidence, transitions and measures; personal data masked unless ``reveal``."""
    repository = CaseRepository(session)
    subjects = [
        {
            "type": s.type,
            "value": s.value if reveal else mask(s.type, s.value),
            "role": s.role,
            "outcome": s.outcome,
            "outcome_at": s.outcome_at,
        }
        for s in repository.subjects(case.id)
    ]
    return {
        **{column: getattr(case, column) for column in _CASE_COLUMNS},
        "subjects": subjects,
        "evidence": [
            {column: getattr(e, column) for column in _EVIDENCE_COLUMNS} for e in repository.evidence(case.id)
        ],
        "transitions": [
            {column: getattr(t, column) for column in _TRANSITION_COLUMNS} for t in repository.transitions(case.id)
        ],
        "measures": [measures.to_dict(m, reveal=reveal) for m in measures.for_case(session, case.id)],
    }


def record_reveal(session: Session, *, actor: str, object_type: str, object_id: str, reason: str | None) -> None:
    """Reading unmasked personal data is itself a recorded act."""
    audit.record(
        session, actor=actor, action="personal_data.reveal", object_type=object_type, object_id=object_id, reason=reason
    )


_CASE_COLUMNS = (
    "id",
    "source_type",
    "source_ref",
    "received_at",
    "summary",
    "fraud_type",
    "risk_score",
    "priority",
    "sla_due_at",
    "state",
    "queue",
    "assignee",
    "claimed_by",
    "claim_expires_at",
    "legal_basis",
    "rules",
    "cluster_id",
    "feedback_owed",
    "feedback_sent_at",
    "decided_by",
    "decided_at",
    "updated_at",
)
_EVIDENCE_COLUMNS = ("id", "hash", "type", "uri", "description", "captured_at", "added_by", "added_at")
_TRANSITION_COLUMNS = ("from_state", "to_state", "actor", "at", "reason", "rule_version")
