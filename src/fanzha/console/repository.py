"""All SQL on console users and sessions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanzha.console.models import ConsoleSession, ConsoleUser


class ConsoleRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: ConsoleUser | ConsoleSession) -> None:
        self.session.add(row)
        self.session.flush()

    def user_by_name(self, username: str) -> ConsoleUser | None:
        return self.session.execute(select(ConsoleUser).where(ConsoleUser.username == username)).scalar_one_or_none()

    def user(self, user_id: int) -> ConsoleUser | None:
        return self.session.get(ConsoleUser, user_id)

    def users(self) -> list[ConsoleUser]:
        return list(self.session.execute(select(ConsoleUser).order_by(ConsoleUser.username)).scalars())

    def session_by_token_hash(self, token_hash: str) -> ConsoleSession | None:
        return self.session.execute(
            select(ConsoleSession).where(ConsoleSession.token_hash == token_hash)
        ).scalar_one_or_none()
