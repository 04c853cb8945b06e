from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from fanzha.auth.roles import Role


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: Role


class ApiKeyOut(BaseModel):
    id: int
    name: str
    role: str
    prefix: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    """The new key; ``secret`` is shown this once and never again."""

    secret: str
