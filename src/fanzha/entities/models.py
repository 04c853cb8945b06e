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


class PhoneBinding(Base):
    """That ``account_id`` was bound to ``phone`` (E.164) from ``bound_at`` until ``unbound_at`` (D2-ACC-03).

    An open binding (``unbound_at`` null) is the account's current phone; an account has at most one.
    Rebinding an account to another phone closes the open one. ``source`` says who told fanzha
    (``event:<event_id>`` from the decision path, or the account system's name through the API).
    """

    __tablename__ = "phone_bindings"
    __table_args__ = (
        UniqueConstraint("account_id", "phone", "bound_at", name="uq_phone_bindings_account_phone_bound"),
        Index("ix_phone_bindings_phone_unbound", "phone", "unbound_at"),
        Index("ix_phone_bindings_account_id", "account_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(256))
    phone: Mapped[str] = mapped_column(String(32))
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime)
    unbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The latest sighting of this phone on this account that the binding absorbed (null: bound_at).
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    source: Mapped[str] = mapped_column(String(200), default="")
    unbind_source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
