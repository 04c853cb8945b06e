"""A batch of proposals through ``propose_many`` leaves the same state as one ``propose`` per item.

Two databases of the same stack get the same history (strikes, measures in force, a lifted one);
then one proposes a mixed batch item by item and the other all at once. Every row the two paths
write (measures, statements, strikes, audit entries, outbox messages) must match, times aside, and
stay equal when the second person approves the irreversible ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from fanzha.audit import service as audit_service
from fanzha.audit.models import AuditEntry
from fanzha.decisions.models import OutboxMessage
from fanzha.kit.clock import utcnow
from fanzha.kit.db import create_db_engine, session_factory, transaction
from fanzha.kit.errors import Forbidden, InvalidInput
from fanzha.measures import service as measures
from fanzha.measures.models import Measure, Statement, Strike
from fanzha.measures.schemas import BanKeyIn, MeasureSpec, Withholding
from fanzha.measures.vocabulary import BanKey, MeasureKind, MeasureState
from tests.fixtures.stack import PostgresTemplate, SqliteTemplate, Stack

PROPOSER = "analyst-1"
APPROVER = "senior-1"
REVIEW_AT = datetime(2099, 1, 1, tzinfo=UTC)
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(\+00:00|Z| UTC)?")


@pytest.fixture
def twin(
    stack: Stack,
    tmp_path: Path,
    sqlite_template: SqliteTemplate,
    postgres_template: PostgresTemplate | None,
) -> Iterator[Engine]:
    """A second fresh database on the same stack as ``stack``."""
    if stack.name == "sqlite+memory":
        engine = create_db_engine(sqlite_template.copy_to(tmp_path / "twin" / "fanzha.db"))
        yield engine
        engine.dispose()
        return
    assert postgres_template is not None
    url = postgres_template.clone()
    engine = create_db_engine(url)
    yield engine
    engine.dispose()
    postgres_template.drop(sa.make_url(url).database or "")


def item(account: str, reason: str = "police notice 沪公(2026)1号", **spec: Any) -> measures.Proposal:
    withhold = spec.pop("withhold", None)
    counts_as_strike = spec.pop("counts_as_strike", True)
    return measures.Proposal(
        account_id=account,
        spec=MeasureSpec.model_validate(spec),
        reason=reason,
        legal_basis=["ATOFL-22"],
        rules=["rule-x"],
        case_id=None,
        automated=False,
        withhold=withhold,
        counts_as_strike=counts_as_strike,
    )


HISTORY = [
    item("acct-b", kind="warn"),  # 1 point
    item("acct-c", kind="suspend", duration_hours=48),  # 3 points, in force
    item("acct-c", kind="restrict", functions=["transfer"], duration_hours=24),  # 5 points, in force
    item("acct-d", kind="suspend", duration_hours=1),  # 3
    item("acct-d", kind="suspend", duration_hours=1),  # 6: the ladder says close
    item("acct-e", kind="restrict", functions=["live"]),  # lifted below: no longer in force
]

BATCH = [
    item("acct-a", kind="ladder", facts="first notice"),  # no history: warn
    item("acct-b", kind="ladder"),  # 1 point: restrict
    item("acct-c", kind="ladder"),  # 5 points: suspend; its announcement lists the two in force
    item("acct-d", kind="ladder"),  # 6 points: close, awaiting a second person
    item("acct-a", kind="ladder"),  # named again: 1 point from the warn above, so restrict
    item("acct-a", kind="warn"),
    item("acct-c", kind="ladder"),  # 8 points now: close
    item("acct-e", kind="restrict", functions=["send_links", "add_friend", "send_links"], duration_hours=12),
    item("acct-f", kind="close"),
    item(
        "acct-g",
        kind="restrict",
        functions=["transfer"],
        withhold=Withholding(legal_reason="the police asked for secrecy", review_at=REVIEW_AT),
    ),
    item("acct-h", kind="rectify", deadline_hours=72),
    item("acct-b", kind="suspend", duration_hours=24, counts_as_strike=False),
    item("acct-i", kind="ban_reregistration", keys=[BanKeyIn(type=BanKey.phone, value="+86 138 0013 8000")]),
    item("acct-j", kind="remove", item_id="post-9"),
]


def one_by_one(session: Session, proposals: Sequence[measures.Proposal], *, actor: str) -> list[measures.Outcome]:
    return [
        measures.propose(
            session,
            account_id=p.account_id,
            spec=p.spec,
            reason=p.reason,
            legal_basis=list(p.legal_basis),
            rules=list(p.rules),
            case_id=p.case_id,
            automated=p.automated,
            actor=actor,
            withhold=p.withhold,
            counts_as_strike=p.counts_as_strike,
        )
        for p in proposals
    ]


def prepare(engine: Engine) -> None:
    """The same history in either database, written one by one."""
    with transaction(session_factory(engine)) as session:
        outcomes = one_by_one(session, HISTORY, actor=PROPOSER)
        lifted = outcomes[-1].measures[0].id
        measures.lift(session, measure_id=lifted, actor=PROPOSER, reason="rectified by hand")


def apply(engine: Engine, batched: bool) -> list[tuple[int, str, str, list[Any]]]:
    """Propose ``BATCH`` (item by item or at once); what each call returned, by measure."""
    with transaction(session_factory(engine)) as session:
        if batched:
            outcomes = measures.propose_many(session, BATCH, actor=PROPOSER)
        else:
            outcomes = one_by_one(session, BATCH, actor=PROPOSER)
        return [(m.id, m.kind, m.state, list(outcome.list_changes)) for outcome in outcomes for m in outcome.measures]


def approve_pending(engine: Engine) -> list[tuple[str, str, bool]]:
    """The second person approves every irreversible measure; the list changes it makes."""
    with transaction(session_factory(engine)) as session:
        changes: list[tuple[str, str, bool]] = []
        for measure in measures.pending(session):
            with pytest.raises(Forbidden):
                measures.approve(session, measure_id=measure.id, actor=PROPOSER, reason="my own")
            outcome = measures.approve(session, measure_id=measure.id, actor=APPROVER, reason="confirmed")
            changes.extend((c.list_name, c.value, c.removed) for c in outcome.list_changes)
        return changes


def timeless(value: Any) -> Any:
    """``value`` with every time replaced by ``<t>``: the two paths run at different moments."""
    if isinstance(value, datetime):
        return "<t>"
    if isinstance(value, str):
        return ISO_TIME.sub("<t>", value)
    if isinstance(value, dict):
        return {key: timeless(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [timeless(item) for item in value]
    return value


def seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    return None if later is None or earlier is None else round((later - earlier).total_seconds())


def appeal_window(statement: Statement) -> int | None:
    """Seconds from the measure taking effect (or, while it waits, from the proposal) to the appeal deadline."""
    if statement.fields:
        return seconds(statement.appeal_deadline, datetime.fromisoformat(statement.fields["at"]))
    return seconds(statement.appeal_deadline, statement.created_at)


def snapshot(engine: Engine) -> dict[str, Any]:
    """Every row the measure paths write, with times dropped but terms (end minus start) kept."""
    with session_factory(engine)() as session:
        rows: dict[str, Any] = {}
        rows["measures"] = [
            (
                timeless({c: getattr(m, c) for c in Measure.__table__.columns.keys()}),
                seconds(m.ends_at, m.starts_at),
                seconds(m.deadline, m.created_at),
            )
            for m in session.execute(select(Measure).order_by(Measure.id)).scalars()
        ]
        rows["statements"] = [
            (timeless({c: getattr(s, c) for c in Statement.__table__.columns.keys()}), appeal_window(s))
            for s in session.execute(select(Statement).order_by(Statement.id)).scalars()
        ]
        rows["strikes"] = [
            timeless({c: getattr(s, c) for c in Strike.__table__.columns.keys()})
            for s in session.execute(select(Strike).order_by(Strike.id)).scalars()
        ]
        rows["audit"] = [
            timeless((e.seq, e.actor, e.action, e.object_type, e.object_id, e.before, e.after, e.reason))
            for e in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
        ]
        rows["outbox"] = [
            timeless((o.seq, o.topic, o.key, o.payload))
            for o in session.execute(select(OutboxMessage).order_by(OutboxMessage.seq)).scalars()
        ]
        accounts = sorted({p.account_id for p in [*HISTORY, *BATCH]})
        rows["restrictions"] = [timeless(measures.restrictions(session, account)) for account in accounts]
        rows["strike_points"] = [measures.strike_points(session, account) for account in accounts]
        report = audit_service.verify_chain(session)
        assert report.ok, report
        return rows


def test_a_mixed_batch_equals_one_propose_per_item(stack: Stack, twin: Engine) -> None:
    prepare(stack.engine)
    prepare(twin)
    history = snapshot(twin)
    single = apply(stack.engine, batched=False)
    batched = apply(twin, batched=True)
    assert batched == single
    assert [(kind, state) for _id, kind, state, _changes in batched] == [
        ("warn", "active"),
        ("restrict", "active"),
        ("suspend", "active"),
        ("close", "pending_approval"),
        ("restrict", "active"),
        ("warn", "active"),
        ("close", "pending_approval"),
        ("restrict", "active"),
        ("close", "pending_approval"),
        ("restrict", "active"),
        ("rectify", "active"),
        ("suspend", "active"),
        ("ban_reregistration", "pending_approval"),
        ("remove", "active"),
    ]
    after_batch = snapshot(twin)
    assert after_batch == snapshot(stack.engine)
    # What the batch wrote, checked on its own too: ten measures took effect (one statement withheld), four wait.
    new = {table: after_batch[table][len(history[table]) :] for table in ("statements", "strikes", "audit", "outbox")}
    topics = [topic for _seq, topic, _key, _payload in new["outbox"]]
    assert (topics.count("statement.issued"), topics.count("restrictions.changed")) == (9, 10)
    assert [row[0]["state"] for row in new["statements"]].count("pending") == 4
    assert [action for _seq, _actor, action, *_rest in new["audit"]].count("measure.propose") == 4
    assert len(new["strikes"]) == 9  # the suspension of acct-b does not count
    announced = [
        payload for _seq, topic, key, payload in new["outbox"] if (topic, key) == ("restrictions.changed", "acct-c")
    ]
    assert [m["kind"] for m in announced[-1]["restrictions"]["measures"]] == ["suspend", "restrict", "suspend"]

    assert approve_pending(twin) == approve_pending(stack.engine)
    assert snapshot(twin) == snapshot(stack.engine)
    with session_factory(twin)() as session:
        assert not measures.pending(session)
        banned = [m for m in measures.for_account(session, "acct-i") if m.kind == MeasureKind.ban_reregistration.value]
        assert [(m.state, m.approved_by) for m in banned] == [(MeasureState.active.value, APPROVER)]


def count_statements(engine: Engine, proposals: Sequence[measures.Proposal]) -> int:
    executed: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        executed.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with transaction(session_factory(engine)) as session:
            measures.propose_many(session, proposals, actor=PROPOSER)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return len(executed)


def test_statements_per_batch_do_not_grow_with_its_size(stack: Stack) -> None:
    def batch(tag: str, size: int) -> list[measures.Proposal]:
        kinds: list[dict[str, Any]] = [
            {"kind": "ladder"},
            {"kind": "suspend", "duration_hours": 24},
            {"kind": "close"},
            {"kind": "warn"},
        ]
        return [item(f"{tag}-{n % (size // 2)}", **kinds[n % len(kinds)]) for n in range(size)]

    prepare(stack.engine)
    small = count_statements(stack.engine, batch("small", 40))
    large = count_statements(stack.engine, batch("large", 400))
    assert small == large
    assert large < 20


def test_an_invalid_item_refuses_the_whole_batch(stack: Stack) -> None:
    past = Withholding(legal_reason="the police asked for secrecy", review_at=utcnow() - timedelta(hours=1))
    proposals = [item("acct-a", kind="warn"), item("acct-b", kind="warn", withhold=past)]
    with pytest.raises(InvalidInput, match="review date"), transaction(session_factory(stack.engine)) as session:
        measures.propose_many(session, proposals, actor=PROPOSER)
    with session_factory(stack.engine)() as session:
        assert measures.for_account(session, "acct-a") == []
