"""Time in one place, so tests can move it."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def ensure_utc(moment: datetime) -> datetime:
    """Treat a naive datetime as UTC and convert an aware one to UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso_or_none(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC, or None (how audit entries and API answers write optional times)."""
    return None if moment is None else ensure_utc(moment).isoformat()
