from __future__ import annotations

from pydantic import BaseModel


class SkippedIndicator(BaseModel):
    id: str
    reason: str


class ImportOut(BaseModel):
    """What an import (STIX bundle or MISP event) did: entries stored per list, withdrawn, skipped."""

    bundle_id: str
    imported: dict[str, int]
    withdrawn: int
    skipped_count: int
    skipped: list[SkippedIndicator]
