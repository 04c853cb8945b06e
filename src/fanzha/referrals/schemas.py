from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from fanzha.measures.schemas import Reason, UtcTime


class Destination(StrEnum):
    """Who receives a referral, by risk type (ATOFL art. 26(2)): police, financial, telecom or internet regulator."""

    police = "police"
    finance = "finance"
    telecom = "telecom"
    cac = "cac"
    partner = "partner"


class RiskDegree(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


class ReferralState(StrEnum):
    """Where a referral stands: its second approval first, then the authority's feedback."""

    pending_approval = "pending_approval"
    rejected = "rejected"
    referred = "referred"
    received = "received"
    case_filed = "case_filed"
    declined = "declined"


class FeedbackStatus(StrEnum):
    """What the authority answered: it received the clues, filed a case (立案) on them, or declined."""

    received = "received"
    case_filed = "case_filed"
    declined = "declined"


class PackageFormat(StrEnum):
    json = "json"
    html = "html"
    pdf = "pdf"


Unit = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)]


class ReferralIn(BaseModel):
    """A referral of a case's clues: to whom, how risky, why, and whether its whole cluster goes."""

    model_config = ConfigDict(extra="forbid")

    recipient_unit: Unit = Field(description="The receiving unit, e.g. 'XX市公安局反诈中心'")
    recipient_type: Destination = Destination.police
    risk_degree: RiskDegree = RiskDegree.high
    summary: str = Field(default="", max_length=5000, description="The clue in a few sentences")
    legal_basis: list[Annotated[str, StringConstraints(min_length=1, max_length=50)]] = Field(
        default_factory=lambda: ["ATOFL-26"], min_length=1, max_length=20
    )
    reason: Reason
    cluster: bool = Field(default=False, description="Refer every case of the case's cluster (a ring) together.")


class ReferralCreate(ReferralIn):
    """A referral of several cases at once (the first one holds the package as evidence)."""

    case_ids: list[int] = Field(min_length=1, max_length=100)


class ReferralDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    reason: Reason


class FeedbackIn(BaseModel):
    """The authority's answer to a referral, as the police liaison records it."""

    model_config = ConfigDict(extra="forbid")

    status: FeedbackStatus
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
    authority_ref: str = Field(default="", max_length=300, description="Their reference, e.g. the filed case number")
    received_at: UtcTime | None = Field(default=None, description="When the answer arrived; default now")


class FeedbackOut(BaseModel):
    status: str
    text: str
    authority_ref: str
    received_at: datetime
    recorded_by: str
    recorded_at: datetime


class ReferralOut(BaseModel):
    id: int
    case_id: int
    case_ids: list[int]
    recipient_unit: str
    recipient_type: str
    risk_degree: str
    summary: str
    legal_basis: list[str]
    reason: str
    state: ReferralState
    answer_due_at: datetime | None = Field(
        description="When the authority's final answer is due (approval + referral_answer_days), while it is awaited"
    )
    answer_overdue: bool = Field(description="The final answer is awaited and past answer_due_at")
    package_sha256: str
    release_id: int | None
    referred_by: str
    created_at: datetime
    decided_by: str | None = Field(description="The second person who approved or rejected the referral")
    decided_at: datetime | None
    decision_reason: str | None
    feedback_status: str | None
    feedback_at: datetime | None
    feedback: list[FeedbackOut]
