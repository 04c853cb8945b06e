from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from fanzha.cases.states import CaseState, Priority, SourceType, SubjectType
from fanzha.measures.schemas import MeasureSpec, Reason, UtcTime, Withholding

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,99}$")]


class SubjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: SubjectType
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]
    role: str = Field(default="", max_length=50)


class EvidenceIn(BaseModel):
    """Evidence is referenced, not stored: its hash, its type and where the bytes are kept."""

    model_config = ConfigDict(extra="forbid")

    hash: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{32,128}$")]
    type: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    uri: str = Field(default="", max_length=2048)
    description: str = Field(default="", max_length=2000)
    captured_at: UtcTime


class CaseCreate(BaseModel):
    """A case opened by a person or an intake channel (decisions open their own through the bus)."""

    model_config = ConfigDict(extra="forbid")

    source_type: SourceType
    source_ref: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
    summary: str = Field(default="", max_length=5000)
    fraud_type: str | None = Field(default=None, max_length=50)
    risk_score: int = Field(default=0, ge=0, le=1000)
    priority: Priority = Priority.P2
    legal_basis: list[str] = Field(default_factory=list, max_length=20)
    feedback_owed: bool = False
    subjects: list[SubjectIn] = Field(min_length=1, max_length=500)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=500)


class SubjectOut(BaseModel):
    type: str
    value: str
    role: str
    outcome: str | None
    outcome_at: datetime | None


class EvidenceOut(BaseModel):
    id: int
    hash: str
    type: str
    uri: str
    description: str
    captured_at: datetime
    added_by: str
    added_at: datetime


class TransitionOut(BaseModel):
    from_state: str | None
    to_state: str
    actor: str
    at: datetime
    reason: str
    rule_version: str | None


class CaseOut(BaseModel):
    id: int
    source_type: str
    source_ref: str
    received_at: datetime
    summary: str
    fraud_type: str | None
    risk_score: int
    priority: str
    sla_due_at: datetime
    state: str
    queue: str
    assignee: str | None
    claimed_by: str | None
    claim_expires_at: datetime | None
    legal_basis: list[str]
    rules: list[str]
    cluster_id: int | None
    feedback_owed: bool
    feedback_sent_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    updated_at: datetime


class CaseDetail(CaseOut):
    subjects: list[SubjectOut]
    evidence: list[EvidenceOut]
    transitions: list[TransitionOut]
    measures: list[dict[str, Any]]


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: CaseState
    reason: Reason


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minutes: int | None = Field(default=None, ge=1, le=24 * 60)


class CaseDecision(BaseModel):
    """A reviewer's decision on a case they hold: act (with measures) or not, always with a reason."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["action", "no_action"]
    reason: Reason
    fraud_type: str | None = Field(default=None, max_length=50)
    legal_basis: list[str] = Field(default_factory=list, max_length=20)
    measures: list[MeasureSpec] = Field(default_factory=list, max_length=100)
    cluster: bool = Field(default=False, description="Apply account measures to every account in the case's cluster.")
    withhold_statement: Withholding | None = None

    @model_validator(mode="after")
    def _check(self) -> CaseDecision:
        if self.outcome == "action" and not self.measures:
            raise ValueError("outcome 'action' needs at least one measure")
        if self.outcome == "no_action" and self.measures:
            raise ValueError("outcome 'no_action' takes no measures")
        return self


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Reason


class QueueIn(BaseModel):
    """A queue and its routing rule: every condition given must hold; the lowest position matching wins."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(default="", max_length=2000)
    position: int = Field(default=100, ge=0, le=100_000)
    priorities: list[Priority] = Field(default_factory=list)
    source_types: list[SourceType] = Field(default_factory=list)
    fraud_types: list[str] = Field(default_factory=list)
    rules_any: list[str] = Field(default_factory=list)
    min_risk_score: int | None = Field(default=None, ge=0)
    claim_minutes: int = Field(default=30, ge=1, le=24 * 60)


class QueueOut(BaseModel):
    name: str
    description: str
    position: int
    match: dict[str, Any]
    claim_minutes: int
    created_at: datetime


class ReleaseIn(BaseModel):
    """A proposed release of a case's evidence to the police or an authority."""

    model_config = ConfigDict(extra="forbid")

    recipient: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)]
    request_ref: str = Field(default="", max_length=300, description="The request or notice this answers")
    hashes: list[Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{32,128}$")]] = Field(
        default_factory=list, max_length=500, description="Which evidence; empty means all of the case's"
    )
    legal_basis: list[str] = Field(min_length=1, max_length=20)
    reason: Reason


class ReleaseDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    reason: Reason


class ReleaseOut(BaseModel):
    id: int
    case_id: int
    recipient: str
    request_ref: str
    hashes: list[str]
    legal_basis: list[str]
    reason: str
    state: str
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
