"""The disposal ladder: propose, approve, activate, lift and expire measures; statements; strikes;
re-verification. Every change is audited and announced on the bus (``restrictions.changed``).

A measure is born ``pending_approval``; reversible kinds are activated in the same call, the
irreversible ones (close, ban re-registration) wait for a second person (:func:`approve`).
Every state move is a conditional update on the current state, so two people acting at once
cannot both succeed. :func:`propose_many` proposes a batch (a police notice's accounts) with the
outcome of one :func:`propose` per item and a fixed number of statements per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from fanzha.audit import service as audit
from fanzha.auth.masking import mask
from fanzha.bus.dispatcher import publish, publish_many
from fanzha.kit.clock import ensure_utc, iso_or_none, utcnow
from fanzha.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from fanzha.lists import service as lists_service
from fanzha.lists.kinds import InvalidListValue, normalize_value
from fanzha.lists.service import EntryChange
from fanzha.measures import statements
from fanzha.measures.models import Measure, ReverifyTask, Statement, Strike
from fanzha.measures.repository import ActiveMeasure, MeasureRepository
from fanzha.measures.schemas import MeasureSpec, Withholding
from fanzha.measures.vocabulary import (
    ALL_FUNCTIONS,
    BAN_LISTS,
    IRREVERSIBLE,
    ITEM_KINDS,
    PENDING_VERIFICATION_FUNCTIONS,
    STRIKE_WEIGHTS,
    STRIKE_WINDOW_DAYS,
    BanKey,
    MeasureKind,
    MeasureState,
)

RESTRICTIONS_TOPIC = "restrictions.changed"
STATEMENT_TOPIC = "statement.issued"
LADDER_ACTOR = "system:ladder"
EXPIRY_ACTOR = "system:expiry"


@dataclass
class Outcome:
    """What a call did: the measures it touched and the list entries it changed (for the in-memory index)."""

    measures: list[Measure] = field(default_factory=list)
    list_changes: list[EntryChange] = field(default_factory=list)

    def extend(self, other: Outcome) -> None:
        self.measures.extend(other.measures)
        self.list_changes.extend(other.list_changes)


def get(session: Session, measure_id: int) -> Measure:
    measure = MeasureRepository(session).get(measure_id)
    if measure is None:
        raise NotFound(f"no measure {measure_id}", zh=f"处置措施 {measure_id} 不存在")
    return measure


def _state(measure: Measure) -> dict[str, Any]:
    return {
        "account_id": measure.account_id,
        "kind": measure.kind,
        "state": measure.state,
        "functions": measure.functions,
        "item_id": measure.item_id,
        "keys": [{"type": key["type"], "value": mask(key["type"], key["value"])} for key in measure.keys or []],
        "starts_at": iso_or_none(measure.starts_at),
        "ends_at": iso_or_none(measure.ends_at),
        "case_id": measure.case_id,
    }


# ---- the ladder -------------------------------------------------------------------------------------


def strike_points(session: Session, account_id: str, *, now: datetime | None = None) -> int:
    since = (now or utcnow()) - timedelta(days=STRIKE_WINDOW_DAYS)
    return MeasureRepository(session).strike_points(account_id, since)


def ladder_step(points: int) -> MeasureSpec:
    """The next measure for an account with ``points`` strikes in the window (D2-DISP-02)."""
    if points == 0:
        return MeasureSpec(kind=MeasureKind.warn)
    if points < 3:
        return MeasureSpec(kind=MeasureKind.restrict, functions=["send_links", "add_friend"], duration_hours=24 * 7)
    if points < 6:
        return MeasureSpec(kind=MeasureKind.suspend, duration_hours=24 * 30)
    return MeasureSpec(kind=MeasureKind.close)


# ---- proposing and activating -----------------------------------------------------------------------


def _normalise_keys(spec: MeasureSpec) -> list[dict[str, str]]:
    keys = []
    for key in spec.keys:
        _list_name, kind, _description = BAN_LISTS[key.type]
        try:
            value = normalize_value(kind, key.value)
        except InvalidListValue as error:
            raise InvalidInput(
                str(error), details=[{"field": "keys", "type": key.type.value}], zh=error.message_zh
            ) from None
        keys.append({"type": key.type.value, "value": value})
    return keys


def _check_withholding(withhold: Withholding | None, now: datetime) -> None:
    if withhold is not None and ensure_utc(withhold.review_at) <= now:
        raise InvalidInput(
            "the review date of a withheld statement must be in the future",
            details=[{"field": "review_at"}],
            zh="暂缓送达的告知书，其复查日期必须是将来的时间",
        )


def _new_measure(
    *,
    account_id: str,
    spec: MeasureSpec,
    reason: str,
    legal_basis: Sequence[str],
    rules: Sequence[str],
    case_id: int | None,
    automated: bool,
    actor: str,
    now: datetime,
) -> Measure:
    """A measure as proposed (``pending_approval``) from a spec whose ladder step is already chosen."""
    return Measure(
        case_id=case_id,
        account_id=account_id,
        kind=MeasureKind(spec.kind).value,
        functions=sorted(set(spec.functions)),
        keys=_normalise_keys(spec),
        item_id=spec.item_id,
        reason=reason,
        facts=spec.facts,
        legal_basis=list(legal_basis),
        rules=list(rules),
        automated=automated,
        state=MeasureState.pending_approval.value,
        duration_seconds=None if spec.duration_hours is None else int(spec.duration_hours * 3600),
        deadline=None if spec.deadline_hours is None else now + timedelta(hours=spec.deadline_hours),
        proposed_by=actor,
        created_at=now,
        # Every column given, even when empty: rows of one shape go into one multi-row INSERT.
        starts_at=None,
        ends_at=None,
        approved_by=None,
        lifted_at=None,
        lift_reason=None,
    )


def _pending_statement(measure: Measure, withhold: Withholding | None, *, now: datetime) -> Statement:
    """The statement of a measure not yet in effect: written when the measure takes effect."""
    return Statement(
        measure_id=measure.id,
        account_id=measure.account_id,
        state="pending",
        fields={},
        text_zh="",
        text_en="",
        automated=measure.automated,
        appeal_deadline=now + statements.APPEAL_WINDOW,
        template_version=statements.TEMPLATE_VERSION,
        withheld_reason=None if withhold is None else withhold.legal_reason,
        review_at=None if withhold is None else ensure_utc(withhold.review_at),
        created_at=now,
        issued_at=None,
    )


def propose(
    session: Session,
    *,
    account_id: str,
    spec: MeasureSpec,
    reason: str,
    legal_basis: list[str],
    rules: list[str],
    case_id: int | None,
    automated: bool,
    actor: str,
    withhold: Withholding | None = None,
    counts_as_strike: bool = True,
) -> Outcome:
    """Create a measure; activate it at once unless it is irreversible (then it awaits approval)."""
    now = utcnow()
    if spec.kind == "ladder":
        spec = ladder_step(strike_points(session, account_id, now=now)).model_copy(update={"facts": spec.facts})
    kind = MeasureKind(spec.kind)
    _check_withholding(withhold, now)
    measure = _new_measure(
        account_id=account_id,
        spec=spec,
        reason=reason,
        legal_basis=legal_basis,
        rules=rules,
        case_id=case_id,
        automated=automated,
        actor=actor,
        now=now,
    )
    repository = MeasureRepository(session)
    repository.add(measure)
    repository.add(_pending_statement(measure, withhold, now=now))
    if kind in IRREVERSIBLE:
        audit.record(
            session,
            actor=actor,
            action="measure.propose",
            object_type="measure",
            object_id=str(measure.id),
            after=_state(measure),
            reason=reason,
        )
        return Outcome([measure])
    return _activate(session, measure, actor=actor, approved_by=None, reason=reason, counts_as_strike=counts_as_strike)


def _ends_at(measure: Measure, start: datetime) -> datetime | None:
    return None if measure.duration_seconds is None else start + timedelta(seconds=measure.duration_seconds)


def _activate(
    session: Session,
    measure: Measure,
    *,
    actor: str,
    approved_by: str | None,
    reason: str,
    counts_as_strike: bool = True,
) -> Outcome:
    now = utcnow()
    repository = MeasureRepository(session)
    ends_at = _ends_at(measure, now)
    moved = repository.move(
        measure.id,
        from_states=[MeasureState.pending_approval.value],
        values={"state": MeasureState.active.value, "starts_at": now, "ends_at": ends_at, "approved_by": approved_by},
    )
    if not moved:
        raise Conflict(f"measure {measure.id} is no longer awaiting approval", zh=f"处置措施 {measure.id} 已不再待复核")
    session.refresh(measure)
    kind = MeasureKind(measure.kind)
    weight = STRIKE_WEIGHTS[kind]
    if counts_as_strike and weight:
        repository.add(Strike(account_id=measure.account_id, measure_id=measure.id, weight=weight, at=now))
    outcome = Outcome([measure])
    if kind is MeasureKind.ban_reregistration:
        outcome.list_changes.extend(_add_ban_entries(session, measure, actor=actor))
    audit.record(
        session,
        actor=actor,
        action="measure.activate",
        object_type="measure",
        object_id=str(measure.id),
        before={"state": MeasureState.pending_approval.value},
        after=_state(measure),
        reason=reason,
    )
    _issue_statement(session, measure, now=now, actor=actor)
    _announce(session, measure, change="applied", now=now)
    return outcome


def _columns(row: Measure | Statement) -> dict[str, Any]:
    """A new row's column values (all but its id) for a multi-row INSERT."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns if column.key != "id"}


@dataclass(frozen=True, slots=True)
class Proposal:
    """One measure for :func:`propose_many`: the arguments :func:`propose` takes besides the session and actor."""

    account_id: str
    spec: MeasureSpec
    reason: str
    legal_basis: Sequence[str]
    rules: Sequence[str]
    case_id: int | None
    automated: bool
    withhold: Withholding | None = None
    counts_as_strike: bool = True


def propose_many(session: Session, proposals: Sequence[Proposal], *, actor: str) -> list[Outcome]:
    """Propose many measures at once: the outcome of one :func:`propose` per item, in order.

    The same rows come out (measures, statements of reasons, strikes, outbox messages, one audit
    entry per measure and per statement, chained in the same order), as do ladder steps and
    restrictions answers: an account named twice climbs the ladder between its two items, and the
    announcement of its second measure lists the first. Irreversible measures wait for a second
    person as they do one by one. What differs is the cost: the strikes and the measures in force of
    all the accounts are read with one query each, every table is written with one batched INSERT
    (an executemany on SQLite, multi-row INSERTs on PostgreSQL), and the audit entries are chained
    in Python (:func:`fanzha.audit.service.record_many`): about a dozen statements a batch. A
    measure is written directly in the state its one-by-one twin reaches at the end of the call
    (active, or pending approval), and every item shares one ``now``.

    Returns one :class:`Outcome` per proposal. Their ``list_changes`` are always empty: only a
    re-registration ban changes lists, and a ban is irreversible, so it waits for :func:`approve`.
    """
    if not proposals:
        return []
    now = utcnow()
    for proposal in proposals:
        _check_withholding(proposal.withhold, now)
    repository = MeasureRepository(session)
    accounts = list(dict.fromkeys(proposal.account_id for proposal in proposals))
    points: dict[str, int] = {}
    if any(proposal.spec.kind == "ladder" for proposal in proposals):
        points = repository.strike_points_many(accounts, now - timedelta(days=STRIKE_WINDOW_DAYS))
    in_force = repository.in_force_many(accounts, now)

    # Walk the batch in order as propose() would, carrying each account's strike points forward.
    drafts: list[Measure] = []  # transient: their column values go in as one batch
    for proposal in proposals:
        spec = proposal.spec
        if spec.kind == "ladder":
            step = ladder_step(points.get(proposal.account_id, 0))
            spec = step.model_copy(update={"facts": spec.facts})
        measure = _new_measure(
            account_id=proposal.account_id,
            spec=spec,
            reason=proposal.reason,
            legal_basis=proposal.legal_basis,
            rules=proposal.rules,
            case_id=proposal.case_id,
            automated=proposal.automated,
            actor=actor,
            now=now,
        )
        kind = MeasureKind(measure.kind)
        if kind not in IRREVERSIBLE:
            measure.state = MeasureState.active.value
            measure.starts_at = now
            measure.ends_at = _ends_at(measure, now)
            if proposal.counts_as_strike and STRIKE_WEIGHTS[kind]:
                points[proposal.account_id] = points.get(proposal.account_id, 0) + STRIKE_WEIGHTS[kind]
        drafts.append(measure)
    measures = repository.insert_measures([_columns(measure) for measure in drafts])

    written = []  # transient too, given their ids once inserted
    for proposal, measure in zip(proposals, measures, strict=True):
        statement = _pending_statement(measure, proposal.withhold, now=now)
        if measure.state == MeasureState.active.value:
            _write_statement(statement, measure, now=now)
        written.append(statement)
    for statement, statement_id in zip(
        written, repository.insert_statements([_columns(statement) for statement in written]), strict=True
    ):
        statement.id = statement_id
    repository.insert_strikes(
        [
            {"account_id": measure.account_id, "measure_id": measure.id, "weight": weight, "at": now}
            for proposal, measure in zip(proposals, measures, strict=True)
            if measure.state == MeasureState.active.value
            and proposal.counts_as_strike
            and (weight := STRIKE_WEIGHTS[MeasureKind(measure.kind)])
        ]
    )

    entries: list[audit.Draft] = []
    messages: list[tuple[str, str, dict[str, Any]]] = []
    outcomes: list[Outcome] = []
    for proposal, measure, statement in zip(proposals, measures, written, strict=True):
        outcomes.append(Outcome([measure]))
        if measure.state != MeasureState.active.value:
            entries.append(
                audit.Draft(
                    actor=actor,
                    action="measure.propose",
                    object_type="measure",
                    object_id=str(measure.id),
                    after=_state(measure),
                    reason=proposal.reason,
                )
            )
            continue
        entries.append(
            audit.Draft(
                actor=actor,
                action="measure.activate",
                object_type="measure",
                object_id=str(measure.id),
                before={"state": MeasureState.pending_approval.value},
                after=_state(measure),
                reason=proposal.reason,
            )
        )
        entries.append(_statement_entry(actor, measure, statement))
        if statement.state != "withheld":
            messages.append((STATEMENT_TOPIC, statement.account_id, _statement_payload(statement)))
        active = in_force.setdefault(measure.account_id, [])
        active.append(
            ActiveMeasure(measure.id, measure.kind, list(measure.functions), measure.item_id, measure.ends_at)
        )
        answer = restrictions_of(measure.account_id, active, now=now)
        messages.append(
            (
                RESTRICTIONS_TOPIC,
                measure.account_id,
                _restrictions_payload(measure, change="applied", now=now, answer=answer),
            )
        )
    audit.record_many(session, entries)
    publish_many(session, messages)
    return outcomes


def approve(session: Session, *, measure_id: int, actor: str, reason: str) -> Outcome:
    """The second pair of eyes: someone other than the proposer makes an irreversible measure take effect."""
    measure = get(session, measure_id)
    if measure.state != MeasureState.pending_approval.value:
        raise Conflict(
            f"measure {measure_id} is {measure.state}, not awaiting approval",
            zh=f"处置措施 {measure_id} 的状态为 {measure.state}，不是待复核",
        )
    if measure.proposed_by == actor:
        raise Forbidden(
            "an irreversible measure needs a second person: you proposed this one",
            zh="不可逆的处置措施须由第二人复核：本措施由您提出",
        )
    return _activate(session, measure, actor=actor, approved_by=actor, reason=reason)


def reject(session: Session, *, measure_id: int, actor: str, reason: str) -> Measure:
    measure = get(session, measure_id)
    repository = MeasureRepository(session)
    if not repository.move(
        measure_id,
        from_states=[MeasureState.pending_approval.value],
        values={"state": MeasureState.rejected.value, "lifted_at": utcnow(), "lift_reason": reason},
    ):
        raise Conflict(
            f"measure {measure_id} is {measure.state}, not awaiting approval",
            zh=f"处置措施 {measure_id} 的状态为 {measure.state}，不是待复核",
        )
    session.refresh(measure)
    statement = repository.statement_for(measure_id)
    if statement is not None:
        repository.move_statement(statement.id, from_state="pending", values={"state": "cancelled"})
    audit.record(
        session,
        actor=actor,
        action="measure.reject",
        object_type="measure",
        object_id=str(measure_id),
        before={"state": MeasureState.pending_approval.value},
        after={"state": measure.state},
        reason=reason,
    )
    return measure


def lift(
    session: Session,
    *,
    measure_id: int,
    actor: str,
    reason: str,
    to_state: MeasureState = MeasureState.lifted,
    from_states: tuple[MeasureState, ...] = (MeasureState.active,),
) -> Outcome:
    """End a measure now (lifted, expired, reversed on appeal, rectified, lapsed); restrictions follow at once."""
    measure = get(session, measure_id)
    before = measure.state
    now = utcnow()
    repository = MeasureRepository(session)
    if not repository.move(
        measure_id,
        from_states=[state.value for state in from_states],
        values={"state": to_state.value, "lifted_at": now, "lift_reason": reason},
    ):
        raise Conflict(
            f"measure {measure_id} is {measure.state}; it cannot become {to_state.value}",
            zh=f"处置措施 {measure_id} 的状态为 {measure.state}，不能转为 {to_state.value}",
        )
    session.refresh(measure)
    outcome = Outcome([measure])
    if to_state is MeasureState.reversed:
        repository.void_strike(measure_id, now)
    if measure.kind == MeasureKind.ban_reregistration.value:
        outcome.list_changes.extend(_remove_ban_entries(session, measure, actor=actor))
    audit.record(
        session,
        actor=actor,
        action=f"measure.{to_state.value}" if to_state is not MeasureState.lifted else "measure.lift",
        object_type="measure",
        object_id=str(measure_id),
        before={"state": before},
        after={"state": measure.state, "lifted_at": iso_or_none(now)},
        reason=reason,
    )
    _announce(session, measure, change=to_state.value, now=now)
    return outcome


def expire_due(session: Session, *, now: datetime | None = None, limit: int = 500) -> Outcome:
    """End every active measure whose term is over (the restrictions answer already ignores them)."""
    now = now or utcnow()
    outcome = Outcome()
    for measure in MeasureRepository(session).ending_by(now, limit=limit):
        outcome.extend(
            lift(session, measure_id=measure.id, actor=EXPIRY_ACTOR, reason="term ended", to_state=MeasureState.expired)
        )
    return outcome


def mark_rectified(session: Session, *, measure_id: int, actor: str, reason: str) -> Outcome:
    measure = get(session, measure_id)
    if measure.kind != MeasureKind.rectify.value:
        raise InvalidInput(
            f"measure {measure_id} is a {measure.kind}, not a rectification",
            zh=f"处置措施 {measure_id} 的类型为 {measure.kind}，不是整改",
        )
    return lift(session, measure_id=measure_id, actor=actor, reason=reason, to_state=MeasureState.rectified)


def lapse_overdue_rectifications(session: Session, *, now: datetime | None = None, limit: int = 200) -> Outcome:
    """A rectification not done by its deadline lapses and the account climbs the ladder."""
    now = now or utcnow()
    outcome = Outcome()
    for measure in MeasureRepository(session).rectify_overdue(now, limit=limit):
        outcome.extend(
            lift(
                session,
                measure_id=measure.id,
                actor=LADDER_ACTOR,
                reason="not rectified by the deadline",
                to_state=MeasureState.lapsed,
            )
        )
        outcome.extend(_escalate(session, measure.account_id, case_id=measure.case_id, why="rectification lapsed"))
    return outcome


def _escalate(session: Session, account_id: str, *, case_id: int | None, why: str) -> Outcome:
    return propose(
        session,
        account_id=account_id,
        spec=MeasureSpec(kind="ladder", facts=why),
        reason=why,
        legal_basis=["ATOFL-22"],
        rules=[],
        case_id=case_id,
        automated=True,
        actor=LADDER_ACTOR,
    )


# ---- re-registration bans on indicator lists --------------------------------------------------------


def _ban_until(session: Session, key: dict[str, str]) -> tuple[bool, datetime | None]:
    """Whether any active ban still covers ``key``, and until when (None: indefinitely)."""
    covering = [measure for measure in MeasureRepository(session).active_bans() if key in (measure.keys or [])]
    if not covering:
        return False, None
    if any(measure.ends_at is None for measure in covering):
        return True, None
    return True, max(ensure_utc(measure.ends_at) for measure in covering if measure.ends_at is not None)


def _add_ban_entries(session: Session, measure: Measure, *, actor: str) -> list[EntryChange]:
    changes = []
    for key in measure.keys or []:
        list_name, kind, description = BAN_LISTS[BanKey(key["type"])]
        lists_service.create_list(session, name=list_name, kind=kind, description=description, actor=actor)
        _covered, until = _ban_until(session, key)
        _entry, change = lists_service.add_entry(
            session,
            list_name=list_name,
            value=key["value"],
            reason=f"measure {measure.id}: {measure.reason}"[:2000],
            source=f"measure:{measure.id}",
            expires_at=until,
            actor=actor,
        )
        changes.append(change)
    return changes


def _remove_ban_entries(session: Session, measure: Measure, *, actor: str) -> list[EntryChange]:
    changes = []
    for key in measure.keys or []:
        list_name, _kind, _description = BAN_LISTS[BanKey(key["type"])]
        covered, until = _ban_until(session, key)
        try:
            if covered:
                _entry, change = lists_service.add_entry(
                    session,
                    list_name=list_name,
                    value=key["value"],
                    reason=f"still banned after measure {measure.id} ended",
                    source="measures",
                    expires_at=until,
                    actor=actor,
                )
            else:
                change = lists_service.remove_entry(
                    session, list_name=list_name, value=key["value"], actor=actor, reason=f"measure {measure.id} ended"
                )
        except NotFound:
            continue  # already gone (removed by hand or expired and cleaned): nothing to undo
        changes.append(change)
    return changes


# ---- statements and announcements -------------------------------------------------------------------


def _write_statement(statement: Statement, measure: Measure, *, now: datetime) -> bool:
    """Fill in the statement of a measure taking effect ``now``; True when it is withheld."""
    fields = statements.gather(
        account_id=measure.account_id,
        kind=MeasureKind(measure.kind),
        functions=measure.functions or [],
        item_id=measure.item_id,
        ban_key_types=[key["type"] for key in measure.keys or []],
        at=now,
        until=measure.ends_at if measure.kind != MeasureKind.rectify.value else measure.deadline,
        reason=measure.reason,
        facts=measure.facts,
        legal_basis=measure.legal_basis or [],
        automated=measure.automated,
    )
    withheld = statement.withheld_reason is not None
    statement.fields = fields.to_dict()
    statement.text_zh = statements.render_zh(fields)
    statement.text_en = statements.render_en(fields)
    statement.appeal_deadline = fields.appeal_deadline
    statement.automated = measure.automated
    statement.state = "withheld" if withheld else "issued"
    statement.issued_at = None if withheld else now
    return withheld


def _statement_entry(actor: str, measure: Measure, statement: Statement) -> audit.Draft:
    """The audit entry for a statement just issued or withheld."""
    return audit.Draft(
        actor=actor,
        action="statement.withhold" if statement.state == "withheld" else "statement.issue",
        object_type="statement",
        object_id=str(statement.id),
        after={
            "measure_id": measure.id,
            "state": statement.state,
            "review_at": iso_or_none(statement.review_at),
            "template_version": statement.template_version,
        },
        reason=statement.withheld_reason,
    )


def _issue_statement(session: Session, measure: Measure, *, now: datetime, actor: str) -> None:
    repository = MeasureRepository(session)
    statement = repository.statement_for(measure.id)
    if statement is None:
        return
    withheld = _write_statement(statement, measure, now=now)
    session.flush()
    entry = _statement_entry(actor, measure, statement)
    audit.record(
        session,
        actor=entry.actor,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        after=entry.after,
        reason=entry.reason,
    )
    if not withheld:
        _announce_statement(session, statement)


def _statement_payload(statement: Statement) -> dict[str, Any]:
    return {
        "statement_id": statement.id,
        "measure_id": statement.measure_id,
        "account_id": statement.account_id,
        "text_zh": statement.text_zh,
        "text_en": statement.text_en,
        "appeal_deadline": iso_or_none(statement.appeal_deadline),
    }


def _announce_statement(session: Session, statement: Statement) -> None:
    publish(session, topic=STATEMENT_TOPIC, key=statement.account_id, payload=_statement_payload(statement))


def release_statement(session: Session, *, statement_id: int, actor: str, reason: str) -> Statement:
    """Send a withheld statement now (the reason for withholding it has gone)."""
    repository = MeasureRepository(session)
    statement = repository.get_statement(statement_id)
    if statement is None:
        raise NotFound(f"no statement {statement_id}", zh=f"告知书 {statement_id} 不存在")
    now = utcnow()
    if not repository.move_statement(statement_id, from_state="withheld", values={"state": "issued", "issued_at": now}):
        raise Conflict(
            f"statement {statement_id} is {statement.state}, not withheld",
            zh=f"告知书 {statement_id} 的状态为 {statement.state}，不是暂缓送达",
        )
    session.refresh(statement)
    audit.record(
        session,
        actor=actor,
        action="statement.release",
        object_type="statement",
        object_id=str(statement_id),
        before={"state": "withheld"},
        after={"state": "issued"},
        reason=reason,
    )
    _announce_statement(session, statement)
    return statement


def get_statement(session: Session, statement_id: int) -> Statement:
    statement = MeasureRepository(session).get_statement(statement_id)
    if statement is None:
        raise NotFound(f"no statement {statement_id}", zh=f"告知书 {statement_id} 不存在")
    return statement


def statement_for(session: Session, measure_id: int) -> Statement | None:
    return MeasureRepository(session).statement_for(measure_id)


def list_statements(
    session: Session, *, account_id: str | None, state: str | None, review_due: bool, limit: int
) -> list[Statement]:
    return MeasureRepository(session).statements(
        account_id=account_id, state=state, review_due_by=utcnow() if review_due else None, limit=limit
    )


def _restrictions_payload(measure: Measure, *, change: str, now: datetime, answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "account_id": measure.account_id,
        "measure_id": measure.id,
        "kind": measure.kind,
        "change": change,
        "at": now.isoformat(),
        "restrictions": answer,
    }


def _announce(session: Session, measure: Measure, *, change: str, now: datetime) -> None:
    answer = restrictions(session, measure.account_id, now=now)
    publish(
        session,
        topic=RESTRICTIONS_TOPIC,
        key=measure.account_id,
        payload=_restrictions_payload(measure, change=change, now=now, answer=answer),
    )


# ---- what the platform reads --------------------------------------------------------------------------


def restrictions(session: Session, account_id: str, *, now: datetime | None = None) -> dict[str, Any]:
    """What ``account_id`` may not do right now, from one indexed query on the active measures."""
    measures = [
        ActiveMeasure(m.id, m.kind, list(m.functions or []), m.item_id, m.ends_at)
        for m in MeasureRepository(session).in_force(account_id, now or utcnow())
    ]
    return restrictions_of(account_id, measures, now=now)


def restrictions_of(
    account_id: str, measures: Sequence[ActiveMeasure], *, now: datetime | None = None
) -> dict[str, Any]:
    """The restrictions answer from an account's active measures (those past their end are skipped,
    even before the expiry job marks them)."""
    now = now or utcnow()
    functions: set[str] = set()
    closed = False
    suspended_until: datetime | None = None
    items: list[dict[str, Any]] = []
    listed: list[dict[str, Any]] = []
    for measure in measures:
        if measure.ends_at is not None and measure.ends_at <= now:
            continue
        kind = MeasureKind(measure.kind)
        entry = {
            "measure_id": measure.id,
            "kind": kind.value,
            "functions": list(measure.functions),
            "item_id": measure.item_id,
            "ends_at": measure.ends_at,
        }
        listed.append(entry)
        if kind is MeasureKind.restrict:
            functions.update(measure.functions)
        elif kind is MeasureKind.suspend:
            functions.add(ALL_FUNCTIONS)
            if measure.ends_at is not None:
                suspended_until = max(suspended_until or measure.ends_at, measure.ends_at)
        elif kind is MeasureKind.close:
            functions.add(ALL_FUNCTIONS)
            closed = True
        elif kind in ITEM_KINDS:
            items.append(entry)
    shown = [ALL_FUNCTIONS] if ALL_FUNCTIONS in functions else sorted(functions)
    return {
        "account_id": account_id,
        "restricted": bool(shown),
        "functions": shown,
        "closed": closed,
        "suspended_until": iso_or_none(suspended_until),
        "items": [{**item, "ends_at": iso_or_none(item["ends_at"])} for item in items],
        "measures": [{**item, "ends_at": iso_or_none(item["ends_at"])} for item in listed],
        "as_of": now.isoformat(),
    }


def for_account(session: Session, account_id: str, *, limit: int = 100) -> list[Measure]:
    return MeasureRepository(session).for_account(account_id, limit=limit)


def for_case(session: Session, case_id: int) -> list[Measure]:
    return MeasureRepository(session).for_case(case_id)


def pending(session: Session, *, limit: int = 100) -> list[Measure]:
    return MeasureRepository(session).pending(limit=limit)


def strikes(session: Session, account_id: str) -> dict[str, Any]:
    points = strike_points(session, account_id)
    step = ladder_step(points)
    return {
        "account_id": account_id,
        "points": points,
        "window_days": STRIKE_WINDOW_DAYS,
        "next_step": step.model_dump(mode="json", exclude_defaults=True),
    }


def to_dict(measure: Measure, *, reveal: bool) -> dict[str, Any]:
    """A measure for the API; ban keys are masked unless ``reveal`` (and the caller audits that)."""
    keys = measure.keys or []
    if not reveal:
        keys = [{"type": key["type"], "value": mask(key["type"], key["value"])} for key in keys]
    return {
        "id": measure.id,
        "case_id": measure.case_id,
        "account_id": measure.account_id,
        "kind": measure.kind,
        "state": measure.state,
        "functions": list(measure.functions or []),
        "keys": keys,
        "item_id": measure.item_id,
        "reason": measure.reason,
        "facts": measure.facts,
        "legal_basis": list(measure.legal_basis or []),
        "rules": list(measure.rules or []),
        "automated": measure.automated,
        "starts_at": measure.starts_at,
        "ends_at": measure.ends_at,
        "deadline": measure.deadline,
        "proposed_by": measure.proposed_by,
        "approved_by": measure.approved_by,
        "lifted_at": measure.lifted_at,
        "lift_reason": measure.lift_reason,
        "created_at": measure.created_at,
    }


# ---- re-verification (D2-ACC-02) ----------------------------------------------------------------------


def start_reverification(
    session: Session,
    *,
    account_id: str,
    method: str,
    deadline_hours: float,
    reason: str,
    case_id: int | None,
    actor: str,
) -> ReverifyTask:
    """Hold the account's risky functions until it re-verifies, by a deadline."""
    now = utcnow()
    outcome = propose(
        session,
        account_id=account_id,
        spec=MeasureSpec(kind=MeasureKind.restrict, functions=list(PENDING_VERIFICATION_FUNCTIONS)),
        reason=f"re-verification required: {reason}",
        legal_basis=["ATOFL-22"],
        rules=[],
        case_id=case_id,
        automated=actor.startswith("system:"),
        actor=actor,
        counts_as_strike=False,
    )
    task = ReverifyTask(
        account_id=account_id,
        case_id=case_id,
        measure_id=outcome.measures[0].id,
        method=method,
        deadline=now + timedelta(hours=deadline_hours),
        state="open",
        created_by=actor,
        created_at=now,
    )
    MeasureRepository(session).add(task)
    audit.record(
        session,
        actor=actor,
        action="reverify.start",
        object_type="reverify_task",
        object_id=str(task.id),
        after={"account_id": account_id, "method": method, "deadline": iso_or_none(task.deadline)},
        reason=reason,
    )
    return task


def get_task(session: Session, task_id: int) -> ReverifyTask:
    task = MeasureRepository(session).get_task(task_id)
    if task is None:
        raise NotFound(f"no re-verification task {task_id}", zh=f"重新核验任务 {task_id} 不存在")
    return task


def report_reverification(session: Session, *, task_id: int, passed: bool, reason: str, actor: str) -> Outcome:
    """Passed: the hold is lifted. Failed: the hold is lifted and the account climbs the ladder."""
    return _close_task(session, get_task(session, task_id), "passed" if passed else "failed", reason, actor)


def expire_overdue_reverifications(session: Session, *, now: datetime | None = None, limit: int = 200) -> Outcome:
    outcome = Outcome()
    for task in MeasureRepository(session).tasks_overdue(now or utcnow(), limit=limit):
        outcome.extend(_close_task(session, task, "expired", "no re-verification by the deadline", LADDER_ACTOR))
    return outcome


def _close_task(session: Session, task: ReverifyTask, state: str, reason: str, actor: str) -> Outcome:
    repository = MeasureRepository(session)
    if not repository.move_task(
        task.id, from_state="open", values={"state": state, "resolved_at": utcnow(), "result_reason": reason}
    ):
        raise Conflict(
            f"re-verification task {task.id} is already {task.state}",
            zh=f"重新核验任务 {task.id} 的状态已为 {task.state}",
        )
    session.refresh(task)
    audit.record(
        session,
        actor=actor,
        action=f"reverify.{state}",
        object_type="reverify_task",
        object_id=str(task.id),
        before={"state": "open"},
        after={"state": state},
        reason=reason,
    )
    outcome = Outcome()
    hold = get(session, task.measure_id)
    if hold.state == MeasureState.active.value:
        outcome.extend(lift(session, measure_id=hold.id, actor=actor, reason=f"re-verification {state}"))
    if state != "passed":
        outcome.extend(_escalate(session, task.account_id, case_id=task.case_id, why=f"re-verification {state}"))
    return outcome
