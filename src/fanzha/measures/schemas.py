from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from fanzha.kit.clock import ensure_utc
from fanzha.measures.vocabulary import ITEM_KINDS, BanKey, MeasureKind, known_functions

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]
AccountId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
UtcTime = Annotated[datetime, AfterValidator(ensure_utc)]


class BanKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: BanKey
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]


class MeasureSpec(BaseModel):
    """One measure to apply. ``kind: ladder`` takes the account's next step on the ladder (from its strikes)."""

    model_config = ConfigDict(extra="forbid")

    kind: MeasureKind | Literal["ladder"]
    account_id: AccountId | None = Field(
        default=None, description="Default: every account the case is about (in a decision), required otherwise."
    )
    functions: list[str] = Field(default_factory=list, max_length=50)
    duration_hours: float | None = Field(default=None, gt=0, le=24 * 365 * 10)
    deadline_hours: float | None = Field(default=None, gt=0, le=24 * 365)
    keys: list[BanKeyIn] = Field(default_factory=list, max_length=50)
    item_id: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = None
    facts: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _check_shape(self) -> MeasureSpec:
        kind = self.kind
        known = known_functions()
        unknown = sorted(set(self.functions) - known)
        if unknown:
            raise ValueError(f"unknown functions {unknown}; known: {sorted(known)}")
        if kind == MeasureKind.restrict and not self.functions:
            raise ValueError("restrict needs the functions it switches off")
        if kind != MeasureKind.restrict and self.functions:
            raise ValueError("only restrict takes functions")
        if kind == MeasureKind.suspend and self.duration_hours is None:
            raise ValueError("suspend needs duration_hours (suspended until when)")
        if kind == MeasureKind.rectify and self.deadline_hours is None:
            raise ValueError("rectify needs deadline_hours")
        if kind == MeasureKind.ban_reregistration and not self.keys:
            raise ValueError("ban_reregistration needs keys (phone, id_hash, device, payment_account)")
        if kind != MeasureKind.ban_reregistration and self.keys:
            raise ValueError("only ban_reregistration takes keys")
        if kind in ITEM_KINDS and not self.item_id:
            raise ValueError(f"{kind} needs item_id")
        if kind == MeasureKind.close and self.duration_hours is not None:
            raise ValueError("close has no duration")
        return self


class Withholding(BaseModel):
    """Why the statement is not sent now (e.g. the police asked for secrecy) and when to look again."""

    model_config = ConfigDict(extra="forbid")

    legal_reason: Reason
    review_at: UtcTime


class MeasureCreate(MeasureSpec):
    """A measure applied directly (not through a case decision)."""

    reason: Reason
    legal_basis: list[str] = Field(default_factory=list, max_length=20)
    case_id: int | None = None
    withhold_statement: Withholding | None = None


class MeasureOut(BaseModel):
    id: int
    case_id: int | None
    account_id: str
    kind: str
    state: str
    functions: list[str]
    keys: list[dict[str, str]]
    item_id: str | None
    reason: str
    facts: str
    legal_basis: list[str]
    rules: list[str]
    automated: bool
    starts_at: datetime | None
    ends_at: datetime | None
    deadline: datetime | None
    proposed_by: str
    approved_by: str | None
    lifted_at: datetime | None
    lift_reason: str | None
    created_at: datetime


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class RestrictionItem(BaseModel):
    measure_id: int
    kind: str
    functions: list[str]
    item_id: str | None
    ends_at: datetime | None


class RestrictionsOut(BaseModel):
    """What the account may not do right now; ``functions: ["*"]`` means everything (suspended or closed)."""

    account_id: str
    restricted: bool
    functions: list[str]
    closed: bool
    suspended_until: datetime | None
    items: list[RestrictionItem]
    measures: list[RestrictionItem]
    as_of: datetime


class StrikesOut(BaseModel):
    account_id: str
    points: int
    window_days: int
    next_step: dict[str, Any]


class StatementOut(BaseModel):
    id: int
    measure_id: int
    account_id: str
    state: str
    fields: dict[str, Any]
    text_zh: str
    text_en: str
    automated: bool
    appeal_deadline: datetime
    template_version: str
    withheld_reason: str | None
    review_at: datetime | None
    created_at: datetime
    issued_at: datetime | None


class ReverifyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["face_liveness_id", "ctid", "video_call", "manual_docs"]
    deadline_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    reason: Reason
    case_id: int | None = None


class ReverifyResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passed: bool
    reason: Reason


class ReverifyOut(BaseModel):
    id: int
    account_id: str
    case_id: int | None
    measure_id: int
    method: str
    deadline: datetime
    state: str
    created_by: str
    created_at: datetime
    resolved_at: datetime | None
    result_reason: str | None
