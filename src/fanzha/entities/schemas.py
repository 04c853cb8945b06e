from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from fanzha.events.entities import EntityType
from fanzha.kit.clock import ensure_utc

LabelName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,99}$")]


class LabelCreate(BaseModel):
    """Put a label on an entity. Labels set through the API are manual unless ``manual`` is false."""

    model_config = ConfigDict(extra="forbid")

    entity_type: EntityType
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]
    label: LabelName
    reason: str = Field(default="", max_length=2000)
    source: str = Field(default="", max_length=200)
    manual: bool = True
    expires_at: Annotated[datetime, AfterValidator(ensure_utc)] | None = None


class LabelOut(BaseModel):
    entity_type: str
    value: str
    label: str
    reason: str
    source: str
    manual: bool
    expires_at: datetime | None
    created_at: datetime
    created_by: str
