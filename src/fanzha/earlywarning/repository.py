from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, case, func, insert, select, update
from sqlalchemy.orm import Session

from fanzha.earlywarning.models import VictimWarning

WARNINGS = cast(Table, VictimWarning.__table__)


class WarningRepository:
    """All SQL on victim warnings. Works on a session, or on the decision journal's connection."""

    def __init__(self, session: Session | Connection) -> None:
        self.session = session

    def insert_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert warnings issued with newly stored decisions (the journal calls this in its transaction)."""
        if rows:
            self.session.execute(insert(WARNINGS), list(rows))

    def get(self, warning_id: str) -> VictimWarning | None:
        assert isinstance(self.session, Session)
        return self.session.get(VictimWarning, warning_id)

    def mark_delivered(self, warning_id: str, *, at: datetime, state: str, from_state: str) -> bool:
        """Record the first delivery; False when the warning had already moved on (delivered or chosen)."""
        result = self.session.execute(
            update(VictimWarning)
            .where(VictimWarning.id == warning_id, VictimWarning.state == from_state)
            .values(delivered_at=at, state=state)
        )
        return bool(getattr(result, "rowcount", 0))

    def record_choice(self, warning_id: str, *, choice: str, at: datetime) -> bool:
        """Record the user's choice once (a warning chosen on is shown, so delivery is filled in too);
        False when a choice was already recorded."""
        result = self.session.execute(
            update(VictimWarning)
            .where(VictimWarning.id == warning_id, VictimWarning.choice.is_(None))
            .values(
                choice=choice,
                chosen_at=at,
                state=choice,
                delivered_at=func.coalesce(VictimWarning.delivered_at, at),
            )
        )
        return bool(getattr(result, "rowcount", 0))

    def search(
        self,
        *,
        recipient_id: str | None,
        typology: str | None,
        state: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[VictimWarning], int]:
        """Warnings newest first, filtered, with the total count of matches."""
        assert isinstance(self.session, Session)
        conditions = []
        if recipient_id is not None:
            conditions.append(VictimWarning.recipient_id == recipient_id)
        if typology is not None:
            conditions.append(VictimWarning.typology == typology)
        if state is not None:
            conditions.append(VictimWarning.state == state)
        rows = self.session.execute(
            select(VictimWarning)
            .where(*conditions)
            .order_by(VictimWarning.issued_at.desc(), VictimWarning.id)
            .limit(limit)
            .offset(offset)
        ).scalars()
        total = self.session.execute(select(func.count()).select_from(VictimWarning).where(*conditions)).scalar_one()
        return list(rows), int(total)

    def counts_by_typology(
        self, *, since: datetime | None, until: datetime | None
    ) -> list[tuple[str, int, int, int, int, int]]:
        """(typology, warned, delivered, continued, cancelled, reported) for warnings issued in [since, until)."""
        conditions = []
        if since is not None:
            conditions.append(VictimWarning.issued_at >= since)
        if until is not None:
            conditions.append(VictimWarning.issued_at < until)

        def chose(value: str) -> Any:
            return func.coalesce(func.sum(case((VictimWarning.choice == value, 1), else_=0)), 0)

        rows = self.session.execute(
            select(
                VictimWarning.typology,
                func.count(),
                func.count(VictimWarning.delivered_at),
                chose("continued"),
                chose("cancelled"),
                chose("reported"),
            )
            .where(*conditions)
            .group_by(VictimWarning.typology)
            .order_by(VictimWarning.typology)
        ).all()
        return [(str(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]
