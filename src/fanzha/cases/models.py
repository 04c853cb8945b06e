from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.kit.db import Base, BigIntPK, JSONType, UTCDateTime


class Case(Base):
    """One trigger (a decision, a report, a police notice, a patrol hit) handled to the end."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("source_type", "source_ref", name="uq_cases_source"),
        Index("ix_cases_queue_state", "queue", "state"),
        Index("ix_cases_state_sla", "state", "sla_due_at"),
        Index("ix_cases_cluster", "cluster_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    source_type: Mapped[str] = mapped_column(String(30))
    source_ref: Mapped[str] = mapped_column(String(256))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(Text, default="")
    fraud_type: Mapped[str | None] = mapped_column(String(50), nullable=True)
    risk_score: Mapped[int] = mapped_column(Integer, default=0)
    priority: Mapped[str] = mapped_column(String(2))
    sla_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20))
    queue: Mapped[str] = mapped_column(String(100))
    assignee: Mapped[str | None] = mapped_column(String(200), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    legal_basis: Mapped[Any] = mapped_column(JSONType, default=list)
    rules: Mapped[Any] = mapped_column(JSONType, default=list)
    cluster_id: Mapped[int | None] = mapped_column(BigIntPK, nullable=True)
    feedback_owed: Mapped[bool] = mapped_column(Boolean, default=False)
    feedback_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseSubject(Base):
    """An account, phone, device, URL, listing or payment account the case is about, and its outcome."""

    __tablename__ = "case_subjects"
    __table_args__ = (
        UniqueConstraint("case_id", "type", "value", name="uq_case_subjects_case_type_value"),
        Index("ix_case_subjects_type_value", "type", "value"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("cases.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(30))
    value: Mapped[str] = mapped_column(String(2048))
    role: Mapped[str] = mapped_column(String(50), default="")
    outcome: Mapped[str | None] = mapped_column(String(30), nullable=True)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CaseEvidence(Base):
    """A piece of evidence: its content hash, type, where it is stored and when it was captured."""

    __tablename__ = "case_evidence"
    __table_args__ = (UniqueConstraint("case_id", "hash", name="uq_case_evidence_case_hash"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    hash: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(50))
    uri: Mapped[str] = mapped_column(String(2048), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseTransition(Base):
    """One move of a case's state: from, to, who, when and why."""

    __tablename__ = "case_transitions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_state: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    rule_version: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ReviewQueue(Base):
    """A review queue and the routing rule that sends cases to it (lowest position that matches wins)."""

    __tablename__ = "review_queues"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=100)
    match: Mapped[Any] = mapped_column(JSONType, default=dict)
    claim_minutes: Mapped[int] = mapped_column(Integer, default=30)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EvidenceRelease(Base):
    """Evidence of a case released to the police or an authority, which needs a second person's approval."""

    __tablename__ = "evidence_releases"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(300))
    request_ref: Mapped[str] = mapped_column(String(300), default="")
    hashes: Mapped[Any] = mapped_column(JSONType, default=list)
    legal_basis: Mapped[Any] = mapped_column(JSONType, default=list)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), index=True)
    proposed_by: Mapped[str] = mapped_column(String(200))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
