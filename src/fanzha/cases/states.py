"""The case state machine (D2-CASE-02) and its priorities."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum


class CaseState(StrEnum):
    new = "new"
    triaged = "triaged"
    verifying = "verifying"
    escalated = "escalated"
    decided = "decided"
    actioned = "actioned"
    notified = "notified"
    closed = "closed"
    reopened = "reopened"
    appealed = "appealed"
    appeal_review = "appeal_review"
    upheld = "upheld"
    reversed = "reversed"


class Priority(StrEnum):
    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


class SourceType(StrEnum):
    decision = "decision"
    screening = "screening"
    patrol = "patrol"
    user_report = "user_report"
    police_notice = "police_notice"
    regulator_notice = "regulator_notice"
    partner_signal = "partner_signal"
    manual = "manual"


class SubjectType(StrEnum):
    account = "account"
    phone = "phone"
    device = "device"
    url = "url"
    domain = "domain"
    ip = "ip"
    app = "app"
    listing = "listing"
    group = "group"
    payment_account = "payment_account"
    id_hash = "id_hash"


STRONG_LINKS = frozenset(
    {SubjectType.account, SubjectType.device, SubjectType.payment_account, SubjectType.phone, SubjectType.id_hash}
)
"""Subject types that tie cases into one cluster (a ring) when two cases share a value."""

SLA = {
    Priority.P0: timedelta(hours=1),
    Priority.P1: timedelta(hours=4),
    Priority.P2: timedelta(hours=24),
    Priority.P3: timedelta(hours=72),
}

OPEN = frozenset({CaseState.new, CaseState.triaged, CaseState.verifying, CaseState.escalated, CaseState.reopened})
"""States in which a case waits for a reviewer: it can be claimed, joined by new triggers and decided."""

# Moves a person may ask for by name; the others happen through a decision, an approval or an appeal.
MANUAL: dict[CaseState, frozenset[CaseState]] = {
    CaseState.new: frozenset({CaseState.triaged, CaseState.verifying, CaseState.escalated}),
    CaseState.triaged: frozenset({CaseState.verifying, CaseState.escalated}),
    CaseState.verifying: frozenset({CaseState.triaged, CaseState.escalated}),
    CaseState.escalated: frozenset({CaseState.triaged, CaseState.verifying}),
    CaseState.reopened: frozenset({CaseState.triaged, CaseState.verifying, CaseState.escalated}),
    CaseState.decided: frozenset({CaseState.closed}),
    CaseState.notified: frozenset({CaseState.closed}),
    CaseState.upheld: frozenset({CaseState.closed}),
    CaseState.reversed: frozenset({CaseState.closed}),
    CaseState.closed: frozenset({CaseState.reopened}),
}
