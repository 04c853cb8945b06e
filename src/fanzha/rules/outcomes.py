"""The outcome algebra shared by rule packs and decisions: ``allow < warn < review < block``."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Outcome(StrEnum):
    """What a decision asks the caller to do, ordered by severity (``Outcome.block > Outcome.warn``)."""

    allow = "allow"
    warn = "warn"
    review = "review"
    block = "block"

    @property
    def severity(self) -> int:
        """0 for allow up to 3 for block."""
        return _SEVERITY[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Outcome):
            return NotImplemented
        return _SEVERITY[self] < _SEVERITY[other]

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Outcome):
            return NotImplemented
        return _SEVERITY[self] <= _SEVERITY[other]

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Outcome):
            return NotImplemented
        return _SEVERITY[self] > _SEVERITY[other]

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Outcome):
            return NotImplemented
        return _SEVERITY[self] >= _SEVERITY[other]

    @staticmethod
    def highest(outcomes: Iterable[Outcome], default: Outcome | None = None) -> Outcome:
        """The most severe of ``outcomes``; ``default`` (allow when not given) when there are none."""
        best = Outcome.allow if default is None else default
        for outcome in outcomes:
            if _SEVERITY[outcome] > _SEVERITY[best]:
                best = outcome
        return best


# Hashing a StrEnum member is the hash of its string, so a plain dict lookup stays cheap on the hot path.
_SEVERITY: dict[str, int] = {"allow": 0, "warn": 1, "review": 2, "block": 3}


class RuleMode(StrEnum):
    """``live`` rules decide; ``shadow`` ones are evaluated and reported only; ``disabled`` only compiled."""

    live = "live"
    shadow = "shadow"
    disabled = "disabled"
