"""The outcome algebra shared by rule packs and decisions: ``allow < warn < review < block``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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


# ---- Victim early warnings (预警劝阻) a rule can declare: who is warned, about which fraud, where. ----


class WarningRecipient(StrEnum):
    """Whose screen the warning goes to: the acting user (a payer) or the other party (a message's receiver)."""

    actor = "actor"
    counterparty = "counterparty"


class WarningChannel(StrEnum):
    """Where the platform shows a warning. ``None`` in a rule means: chosen by the event type."""

    in_app_banner = "in_app_banner"
    chat_banner = "chat_banner"
    payment_interstitial = "payment_interstitial"
    contact_request_dialog = "contact_request_dialog"
    full_screen = "full_screen"


AUTO_TYPOLOGY = "auto"
"""A rule's ``warning.typology`` that is resolved per event: from screening, then typology labels, else generic."""

GENERIC_TYPOLOGY = "generic"

WARNING_TYPOLOGIES: tuple[str, ...] = (
    "T01_task_rebate",
    "T02_investment",
    "T03_fake_shopping",
    "T04_fake_cs_refund",
    "T05_fake_loan",
    "T06_fake_credit",
    "T07_impersonate_boss",
    "T08_impersonate_police",
    "T09_game_trade",
    "T10_romance",
    "T11_military_purchase",
    "T12_phishing_notice",
    GENERIC_TYPOLOGY,
)
"""Typologies a warning can be about: the MPS fraud typology codes (as reports and screening use them) and
``generic``. Each has zh and en templates in ``fanzha/earlywarning/templates.yaml``."""


@dataclass(frozen=True, slots=True)
class WarningSpec:
    """A rule's ``warning:``: when the rule hits, warn ``recipient`` about ``typology`` (see docs/early-warning.md)."""

    typology: str
    recipient: WarningRecipient = WarningRecipient.actor
    channel: WarningChannel | None = None
