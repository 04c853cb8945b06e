from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanzha.auth.models import ApiKey


class ApiKeyRepository:
    """All SQL on API keys."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, key: ApiKey) -> None:
        self.session.add(key)
        self.session.flush()

    def by_hash(self, key_hash: str) -> ApiKey | None:
        return self.session.execute(select(ApiKey).where(ApiKey.key_hash == key_hash)).scalar_one_or_none()

    def by_id(self, key_id: int) -> ApiKey | None:
        return self.session.get(ApiKey, key_id)

    def list(self) -> list[ApiKey]:
        return list(self.session.execute(select(ApiKey).order_by(ApiKey.id)).scalars())

    def count_active(self) -> int:
        return len(self.session.execute(select(ApiKey.id).where(ApiKey.revoked_at.is_(None))).scalars().all())
