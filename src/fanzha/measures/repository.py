from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import Engine, Table, func, insert, or_, select, update
from sqlalchemy.orm import Session

from fanzha.kit.clock import ensure_utc
from fanzha.kit.db import PointReader
from fanzha.measures.models import Measure, ReverifyTask, Statement, Strike
from fanzha.measures.vocabulary import MeasureKind, MeasureState

IN_CHUNK = 5_000
"""Ids per ``IN (...)`` list of the batch look-ups (well under SQLite's bound-parameter limit)."""

MEASURES = cast(Table, Measure.__table__)
STATEMENTS = cast(Table, Statement.__table__)
STRIKES = cast(Table, Strike.__table__)


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), IN_CHUNK):
        yield list(values[start : start + IN_CHUNK])


class MeasureRepository:
    """All SQL on measures, strikes, re-verification tasks and statements."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: Measure | Strike | ReverifyTask | Statement) -> None:
        self.session.add(row)
        self.session.flush()

    def _insert_numbered(self, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert ``rows`` as one batch; the ids the database gave them, in the order of ``rows``."""
        if not rows:
            return []
        self.session.flush()
        if self.session.get_bind().dialect.name == "postgresql":
            # INSERT ... SELECT ... ORDER BY in pages, with the ids handed back in the order of ``rows``.
            result = self.session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), list(rows))
            return [int(row[0]) for row in result]
        # SQLite (one executemany; RETURNING in a set order would mean a statement per row). A
        # rowid is one more than the table's highest, and from its first row this transaction holds
        # the only write lock, so the rows are numbered consecutively up to the highest id now.
        self.session.execute(insert(table), list(rows))
        last = int(self.session.execute(select(func.max(table.c.id))).scalar_one())
        return list(range(last - len(rows) + 1, last + 1))

    def insert_measures(self, rows: Sequence[dict[str, Any]]) -> list[Measure]:
        """Insert many measures at once and load them (in the order of ``rows``)."""
        ids = self._insert_numbered(MEASURES, rows)
        loaded: dict[int, Measure] = {}
        for start in range(0, len(ids), IN_CHUNK):
            chunk = ids[start : start + IN_CHUNK]
            loaded.update(
                (measure.id, measure)
                for measure in self.session.execute(select(Measure).where(Measure.id.in_(chunk))).scalars()
            )
        return [loaded[measure_id] for measure_id in ids]

    def insert_statements(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert many statements at once; their ids, in the order of ``rows``."""
        return self._insert_numbered(STATEMENTS, rows)

    def insert_strikes(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(STRIKES), list(rows))

    def strike_points_many(self, account_ids: Sequence[str], since: datetime) -> dict[str, int]:
        """Unvoided strike points since ``since`` per account (accounts without any are left out)."""
        points: dict[str, int] = {}
        for chunk in _chunks(account_ids):
            rows = self.session.execute(
                select(Strike.account_id, func.sum(Strike.weight))
                .where(Strike.account_id.in_(chunk), Strike.at >= since, Strike.voided_at.is_(None))
                .group_by(Strike.account_id)
            ).all()
            points.update((account, int(total or 0)) for account, total in rows)
        return points

    def in_force_many(self, account_ids: Sequence[str], at: datetime) -> dict[str, list[ActiveMeasure]]:
        """:meth:`in_force` for many accounts at once, as the restrictions answer reads them."""
        found: dict[str, list[ActiveMeasure]] = {}
        for chunk in _chunks(account_ids):
            rows = self.session.execute(
                select(
                    Measure.account_id, Measure.id, Measure.kind, Measure.functions, Measure.item_id, Measure.ends_at
                )
                .where(
                    Measure.account_id.in_(chunk),
                    Measure.state == MeasureState.active.value,
                    or_(Measure.ends_at.is_(None), Measure.ends_at > at),
                )
                .order_by(Measure.id)
            ).all()
            for account, measure_id, kind, functions, item_id, ends_at in rows:
                found.setdefault(account, []).append(
                    ActiveMeasure(measure_id, kind, list(functions or []), item_id, ends_at)
                )
        return found

    def get(self, measure_id: int) -> Measure | None:
        return self.session.get(Measure, measure_id)

    def move(self, measure_id: int, *, from_states: Sequence[str], values: dict[str, Any]) -> bool:
        """Change a measure only if it is still in one of ``from_states`` (the guard against races)."""
        result = self.session.execute(
            update(Measure).where(Measure.id == measure_id, Measure.state.in_(list(from_states))).values(**values)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    def in_force(self, account_id: str, at: datetime) -> list[Measure]:
        """Active measures on an account that have started and not ended (one indexed query)."""
        return list(
            self.session.execute(
                select(Measure)
                .where(
                    Measure.account_id == account_id,
                    Measure.state == MeasureState.active.value,
                    or_(Measure.ends_at.is_(None), Measure.ends_at > at),
                )
                .order_by(Measure.id)
            ).scalars()
        )

    def for_account(self, account_id: str, *, limit: int) -> list[Measure]:
        return list(
            self.session.execute(
                select(Measure).where(Measure.account_id == account_id).order_by(Measure.id.desc()).limit(limit)
            ).scalars()
        )

    def for_case(self, case_id: int) -> list[Measure]:
        return list(
            self.session.execute(select(Measure).where(Measure.case_id == case_id).order_by(Measure.id)).scalars()
        )

    def pending(self, *, limit: int) -> list[Measure]:
        return list(
            self.session.execute(
                select(Measure)
                .where(Measure.state == MeasureState.pending_approval.value)
                .order_by(Measure.id)
                .limit(limit)
            ).scalars()
        )

    def ending_by(self, at: datetime, *, limit: int) -> list[Measure]:
        return list(
            self.session.execute(
                select(Measure)
                .where(Measure.state == MeasureState.active.value, Measure.ends_at <= at)
                .order_by(Measure.ends_at)
                .limit(limit)
            ).scalars()
        )

    def rectify_overdue(self, at: datetime, *, limit: int) -> list[Measure]:
        return list(
            self.session.execute(
                select(Measure)
                .where(
                    Measure.state == MeasureState.active.value,
                    Measure.kind == MeasureKind.rectify.value,
                    Measure.deadline <= at,
                )
                .order_by(Measure.deadline)
                .limit(limit)
            ).scalars()
        )

    def active_bans(self) -> list[Measure]:
        return list(
            self.session.execute(
                select(Measure).where(
                    Measure.state == MeasureState.active.value,
                    Measure.kind == MeasureKind.ban_reregistration.value,
                )
            ).scalars()
        )

    def strike_points(self, account_id: str, since: datetime) -> int:
        total = self.session.execute(
            select(func.coalesce(func.sum(Strike.weight), 0)).where(
                Strike.account_id == account_id, Strike.at >= since, Strike.voided_at.is_(None)
            )
        ).scalar_one()
        return int(total)

    def strikes(self, account_id: str, since: datetime) -> list[Strike]:
        return list(
            self.session.execute(
                select(Strike).where(Strike.account_id == account_id, Strike.at >= since).order_by(Strike.at)
            ).scalars()
        )

    def void_strike(self, measure_id: int, at: datetime) -> None:
        self.session.execute(
            update(Strike).where(Strike.measure_id == measure_id, Strike.voided_at.is_(None)).values(voided_at=at)
        )

    def statement_for(self, measure_id: int) -> Statement | None:
        return self.session.execute(select(Statement).where(Statement.measure_id == measure_id)).scalar_one_or_none()

    def get_statement(self, statement_id: int) -> Statement | None:
        return self.session.get(Statement, statement_id)

    def statements(
        self, *, account_id: str | None, state: str | None, review_due_by: datetime | None, limit: int
    ) -> list[Statement]:
        statement = select(Statement).order_by(Statement.id.desc()).limit(limit)
        if account_id is not None:
            statement = statement.where(Statement.account_id == account_id)
        if state is not None:
            statement = statement.where(Statement.state == state)
        if review_due_by is not None:
            statement = statement.where(Statement.review_at <= review_due_by)
        return list(self.session.execute(statement).scalars())

    def move_statement(self, statement_id: int, *, from_state: str, values: dict[str, Any]) -> bool:
        result = self.session.execute(
            update(Statement).where(Statement.id == statement_id, Statement.state == from_state).values(**values)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    def get_task(self, task_id: int) -> ReverifyTask | None:
        return self.session.get(ReverifyTask, task_id)

    def move_task(self, task_id: int, *, from_state: str, values: dict[str, Any]) -> bool:
        result = self.session.execute(
            update(ReverifyTask).where(ReverifyTask.id == task_id, ReverifyTask.state == from_state).values(**values)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    def tasks_overdue(self, at: datetime, *, limit: int) -> list[ReverifyTask]:
        return list(
            self.session.execute(
                select(ReverifyTask)
                .where(ReverifyTask.state == "open", ReverifyTask.deadline <= at)
                .order_by(ReverifyTask.deadline)
                .limit(limit)
            ).scalars()
        )


class ActiveMeasuresLookup:
    """The active measures of one account, read without the ORM: the restrictions endpoint is
    called by the platform on every request it serves."""

    def __init__(self, engine: Engine) -> None:
        self._reader = PointReader(
            engine,
            "SELECT id, kind, functions, item_id, ends_at FROM measures"
            " WHERE account_id = :key AND state = 'active' ORDER BY id",
        )

    def get(self, account_id: str) -> list[ActiveMeasure]:
        measures = []
        for measure_id, kind, functions, item_id, ends_at in self._reader.fetch_all(account_id):
            if isinstance(functions, str):  # SQLite hands JSON back as text
                functions = orjson.loads(functions)
            if isinstance(ends_at, str):
                ends_at = datetime.fromisoformat(ends_at)
            measures.append(
                ActiveMeasure(
                    id=int(measure_id),
                    kind=kind,
                    functions=list(functions or []),
                    item_id=item_id,
                    ends_at=None if ends_at is None else ensure_utc(ends_at),
                )
            )
        return measures

    def close(self) -> None:
        self._reader.close()


@dataclass(frozen=True, slots=True)
class ActiveMeasure:
    """What the restrictions answer needs of a measure in force."""

    id: int
    kind: str
    functions: list[str]
    item_id: str | None
    ends_at: datetime | None
