from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from fanzha.decisions.models import DecisionRecord
from fanzha.decisions.repository import DecisionRepository
from fanzha.kit.db import session_factory, transaction
from tests.decisions.test_journal import decision_item
from tests.fixtures.stack import Stack


def decision_rows(*event_ids: str) -> list[dict[str, object]]:
    rows = []
    for event_id in event_ids:
        decision = decision_item(event_id).decision
        assert decision is not None
        rows.append(decision)
    return rows


class TestInsertDecisions:
    """The journal's insert: new event ids are stored and named, stored ones are left as they are."""

    @pytest.mark.parametrize("executor", ["connection", "session"])
    def test_names_only_the_event_ids_it_stored(self, stack: Stack, executor: str) -> None:
        def insert(*event_ids: str) -> set[str]:
            if executor == "connection":
                with stack.engine.connect() as connection, connection.begin():
                    return DecisionRepository(connection).insert_decisions(decision_rows(*event_ids))
            with transaction(session_factory(stack.engine)) as session:
                return DecisionRepository(session).insert_decisions(decision_rows(*event_ids))

        assert insert("a", "b") == {"a", "b"}
        assert insert("b", "c", "a", "d") == {"c", "d"}
        assert insert("a", "d") == set()
        assert insert() == set()
        with transaction(session_factory(stack.engine)) as session:
            stored = session.execute(select(DecisionRecord.event_id).order_by(DecisionRecord.seq)).scalars().all()
        assert stored == ["a", "b", "c", "d"]

    def test_stores_values_as_the_orm_reads_them(self, stack: Stack) -> None:
        row = decision_rows("e1")[0]
        row["occurred_at"] = datetime(2026, 11, 30, 8, 15, 1, 123456, tzinfo=UTC)
        row["record"] = {"event": {"text": "加我微信 123"}, "features": {"n": 2}}
        with stack.engine.connect() as connection, connection.begin():
            DecisionRepository(connection).insert_decisions([row])
        with transaction(session_factory(stack.engine)) as session:
            stored = DecisionRepository(session).get("e1")
            assert stored is not None
            assert stored.occurred_at == row["occurred_at"]
            assert stored.record == row["record"]
            assert stored.response == row["response"]
            assert stored.latency_ms == row["latency_ms"]
