from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.kit.db import Base, UTCDateTime


class BusDelivery(Base):
    """How far one handler got with one outbox message: done, or failed with when to try again."""

    __tablename__ = "bus_deliveries"

    message_seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    handler: Mapped[str] = mapped_column(String(100), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
