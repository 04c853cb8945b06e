from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.kit.db import Base, BigIntPK, JSONType, UTCDateTime


class Measure(Base):
    """One step of the disposal ladder applied to an account (or one of its items), with its scope and term."""

    __tablename__ = "measures"
    __table_args__ = (
        Index("ix_measures_account_state", "account_id", "state"),
        Index("ix_measures_state_ends_at", "state", "ends_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    case_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("cases.id"), nullable=True, index=True)
    account_id: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(30))
    functions: Mapped[Any] = mapped_column(JSONType, default=list)
    keys: Mapped[Any] = mapped_column(JSONType, default=list)
    item_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    facts: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[Any] = mapped_column(JSONType, default=list)
    rules: Mapped[Any] = mapped_column(JSONType, default=list)
    automated: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20))
    duration_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    proposed_by: Mapped[str] = mapped_column(String(200))
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lift_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Strike(Base):
    """Weight a measure adds to an account's record; strikes inside the window pick the next ladder step."""

    __tablename__ = "strikes"
    __table_args__ = (Index("ix_strikes_account_at", "account_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(256))
    measure_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("measures.id"), unique=True)
    weight: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ReverifyTask(Base):
    """An abnormal account must prove who holds it by a deadline; meanwhile its functions are restricted."""

    __tablename__ = "reverify_tasks"
    __table_args__ = (Index("ix_reverify_tasks_state_deadline", "state", "deadline"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(256), index=True)
    case_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("cases.id"), nullable=True)
    measure_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("measures.id"))
    method: Mapped[str] = mapped_column(String(30))
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    result_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Statement(Base):
    """The statement of reasons a subject receives about a measure, in Chinese and English."""

    __tablename__ = "statements"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    measure_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("measures.id"), unique=True)
    account_id: Mapped[str] = mapped_column(String(256), index=True)
    state: Mapped[str] = mapped_column(String(20))
    fields: Mapped[Any] = mapped_column(JSONType)
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    automated: Mapped[bool] = mapped_column(Boolean)
    appeal_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    template_version: Mapped[str] = mapped_column(String(20))
    withheld_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    review_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
