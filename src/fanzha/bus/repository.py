from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fanzha.bus.models import BusDelivery
from fanzha.decisions.models import OutboxMessage

OUTBOX = cast(Table, OutboxMessage.__table__)


class BusRepository:
    """All SQL on the outbox (as the bus reads and writes it) and on per-handler delivery state."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def publish(self, *, topic: str, key: str, payload: dict[str, Any], at: datetime) -> None:
        self.session.execute(insert(OutboxMessage).values(topic=topic, key=key, payload=payload, created_at=at))

    def publish_many(self, messages: Sequence[tuple[str, str, dict[str, Any]]], *, at: datetime) -> None:
        """Write (topic, key, payload) messages as one batch, numbered in the order given."""
        if not messages:
            return
        rows = [{"topic": topic, "key": key, "payload": payload, "created_at": at} for topic, key, payload in messages]
        if self.session.get_bind().dialect.name == "postgresql":
            # INSERT ... SELECT ... ORDER BY pages: the seqs follow the list, as the dispatcher reads them.
            self.session.execute(insert(OUTBOX).returning(OUTBOX.c.seq, sort_by_parameter_order=True), rows).all()
        else:
            self.session.execute(insert(OUTBOX), rows)  # SQLite's executemany numbers row after row

    def pending(self, *, limit: int) -> list[OutboxMessage]:
        return list(
            self.session.execute(
                select(OutboxMessage).where(OutboxMessage.handled_at.is_(None)).order_by(OutboxMessage.seq).limit(limit)
            ).scalars()
        )

    def deliveries(self, seqs: Sequence[int]) -> dict[tuple[int, str], BusDelivery]:
        if not seqs:
            return {}
        rows = self.session.execute(select(BusDelivery).where(BusDelivery.message_seq.in_(list(seqs)))).scalars()
        return {(row.message_seq, row.handler): row for row in rows}

    def _insert(self) -> Any:
        return pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert

    def claim(self, *, seq: int, handler: str, at: datetime) -> bool:
        """Mark (seq, handler) done unless it already is; True when this transaction got it.

        Run first in the handler's transaction: the row stays locked until commit, so a second
        dispatcher waits and then finds it done; on rollback the mark goes with the handler's work.
        """
        statement = self._insert()(BusDelivery).values(message_seq=seq, handler=handler, attempts=0, done_at=at)
        statement = statement.on_conflict_do_update(
            index_elements=["message_seq", "handler"],
            set_={"done_at": at},
            where=BusDelivery.done_at.is_(None),
        )
        # RETURNING rather than rowcount: drivers disagree on the rowcount of an upsert.
        return self.session.execute(statement.returning(BusDelivery.message_seq)).first() is not None

    def record_failure(self, *, seq: int, handler: str, error: str, retry_at: datetime) -> None:
        statement = self._insert()(BusDelivery).values(
            message_seq=seq, handler=handler, attempts=1, last_error=error, next_attempt_at=retry_at
        )
        statement = statement.on_conflict_do_update(
            index_elements=["message_seq", "handler"],
            set_={
                "attempts": BusDelivery.attempts + 1,
                "last_error": error,
                "next_attempt_at": retry_at,
            },
        )
        self.session.execute(statement)

    def mark_handled(self, *, seq: int, at: datetime, error: str | None = None) -> None:
        self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.seq == seq, OutboxMessage.handled_at.is_(None))
            .values(handled_at=at, error=error)
        )
