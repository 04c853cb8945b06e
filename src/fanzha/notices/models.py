from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.kit.db import Base, BigIntPK, JSONType, UTCDateTime


class Notice(Base):
    """A notice from the police or an authority: who issued it, its numbers, deadline and requested measures."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("issuing_unit", "document_no", name="uq_notices_unit_document"),
        Index("ix_notices_state_deadline", "state", "deadline"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    issuing_unit: Mapped[str] = mapped_column(String(200))
    document_no: Mapped[str] = mapped_column(String(100))
    case_no: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_measures: Mapped[Any] = mapped_column(JSONType, default=list)
    state: Mapped[str] = mapped_column(String(20))
    identifier_count: Mapped[int] = mapped_column(Integer, default=0)
    found_count: Mapped[int] = mapped_column(Integer, default=0)
    case_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("cases.id"), nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set once by the deadline watch (bus worker): warned when the deadline came near, marked when it passed.
    deadline_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NoticeIdentifier(Base):
    """One identifier a notice names and what fanzha found and did about it (the feedback row)."""

    __tablename__ = "notice_identifiers"
    __table_args__ = (UniqueConstraint("notice_id", "type", "value", name="uq_notice_identifiers_notice_value"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    notice_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(30))
    value: Mapped[str] = mapped_column(String(2048))
    outcome: Mapped[str] = mapped_column(String(20))
    accounts: Mapped[Any] = mapped_column(JSONType, default=list)
    note: Mapped[str] = mapped_column(String(500), default="")
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime)
