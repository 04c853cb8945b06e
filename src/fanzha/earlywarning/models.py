from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.kit.db import Base, JSONType, UTCDateTime


class VictimWarning(Base):
    """A warning issued to a potential victim, written in the transaction of the decision that issued it.

    One per decided event at most (``event_id`` is unique, and the journal writes it only with a
    newly stored decision). The platform reports back when it was shown and what the user chose.
    """

    __tablename__ = "victim_warnings"
    __table_args__ = (
        Index("ix_victim_warnings_recipient_issued", "recipient_id", "issued_at"),
        Index("ix_victim_warnings_issued_typology", "issued_at", "typology"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    rule_id: Mapped[str] = mapped_column(String(100))
    # The user the warning is for (the payer, or a message's receiver): never the suspected party.
    recipient_id: Mapped[str] = mapped_column(String(256))
    recipient_role: Mapped[str] = mapped_column(String(20))
    typology: Mapped[str] = mapped_column(String(50))
    channel: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str | None] = mapped_column(String(8), nullable=True)
    template_version: Mapped[str] = mapped_column(String(32))
    # The text exactly as rendered for the decision's answer: {locale: {name, title, body, advice}}.
    message: Mapped[Any] = mapped_column(JSONType)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    choice: Mapped[str | None] = mapped_column(String(20), nullable=True)
    chosen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
