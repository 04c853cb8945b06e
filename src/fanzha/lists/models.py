from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.kit.db import Base, BigIntPK, UTCDateTime


class IndicatorList(Base):
    """A named list of indicators of one kind (phones, domains, devices, ...)."""

    __tablename__ = "indicator_lists"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    entry_count: Mapped[int] = mapped_column(Integer, default=0)


class ListEntry(Base):
    """One indicator on a list, with why it is there, who put it there and until when."""

    __tablename__ = "list_entries"
    __table_args__ = (
        UniqueConstraint("list_name", "value", name="uq_list_entries_list_value"),
        Index("ix_list_entries_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    list_name: Mapped[str] = mapped_column(String(100), ForeignKey("indicator_lists.name", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(String(2048))
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(200), default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200), default="")
