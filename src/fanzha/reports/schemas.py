from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

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


class EvidenceType(StrEnum):
    """Attachment types a report may reference (screenshots, chat exports, receipts)."""

    png = "image/png"
    jpeg = "image/jpeg"
    webp = "image/webp"
    pdf = "application/pdf"
    text = "text/plain"


MAX_EVIDENCE_BYTES = 10 * 1024 * 1024

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
    text: str = Field(default="", max_length=5000)
    evidence: list[ReportEvidenceIn] = Field(default_factory=list, max_length=10)


class Acknowledgement(BaseModel):
    reference: str
    received_at: datetime
    message: str


class ReportOut(BaseModel):
    id: int
    state: str
    category: str
    case_id: int | None
    case_report_count: int
    reporter_reliability: float
    flagged_subjects: list[str]
    acknowledgement: Acknowledgement


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
