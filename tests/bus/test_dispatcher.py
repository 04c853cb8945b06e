from __future__ import annotations

from datetime import timedelta

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
