from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fanzha.appeals.models import Appeal, RuleAppealCount


class AppealRepository:
    """All SQL on appeals and the per-rule appeal counts."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, appeal: Appeal) -> None:
        self.session.add(appeal)
        self.session.flush()

    def get(self, appeal_id: int) -> Appeal | None:
        return self.session.get(Appeal, appeal_id)

    def for_measure(self, measure_id: int) -> Appeal | None:
        return self.session.execute(select(Appeal).where(Appeal.measure_id == measure_id)).scalar_one_or_none()

    def update_if(self, appeal_id: int, conditions: Sequence[Any], values: dict[str, Any]) -> bool:
        result = self.session.execute(update(Appeal).where(Appeal.id == appeal_id, *conditions).values(**values))
        return int(getattr(result, "rowcount", 0) or 0) == 1

    def search(self, *, state: Sequence[str] | None, account_id: str | None, limit: int, offset: int) -> list[Appeal]:
        statement = select(Appeal).order_by(Appeal.submitted_at, Appeal.id).limit(limit).offset(offset)
        if state:
            statement = statement.where(Appeal.state.in_(list(state)))
        if account_id:
            statement = statement.where(Appeal.account_id == account_id)
        return list(self.session.execute(statement).scalars())

    def count(self, rules: Sequence[str], column: str) -> None:
        """Add one to ``column`` (appeals, upheld or overturned) for each rule."""
        if not rules:
            return
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        for rule in sorted(set(rules)):
            values = {"rule": rule, "appeals": 0, "upheld": 0, "overturned": 0, column: 1}
            statement = insert(RuleAppealCount).values(**values)
            statement = statement.on_conflict_do_update(
                index_elements=["rule"], set_={column: getattr(RuleAppealCount, column) + 1}
            )
            self.session.execute(statement)

    def counts(self) -> list[RuleAppealCount]:
        return list(self.session.execute(select(RuleAppealCount).order_by(RuleAppealCount.rule)).scalars())
