from __future__ import annotations

from pydantic import BaseModel


class SkippedIndicator(BaseModel):
    id: str
    reason: str


class ImportOut(BaseModel):
    """What importing a STIX bundle did: entries stored per list, entries withdrawn, indicators skipped."""

    bundle_id: str
    imported: dict[str, int]
    withdrawn: int
    skipped_count: int
    skipped: list[SkippedIndicator]
