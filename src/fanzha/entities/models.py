from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.kit.db import Base, BigIntPK, UTCDateTime


class EntityLabel(Base):
    """A label on an entity (``account acc-1`` is ``fraud``), with its reason, source and expiry.

    A manual label beats an automatic one: automation never overwrites or removes a manual label.
    """

    __tablename__ = "entity_labels"
    __table_args__ = (
        UniqueConstraint("entity_type", "entity_value", "label", name="uq_entity_labels_entity_label"),
        Index("ix_entity_labels_entity", "entity_type", "entity_value"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    entity_type: Mapped[str] = mapped_column(String(30))
    entity_value: Mapped[str] = mapped_column(String(2048))
    label: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(200), default="")
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200), default="")


class Account(Base):
    """What the decision path knows of an account: when it registered and when it was first seen."""

    __tablename__ = "accounts"

    account_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
