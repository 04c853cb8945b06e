from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.kit.db import Base, BigIntPK, JSONType, UTCDateTime


class Report(Base):
    """One user report about one or more subjects, and the case it was clustered into."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_reporter_received", "reporter_id", "received_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    reporter_id: Mapped[str] = mapped_column(String(256))
    category: Mapped[str] = mapped_column(String(50))
    text: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[Any] = mapped_column(JSONType, default=list)
    state: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("cases.id"), nullable=True, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    # The secret half of the reference a reporter checks the status with (``R00000012-<token>``):
    # without it report ids could be walked. Reports filed before it existed have none.
    status_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # What the reporter is told when the case ends (DSA art. 16(5)), set once by the bus handler.
    outcome: Mapped[str | None] = mapped_column(String(30), nullable=True)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outcome_text_zh: Mapped[str | None] = mapped_column(Text, nullable=True)
    outcome_text_en: Mapped[str | None] = mapped_column(Text, nullable=True)


class ReportSubject(Base):
    """A subject a report names, kept apart so reports about the same subject can be found and counted."""

    __tablename__ = "report_subjects"
    __table_args__ = (Index("ix_report_subjects_type_value", "type", "value", "received_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(30))
    value: Mapped[str] = mapped_column(String(2048))
    reporter_id: Mapped[str] = mapped_column(String(256))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Reporter(Base):
    """What fanzha knows of a reporter's track record: how many reports were founded and unfounded."""

    __tablename__ = "reporters"

    reporter_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    reports: Mapped[int] = mapped_column(Integer, default=0)
    founded: Mapped[int] = mapped_column(Integer, default=0)
    unfounded: Mapped[int] = mapped_column(Integer, default=0)
    reliability: Mapped[float] = mapped_column(Float, default=1.0)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_report_at: Mapped[datetime] = mapped_column(UTCDateTime)
