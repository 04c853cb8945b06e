from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from fanzha.cases.states import SubjectType
from fanzha.measures.schemas import Reason


class FraudCategory(StrEnum):
    """The fraud typology (MPS top-ten lists), with the screening library's codes, plus ``other``."""

    T01_task_rebate = "T01_task_rebate"
    T02_investment = "T02_investment"
    T03_fake_shopping = "T03_fake_shopping"
    T04_fake_cs_refund = "T04_fake_cs_refund"
    T05_fake_loan = "T05_fake_loan"
    T06_fake_credit = "T06_fake_credit"
    T07_impersonate_boss = "T07_impersonate_boss"
    T08_impersonate_police = "T08_impersonate_police"
    T09_game_trade = "T09_game_trade"
    T10_romance = "T10_romance"
    T11_military_purchase = "T11_military_purchase"
    T12_phishing_notice = "T12_phishing_notice"
    other = "other"


class ReportStatus(StrEnum):
    """Where a report stands: received, then founded or unfounded once its case is decided."""

    received = "received"
    founded = "founded"
    unfounded = "unfounded"


class ReportOutcome(StrEnum):
    """What the reporter is told when the case ends (DSA art. 16(5)); founded and unfounded follow from it."""

    action_taken = "action_taken"
    no_violation_found = "no_violation_found"


class EvidenceType(StrEnum):
    """Attachment types a report may reference (screenshots, chat exports, receipts)."""

    png = "image/png"
    jpeg = "image/jpeg"
    webp = "image/webp"
    pdf = "application/pdf"
    text = "text/plain"


MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_EVIDENCE_FILES = 10
MAX_TEXT = 5000

Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]


class ReporterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Identifier


class ReportSubjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: SubjectType
    id: Identifier


class ReportEvidenceIn(BaseModel):
    """An attachment referenced by its SHA-256, its media type, its size and where the platform keeps it."""

    model_config = ConfigDict(extra="forbid")

    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]
    type: EvidenceType
    size_bytes: int = Field(ge=1, le=MAX_EVIDENCE_BYTES)
    uri: str = Field(default="", max_length=2048)
    description: str = Field(default="", max_length=500)


class ReportIn(BaseModel):
    """A user's report (D6-RPT-01)."""

    model_config = ConfigDict(extra="forbid")

    reporter: ReporterIn
    subjects: list[ReportSubjectIn] = Field(min_length=1, max_length=20)
    category: FraudCategory
    text: str = Field(default="", max_length=MAX_TEXT)
    evidence: list[ReportEvidenceIn] = Field(default_factory=list, max_length=MAX_EVIDENCE_FILES)


class Acknowledgement(BaseModel):
    reference: str = Field(description="Quote it to support; with the part after '-' it opens the status page")
    received_at: datetime
    message: str
    status_path: str | None = Field(description="Where the reporter can check the state and outcome (no login)")


class OutcomeNotice(BaseModel):
    """The decision and the redress available, as told to the reporter."""

    zh: str
    en: str


class ReportOut(BaseModel):
    id: int
    state: str
    category: str
    case_id: int | None
    case_report_count: int
    reporter_reliability: float
    flagged_subjects: list[str]
    acknowledgement: Acknowledgement
    outcome: ReportOutcome | None = None
    outcome_at: datetime | None = None
    outcome_notice: OutcomeNotice | None = None


class ResolutionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    founded: bool
    reason: Reason


class ReporterOut(BaseModel):
    reporter_id: str
    reports: int
    founded: int
    unfounded: int
    reliability: float


class FormLinkIn(BaseModel):
    """Ask for a signed link to the report form for one of the platform's signed-in users."""

    model_config = ConfigDict(extra="forbid")

    reporter_id: Identifier
    lang: Literal["zh", "en"] | None = None
    ttl_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)


class FormLinkOut(BaseModel):
    url: str = Field(description="Path and query of the form, to put behind the platform's own host or an iframe")
    token: str = Field(description="The signed reporter token, also accepted in the X-Fanzha-Reporter header")
    expires_at: datetime
