from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.kit.db import Base, BigIntPK, JSONType, UTCDateTime


class DecisionRecord(Base):
    """A decision as it was answered, with everything needed to explain and replay it."""

    __tablename__ = "decisions"
    __table_args__ = (
        Index("ix_decisions_actor_occurred", "actor_id", "occurred_at"),
        # With the outcome in the index, the console's counts by outcome over time read the index only.
        Index("ix_decisions_decided_at_decision", "decided_at", "decision"),
    )

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[str] = mapped_column(String(256))
    decision: Mapped[str] = mapped_column(String(10))
    score: Mapped[int]
    ruleset_version: Mapped[str] = mapped_column(String(64))
    latency_ms: Mapped[float] = mapped_column(Float)
    # The answer exactly as sent, so a repeated event_id is answered identically.
    response: Mapped[Any] = mapped_column(JSONType)
    # The event, features, rule hits (live and shadow), rule errors and degraded dependencies.
    record: Mapped[Any] = mapped_column(JSONType)


class InboxEvent(Base):
    """An event accepted by ``POST /v1/events`` and not yet decided (kept until it is)."""

    __tablename__ = "event_inbox"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[Any] = mapped_column(JSONType)


class OutboxMessage(Base):
    """A domain event written in the same transaction as the decision, for later domains to handle."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(100), index=True)
    key: Mapped[str] = mapped_column(String(256))
    payload: Mapped[Any] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
