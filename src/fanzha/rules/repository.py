from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fanzha.rules.models import RuleSetVersion


class RuleSetRepository:
    """All SQL on rule set versions."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def active(self) -> RuleSetVersion | None:
        return self.session.execute(select(RuleSetVersion).where(RuleSetVersion.active.is_(True))).scalar_one_or_none()

    def by_version(self, version: str) -> RuleSetVersion | None:
        return self.session.execute(
            select(RuleSetVersion).where(RuleSetVersion.version == version)
        ).scalar_one_or_none()

    def history(self, *, limit: int) -> list[RuleSetVersion]:
        return list(
            self.session.execute(select(RuleSetVersion).order_by(RuleSetVersion.id.desc()).limit(limit)).scalars()
        )

    def add(self, version: RuleSetVersion) -> None:
        self.session.add(version)
        self.session.flush()

    def deactivate_all(self) -> None:
        self.session.execute(update(RuleSetVersion).where(RuleSetVersion.active.is_(True)).values(active=False))
        self.session.flush()
