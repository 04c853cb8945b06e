from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.kit.db import Base, BigIntPK, JSONType, UTCDateTime


class Referral(Base):
    """Clues of one or more cases referred to the police or an authority, with the package that went.

    The package is stored exactly as referred (``package_json``, canonical JSON) with its SHA-256. The
    second person's approval lives in the evidence release (``release_id``) the referral proposes;
    the authority's answers are :class:`ReferralFeedback` rows, the latest one's status copied here.
    """

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_feedback_status", "feedback_status"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    case_ids: Mapped[Any] = mapped_column(JSONType, default=list)
    recipient_unit: Mapped[str] = mapped_column(String(300))
    recipient_type: Mapped[str] = mapped_column(String(20))
    risk_degree: Mapped[str] = mapped_column(String(10))
    summary: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[Any] = mapped_column(JSONType, default=list)
    reason: Mapped[str] = mapped_column(Text)
    package_json: Mapped[str] = mapped_column(Text, default="")
    package_sha256: Mapped[str] = mapped_column(String(64), default="")
    release_id: Mapped[int | None] = mapped_column(
        BigIntPK, ForeignKey("evidence_releases.id", ondelete="SET NULL"), nullable=True
    )
    referred_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    feedback_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReferralFeedback(Base):
    """One answer of the authority to a referral: received, case filed (立案) or declined, with its text."""

    __tablename__ = "referral_feedback"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    referral_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    authority_ref: Mapped[str] = mapped_column(String(300), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
