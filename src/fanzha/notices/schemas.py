from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from fanzha.kit.clock import ensure_utc
from fanzha.measures.schemas import MeasureSpec

UtcTime = Annotated[datetime, AfterValidator(ensure_utc)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]

MAX_IDENTIFIERS = 100_000


class IdentifierType(StrEnum):
    """What a notice may name: the identifier kinds the police send (D6-LE-01)."""

    phone = "phone"
    account = "account"
    url = "url"
    domain = "domain"
    payment_account = "payment_account"
    device = "device"


class NoticeState(StrEnum):
    """``open`` until the feedback has been sent back to the issuing unit, then ``answered``."""

    open = "open"
    answered = "answered"


class IdentifierOutcome(StrEnum):
    found = "found"
    not_found = "not_found"


class NoticeIdentifierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: IdentifierType
    value: Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class NoticeIn(BaseModel):
    """A police or authority notice: who sent it, its numbers, its deadline, what it asks for and about whom."""

    model_config = ConfigDict(extra="forbid")

    issuing_unit: Text200
    document_no: Text100
    case_no: Text100
    received_at: UtcTime
    deadline: UtcTime
    requested_measures: list[MeasureSpec] = Field(default_factory=list, max_length=10)
    identifiers: list[NoticeIdentifierIn] = Field(min_length=1, max_length=MAX_IDENTIFIERS)

    @model_validator(mode="after")
    def _check(self) -> NoticeIn:
        if self.deadline <= self.received_at:
            raise ValueError("deadline must be after received_at")
        if any(spec.account_id is not None for spec in self.requested_measures):
            raise ValueError("requested_measures apply to the accounts found; they take no account_id")
        return self


class NoticeOut(BaseModel):
    id: int
    issuing_unit: str
    document_no: str
    case_no: str
    received_at: datetime
    deadline: datetime
    requested_measures: list[dict[str, object]]
    state: str
    identifier_count: int
    found_count: int
    case_id: int | None
    created_by: str
    created_at: datetime
    overdue: bool
    deadline_warned_at: datetime | None = None
    overdue_at: datetime | None = None


class FeedbackRow(BaseModel):
    """One identifier's outcome as fed back to the issuing unit (D6-LE-03)."""

    position: int
    type: str
    value: str
    outcome: str
    accounts: list[str]
    measures: list[str]
    note: str
    processed_at: datetime
    bind_periods: list[str] = Field(
        default_factory=list,
        description="For a phone: ``account:start/end`` of each binding found (``..``: still bound).",
    )


class FeedbackOut(BaseModel):
    notice: NoticeOut
    identifiers: list[FeedbackRow]


class AnsweredIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]
