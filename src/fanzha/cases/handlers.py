"""Bus handlers of the cases domain."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fanzha.bus.dispatcher import Message
from fanzha.cases import service as cases_service
from fanzha.decisions.repository import DecisionRepository

BUS_ACTOR = "system:bus"


def on_decision_made(session: Session, message: Message) -> None:
    """``decision.made`` with outcome review or block opens a case for the acting account (or joins its open one)."""
    payload = message.payload
    event_id = str(payload.get("event_id", ""))
    if not event_id or payload.get("decision") not in ("review", "block"):
        return
    stored = DecisionRepository(session).get(event_id)
    legal_basis: list[str] = []
    rule_version = None
    decided_at = message.created_at
    if stored is not None:
        rule_version = stored.ruleset_version
        decided_at = stored.decided_at
        hits = stored.record.get("hits", []) if isinstance(stored.record, dict) else []
        legal_basis = sorted({basis for hit in hits for basis in hit.get("legal_basis", [])})
    cases_service.open_or_join_for_decision(
        session,
        event_id=event_id,
        event_type=str(payload.get("event_type", "")),
        decision=str(payload["decision"]),
        score=int(payload.get("score", 0)),
        rules=[str(rule) for rule in payload.get("rules", [])],
        entities=[dict(item) for item in payload.get("entities", []) if isinstance(item, dict)],
        legal_basis=legal_basis,
        rule_version=rule_version,
        decided_at=decided_at,
        actor=BUS_ACTOR,
    )
