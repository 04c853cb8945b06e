"""Bus handlers of the entities domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from fanzha.bus.dispatcher import Message
from fanzha.entities import bindings

BUS_ACTOR = "system:bus"


def on_phone_seen(session: Session, message: Message) -> None:
    """Record the account's phone binding (a change of phone closes the previous binding)."""
    payload = message.payload
    account_id = str(payload.get("account_id") or "")
    phone = str(payload.get("phone") or "")
    at = payload.get("at")
    if not account_id or not phone or not isinstance(at, str):
        return
    bindings.record_from_event(
        session,
        account_id=account_id,
        phone=phone,
        at=datetime.fromisoformat(at),
        event_id=str(payload.get("event_id", "")),
        actor=BUS_ACTOR,
    )
