from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fanzha.kit.revisions.models import StateRevision


class RevisionRepository:
    """All SQL on ``state_revisions``."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def bump(self, name: str) -> int:
        result = self.session.execute(
            update(StateRevision)
            .where(StateRevision.name == name)
            .values(revision=StateRevision.revision + 1)
            .returning(StateRevision.revision)
        ).scalar_one_or_none()
        if result is None:
            self.session.add(StateRevision(name=name, revision=1))
            self.session.flush()
            return 1
        return int(result)

    def all(self) -> dict[str, int]:
        rows = self.session.execute(select(StateRevision.name, StateRevision.revision)).all()
        return {name: int(revision) for name, revision in rows}
