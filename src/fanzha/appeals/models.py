from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.kit.db import Base, BigIntPK, JSONType, UTCDateTime


class Appeal(Base):
    """A subject's appeal against one measure (one appeal per measure)."""

    __tablename__ = "appeals"
    __table_args__ = (Index("ix_appeals_state", "state"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    measure_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("measures.id"), unique=True)
    case_id: Mapped[int | None] = mapped_column(BigIntPK, nullable=True)
    account_id: Mapped[str] = mapped_column(String(256), index=True)
    grounds: Mapped[str] = mapped_column(Text)
    materials: Mapped[Any] = mapped_column(JSONType, default=list)
    state: Mapped[str] = mapped_column(String(20))
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    original_decider: Mapped[str] = mapped_column(String(200))
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    restored_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RuleAppealCount(Base):
    """Appeals against measures a rule (or model) caused, and how many were overturned."""

    __tablename__ = "rule_appeal_counts"

    rule: Mapped[str] = mapped_column(String(200), primary_key=True)
    appeals: Mapped[int] = mapped_column(Integer, default=0)
    upheld: Mapped[int] = mapped_column(Integer, default=0)
    overturned: Mapped[int] = mapped_column(Integer, default=0)
