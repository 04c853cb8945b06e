from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from fanzha.measures.schemas import AccountId, Reason


class MaterialIn(BaseModel):
    """Something the subject submits: its kind (identity proof, face check, explanation) and a reference."""

    model_config = ConfigDict(extra="forbid")

    type: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    uri: str = Field(default="", max_length=2048)
    hash: str | None = Field(default=None, max_length=128)
    note: str = Field(default="", max_length=2000)


class AppealCreate(BaseModel):
    """An appeal the platform submits for its user, against one measure."""

    model_config = ConfigDict(extra="forbid")

    measure_id: int
    account_id: AccountId
    grounds: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=5000)]
    materials: list[MaterialIn] = Field(default_factory=list, max_length=50)


class AppealDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["uphold", "overturn"]
    reason: Reason


class AppealOut(BaseModel):
    id: int
    measure_id: int
    case_id: int | None
    account_id: str
    grounds: str
    materials: list[dict[str, Any]]
    state: str
    submitted_by: str
    submitted_at: datetime
    claimed_by: str | None
    claim_expires_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    restored_at: datetime | None


class RuleAppealCountOut(BaseModel):
    """Appeals against measures a rule caused; a high overturn rate says the rule needs work."""

    rule: str
    appeals: int
    upheld: int
    overturned: int
