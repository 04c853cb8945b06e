from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from fanzha.earlywarning.schemas import DecisionWarning


class Reason(BaseModel):
    rule: str
    message: str


class Decision(BaseModel):
    """The answer to an event: allow < warn < review < block, with the rules that decided it and the
    victim warning it issued, if any."""

    event_id: str
    decision: str
    score: int
    reasons: list[Reason]
    actions: list[str]
    ruleset_version: str
    latency_ms: float
    degraded: list[str] | None = None
    warning: DecisionWarning | None = None


class DecisionRecordOut(BaseModel):
    """A stored decision with what explains it: the event, features used, rule hits, versions."""

    event_id: str
    event_type: str
    occurred_at: datetime
    decided_at: datetime
    actor_id: str
    decision: str
    score: int
    ruleset_version: str
    latency_ms: float
    response: dict[str, Any]
    record: dict[str, Any]


class Accepted(BaseModel):
    event_id: str
    status: str
