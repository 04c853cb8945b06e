from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

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


UtcTime = Annotated[datetime, AfterValidator(ensure_utc)]
MAX_BINDINGS_PER_CALL = 10_000


class BindingIn(BaseModel):
    """One phone binding as the platform's account system knows it.

    Leave ``unbound_at`` out for the account's current phone; to record an unbinding, send the
    binding again (same ``bound_at``) with ``unbound_at``.
    """

    model_config = ConfigDict(extra="forbid")

    account_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
    phone: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    bound_at: UtcTime
    unbound_at: UtcTime | None = None
    source: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""

    @model_validator(mode="after")
    def _check(self) -> BindingIn:
        if self.unbound_at is not None and self.unbound_at <= self.bound_at:
            raise ValueError("unbound_at must be after bound_at")
        return self


class BindingsIn(BaseModel):
    """A batch of phone bindings; the whole batch is checked before any of it is stored."""

    model_config = ConfigDict(extra="forbid")

    bindings: list[BindingIn] = Field(min_length=1, max_length=MAX_BINDINGS_PER_CALL)


class BindingsRecorded(BaseModel):
    """What recording a batch changed: new bindings, bindings updated, earlier bindings closed by a rebinding."""

    recorded: int
    updated: int
    closed: int
    unchanged: int


class BoundAccountOut(BaseModel):
    account_id: str
    bound_at: datetime
    unbound_at: datetime | None
    current: bool
    source: str


class PhoneAccountsOut(BaseModel):
    """How many accounts are bound to a phone now and were ever, and which (D2-ACC-04)."""

    phone: str
    current: int
    total: int
    bindings: list[BoundAccountOut]
