from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.kit.db import Base


class StateRevision(Base):
    """The current revision of one piece of shared state, e.g. ``rules`` or ``list:blocked_phones``."""

    __tablename__ = "state_revisions"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)
