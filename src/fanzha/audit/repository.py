from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from fanzha.audit.models import AuditEntry

AUDIT_LOG = cast(Table, AuditEntry.__table__)


class AuditRepository:
    """All SQL on the audit log (append and read; the database refuses update and delete)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_chain_head(self) -> None:
        """Serialise appenders so two transactions never chain onto the same head."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(774411)"))

    def last_hash(self) -> str | None:
        return self.session.execute(
            select(AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
        ).scalar_one_or_none()

    def add(self, entry: AuditEntry) -> None:
        self.session.add(entry)
        self.session.flush()

    def add_many(self, rows: Sequence[dict[str, Any]]) -> list[str]:
        """Insert already-chained entries as one batch; their hashes in the order the database numbered them.

        The chain needs ``seq`` to follow the order of ``rows``. SQLite's executemany inserts row
        after row, each numbered one above the last. On PostgreSQL the rows go in as
        ``INSERT ... SELECT ... ORDER BY`` pages (``sort_by_parameter_order``) and the hashes read
        back in ``seq`` order let the caller check the numbering.
        """
        if not rows:
            return []
        self.session.flush()  # entries added one by one earlier in this transaction go first
        if self.session.get_bind().dialect.name != "postgresql":
            self.session.execute(insert(AUDIT_LOG), list(rows))
            return [str(row["hash"]) for row in rows]
        result = self.session.execute(
            insert(AUDIT_LOG).returning(AUDIT_LOG.c.seq, AUDIT_LOG.c.hash, sort_by_parameter_order=True), list(rows)
        )
        return [str(digest) for _seq, digest in sorted(result.all())]

    def list_recent(self, *, limit: int, object_type: str | None = None) -> list[AuditEntry]:
        statement = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
        if object_type:
            statement = statement.where(AuditEntry.object_type == object_type)
        return list(self.session.execute(statement).scalars())

    def search(
        self,
        *,
        limit: int,
        before_seq: int | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        actor: str | None = None,
        action: str | None = None,
    ) -> list[AuditEntry]:
        """Newest first, filtered; ``before_seq`` pages backwards."""
        statement = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
        if before_seq is not None:
            statement = statement.where(AuditEntry.seq < before_seq)
        if object_type:
            statement = statement.where(AuditEntry.object_type == object_type)
        if object_id:
            statement = statement.where(AuditEntry.object_id == object_id)
        if actor:
            statement = statement.where(AuditEntry.actor == actor)
        if action:
            statement = statement.where(AuditEntry.action == action)
        return list(self.session.execute(statement).scalars())

    def iter_in_order(self, *, batch: int = 5_000) -> Iterator[AuditEntry]:
        """Every entry in sequence order, read in batches."""
        last = 0
        while True:
            rows = list(
                self.session.execute(
                    select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
                ).scalars()
            )
            if not rows:
                return
            yield from rows
            last = rows[-1].seq
            self.session.expunge_all()
