from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Dialect, Engine, Table, bindparam, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fanzha.decisions.models import DecisionRecord, InboxEvent, OutboxMessage
from fanzha.earlywarning.repository import WarningRepository
from fanzha.entities.repository import AccountRepository
from fanzha.kit.db import PointReader, dialect_of

DECISIONS = cast(Table, DecisionRecord.__table__)
OUTBOX = cast(Table, OutboxMessage.__table__)


@functools.cache
def _insert_new_decisions(dialect: str) -> Any:
    # Built once: constructing the statement costs more than executing it for a small batch.
    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return dialect_insert(DECISIONS).on_conflict_do_nothing(index_elements=["event_id"]).returning(DECISIONS.c.event_id)


@dataclass(frozen=True)
class _DriverInsert:
    """The decisions insert as driver SQL, with each column's bind processor (values stored exactly as
    the ORM would store them)."""

    sql: str
    columns: tuple[tuple[str, Callable[[Any], Any] | None], ...]


_DRIVER_INSERTS: weakref.WeakKeyDictionary[Dialect, _DriverInsert] = weakref.WeakKeyDictionary()


def _driver_insert(dialect: Dialect) -> _DriverInsert:
    found = _DRIVER_INSERTS.get(dialect)
    if found is None:
        columns = {column.name: column for column in DECISIONS.columns if column.name != "seq"}
        statement = (
            sqlite_insert(DECISIONS)
            .values({name: bindparam(name) for name in columns})
            .on_conflict_do_nothing(index_elements=["event_id"])
        )
        compiled = statement.compile(dialect=dialect)
        order = compiled.positiontup or []
        found = _DriverInsert(
            sql=str(compiled),
            columns=tuple((name, columns[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in order),
        )
        _DRIVER_INSERTS[dialect] = found
    return found


class DecisionRepository:
    """All SQL on decisions, the event inbox and the outbox.

    It works on a session, or on a plain connection (the decision journal keeps one open).
    """

    def __init__(self, session: Session | Connection) -> None:
        self.session = session

    def get(self, event_id: str) -> DecisionRecord | None:
        return self.session.execute(
            select(DecisionRecord).where(DecisionRecord.event_id == event_id)
        ).scalar_one_or_none()

    def for_actor(self, actor_id: str, *, limit: int) -> list[DecisionRecord]:
        """The newest decisions on events ``actor_id`` did (the actor/time index)."""
        return list(
            self.session.execute(
                select(DecisionRecord)
                .where(DecisionRecord.actor_id == actor_id)
                .order_by(DecisionRecord.occurred_at.desc(), DecisionRecord.seq.desc())
                .limit(limit)
            ).scalars()
        )

    def get_response(self, event_id: str) -> dict[str, Any] | None:
        response = self.session.execute(
            select(DecisionRecord.response).where(DecisionRecord.event_id == event_id)
        ).scalar_one_or_none()
        return None if response is None else dict(response)

    def get_responses(self, event_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The stored answers of those of ``event_ids`` that were decided."""
        rows = self.session.execute(
            select(DecisionRecord.event_id, DecisionRecord.response).where(DecisionRecord.event_id.in_(list(event_ids)))
        ).all()
        return {str(row[0]): dict(row[1]) for row in rows}

    def insert_decisions(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Insert decisions whose event id is not stored yet; return the event ids inserted."""
        if not rows:
            return set()
        dialect = dialect_of(self.session)
        if dialect == "sqlite":
            return self._insert_decisions_sqlite(rows)
        statement = _insert_new_decisions(dialect)
        return set(self.session.execute(statement, list(rows)).scalars())

    def _insert_decisions_sqlite(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        # The journal's hot path: one prepared statement run by the driver's executemany. SQLAlchemy's
        # multi-row INSERT ... RETURNING cost as much again in Python as SQLite spent inserting.
        connection = self.session if isinstance(self.session, Connection) else self.session.connection()
        plan = _driver_insert(connection.dialect)
        params = [
            tuple(row[name] if process is None else process(row[name]) for name, process in plan.columns)
            for row in rows
        ]
        # Through exec_driver_sql, so a driver error (the write lock taken) arrives wrapped as usual.
        inserted = connection.exec_driver_sql(plan.sql, params).rowcount
        if inserted == len(rows):
            return {row["event_id"] for row in rows}
        # Some were stored already. This connection holds the write lock, so the rows it just
        # inserted are the newest ones (an INTEGER PRIMARY KEY grows from the largest).
        newest = select(DECISIONS.c.event_id).order_by(DECISIONS.c.seq.desc()).limit(max(inserted, 0))
        return {str(event_id) for event_id in connection.execute(newest).scalars()}

    def insert_outbox(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(OUTBOX), list(rows))

    def upsert_accounts(self, rows: Sequence[dict[str, Any]]) -> None:
        AccountRepository(self.session).upsert_many(rows)

    def insert_warnings(self, rows: Sequence[dict[str, Any]]) -> None:
        WarningRepository(self.session).insert_many(rows)

    def insert_inbox(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(InboxEvent), list(rows))

    def existing_inbox_ids(self, event_ids: Sequence[str]) -> set[str]:
        rows = self.session.execute(
            select(InboxEvent.event_id).where(InboxEvent.event_id.in_(list(event_ids)))
        ).scalars()
        return set(rows)

    def delete_inbox(self, event_ids: Sequence[str]) -> None:
        if event_ids:
            self.session.execute(delete(InboxEvent).where(InboxEvent.event_id.in_(list(event_ids))))

    def pending_inbox(self, *, limit: int) -> list[tuple[str, Any]]:
        rows = self.session.execute(
            select(InboxEvent.event_id, InboxEvent.payload).order_by(InboxEvent.seq).limit(limit)
        ).all()
        return [(row[0], row[1]) for row in rows]

    def recent(self, *, limit: int) -> list[DecisionRecord]:
        """The latest ``limit`` decisions, newest first (rule hit counts and what-if replays in the console)."""
        return list(
            self.session.execute(select(DecisionRecord).order_by(DecisionRecord.seq.desc()).limit(limit)).scalars()
        )

    def max_seq(self) -> int:
        return int(self.session.execute(select(func.coalesce(func.max(DecisionRecord.seq), 0))).scalar_one())

    def events_after(self, seq: int, *, batch: int = 10_000) -> Iterator[tuple[int, Any]]:
        """(seq, event) of every decision after ``seq``, in order (for replaying counters)."""
        while True:
            rows = self.session.execute(
                select(DecisionRecord.seq, DecisionRecord.record)
                .where(DecisionRecord.seq > seq)
                .order_by(DecisionRecord.seq)
                .limit(batch)
            ).all()
            if not rows:
                return
            for row in rows:
                yield int(row[0]), row[1].get("event") if isinstance(row[1], dict) else None
            seq = int(rows[-1][0])


class StoredAnswerLookup:
    """The stored answer for an event id; runs for every new event, so it bypasses the ORM."""

    def __init__(self, engine: Engine) -> None:
        self._reader = PointReader(engine, "SELECT response FROM decisions WHERE event_id = :key")

    def get(self, event_id: str) -> dict[str, Any] | None:
        row = self._reader.fetch(event_id)
        if row is None:
            return None
        value = row[0]
        return dict(value) if isinstance(value, dict) else dict(orjson.loads(value))

    def close(self) -> None:
        self._reader.close()
