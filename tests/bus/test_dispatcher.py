from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fanzha.bus.dispatcher import Dispatcher, HandlerRegistry, Message, publish
from fanzha.kit.clock import utcnow
from fanzha.kit.db import transaction
from fanzha.runtime import Runtime


def outbox_state(runtime: Runtime) -> list[tuple[str, bool, str | None]]:
    with runtime.engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT topic, handled_at IS NOT NULL, error FROM outbox WHERE topic LIKE 'test.%' ORDER BY seq")
        ).all()
    return [(row[0], bool(row[1]), row[2]) for row in rows]


class TestDispatcher:
    def test_each_handler_runs_once_and_a_failure_is_retried_later(self, runtime: Runtime) -> None:
        seen: list[str] = []
        failures = {"flaky": 1}

        def steady(session: Session, message: Message) -> None:
            seen.append(f"steady:{message.payload['n']}")

        def flaky(session: Session, message: Message) -> None:
            if failures["flaky"]:
                failures["flaky"] -= 1
                raise RuntimeError("receiver down")
            seen.append(f"flaky:{message.payload['n']}")

        registry = HandlerRegistry()
        registry.subscribe("test.thing", "steady", steady)
        registry.subscribe("test.thing", "flaky", flaky)
        with transaction(runtime.sessions) as session:
            publish(session, topic="test.thing", key="k", payload={"n": 1})
        dispatcher = Dispatcher(runtime.sessions, registry)
        assert dispatcher.run_once() == 0
        assert seen == ["steady:1"]
        assert outbox_state(runtime) == [("test.thing", False, None)]
        assert dispatcher.run_once() == 0  # still backing off: nothing runs again
        assert seen == ["steady:1"]
        assert dispatcher.run_once(now=utcnow() + timedelta(seconds=5)) == 1
        assert seen == ["steady:1", "flaky:1"]
        assert outbox_state(runtime) == [("test.thing", True, None)]

    def test_a_message_published_in_a_rolled_back_transaction_never_goes_out(self, runtime: Runtime) -> None:
        try:
            with transaction(runtime.sessions) as session:
                publish(session, topic="test.ghost", key="k", payload={})
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
        assert outbox_state(runtime) == []

    def test_a_handler_that_keeps_failing_is_dead_lettered(self, runtime: Runtime) -> None:
        def broken(session: Session, message: Message) -> None:
            raise ValueError("bad payload")

        registry = HandlerRegistry()
        registry.subscribe("test.bad", "broken", broken)
        with transaction(runtime.sessions) as session:
            publish(session, topic="test.bad", key="k", payload={})
        dispatcher = Dispatcher(runtime.sessions, registry, max_attempts=2)
        later = utcnow()
        for _ in range(3):
            later += timedelta(hours=1)
            dispatcher.run_once(now=later)
        assert outbox_state(runtime) == [("test.bad", True, "broken gave up after 2 attempts")]


def test_a_handler_beaten_to_its_message_by_another_dispatcher_leaves_nothing(runtime: Runtime) -> None:
    """On SQLite the claim comes after the handler: when another dispatcher commits the same
    (message, handler) meanwhile, this run's writes roll back and the message closes once."""
    from fanzha.bus.repository import BusRepository

    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL claims first: a second dispatcher waits on the row lock instead")
    runs: list[int] = []

    def handler(session: Session, message: Message) -> None:
        runs.append(message.seq)
        with transaction(runtime.sessions) as other:  # the other dispatcher finishes first
            assert BusRepository(other).claim(seq=message.seq, handler="race", at=utcnow())
            publish(other, topic="test.side_effect", key="winner", payload={})
        publish(session, topic="test.side_effect", key="loser", payload={})

    registry = HandlerRegistry()
    registry.subscribe("test.race", "race", handler)
    with transaction(runtime.sessions) as session:
        publish(session, topic="test.race", key="k", payload={})
    assert Dispatcher(runtime.sessions, registry).run_once() == 1
    with runtime.engine.connect() as connection:
        keys = (
            connection.execute(sa.text("SELECT key FROM outbox WHERE topic = 'test.side_effect' ORDER BY seq"))
            .scalars()
            .all()
        )
    assert keys == ["winner"]
    assert len(runs) == 1
