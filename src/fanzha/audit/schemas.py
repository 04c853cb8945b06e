from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditEntryOut(BaseModel):
    """One entry of the hash-chained audit log."""

    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    before: Any
    after: Any
    reason: str | None
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_before_seq: int | None


class ChainReportOut(BaseModel):
    """Whether the chain is intact; ``bad_seq`` names the first entry that fails."""

    ok: bool
    checked: int
    head_hash: str
    bad_seq: int | None
    problem: str | None
