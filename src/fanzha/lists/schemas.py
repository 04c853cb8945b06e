from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from fanzha.kit.clock import ensure_utc
from fanzha.lists.kinds import ListKind

ListName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,99}$")]


class ListCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ListKind
    description: str = Field(default="", max_length=2000)


class IndicatorListOut(BaseModel):
    name: str
    kind: str
    description: str
    entry_count: int
    created_at: datetime


class ListEntryCreate(BaseModel):
    """A value to put on a list; phones, domains and URLs are normalised before they are stored."""

    model_config = ConfigDict(extra="forbid")

    value: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    reason: str = Field(default="", max_length=2000)
    source: str = Field(default="", max_length=200)
    expires_at: Annotated[datetime, AfterValidator(ensure_utc)] | None = None


class ListEntryOut(BaseModel):
    list: str
    value: str
    reason: str
    source: str
    expires_at: datetime | None
    created_at: datetime
    created_by: str


class ListEntryPage(BaseModel):
    items: list[ListEntryOut]
    limit: int
    offset: int
