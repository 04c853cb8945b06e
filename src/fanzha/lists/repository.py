from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fanzha.lists.models import IndicatorList, ListEntry


class ListRepository:
    """All SQL on indicator lists and their entries."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get_list(self, name: str) -> IndicatorList | None:
        return self.session.get(IndicatorList, name)

    def all_lists(self) -> list[IndicatorList]:
        return list(self.session.execute(select(IndicatorList).order_by(IndicatorList.name)).scalars())

    def add_list(self, indicator_list: IndicatorList) -> None:
        self.session.add(indicator_list)
        self.session.flush()

    def get_entry(self, list_name: str, value: str) -> ListEntry | None:
        return self.session.execute(
            select(ListEntry).where(ListEntry.list_name == list_name, ListEntry.value == value)
        ).scalar_one_or_none()

    def entries(self, list_name: str, *, limit: int, offset: int = 0, prefix: str | None = None) -> list[ListEntry]:
        statement = select(ListEntry).where(ListEntry.list_name == list_name)
        if prefix:
            statement = statement.where(ListEntry.value.startswith(prefix, autoescape=True))
        statement = statement.order_by(ListEntry.id).limit(limit).offset(offset)
        return list(self.session.execute(statement).scalars())

    def iter_entries(self, list_name: str, *, batch: int = 50_000) -> Iterator[tuple[str, str, str, datetime | None]]:
        """(value, reason, source, expires_at) for every entry, streamed in primary-key order."""
        last_id = 0
        while True:
            rows = self.session.execute(
                select(ListEntry.id, ListEntry.value, ListEntry.reason, ListEntry.source, ListEntry.expires_at)
                .where(ListEntry.list_name == list_name, ListEntry.id > last_id)
                .order_by(ListEntry.id)
                .limit(batch)
            ).all()
            if not rows:
                return
            for row in rows:
                yield row[1], row[2], row[3], row[4]
            last_id = rows[-1][0]

    def upsert_entries(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert entries; an existing (list, value) takes the new reason, source and expiry."""
        if not rows:
            return
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(ListEntry).values(list(rows))
        statement = statement.on_conflict_do_update(
            index_elements=["list_name", "value"],
            set_={
                "reason": statement.excluded.reason,
                "source": statement.excluded.source,
                "expires_at": statement.excluded.expires_at,
            },
        )
        self.session.execute(statement)

    def delete_entry(self, list_name: str, value: str) -> int:
        result = self.session.execute(
            delete(ListEntry).where(ListEntry.list_name == list_name, ListEntry.value == value)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def refresh_count(self, list_name: str) -> int:
        count = self.session.execute(
            select(func.count()).select_from(ListEntry).where(ListEntry.list_name == list_name)
        ).scalar_one()
        self.session.execute(update(IndicatorList).where(IndicatorList.name == list_name).values(entry_count=count))
        return int(count)
