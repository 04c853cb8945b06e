"""Entities inside an event: the accounts, device, ip, phone, links and payment accounts it names.

Extraction is cheap and deterministic so the decision path can do it for every event; the values
are the raw ones from the event (lists and labels normalise them per kind when they look them up).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fanzha.events.links import urls_in_text
from fanzha.events.schemas import Event


class EntityType(StrEnum):
    """Kinds of entity that can carry labels and appear on lists."""

    account = "account"
    device = "device"
    ip = "ip"
    phone = "phone"
    url = "url"
    domain = "domain"
    payment_account = "payment_account"
    listing = "listing"


@dataclass(frozen=True, slots=True)
class EntityRef:
    """One entity named by an event, and the role it plays there (actor, counterparty, payee, ...)."""

    type: EntityType
    value: str
    role: str


PAYMENT_ATTRIBUTES = ("payee_account", "payer_account", "payment_account")
LISTING_ATTRIBUTES = ("listing_id",)


def extract_entities(event: Event) -> list[EntityRef]:
    """Every entity the event names, actor first."""
    refs = [EntityRef(EntityType.account, event.actor.id, "actor")]
    if event.counterparty is not None:
        refs.append(EntityRef(EntityType.account, event.counterparty.id, "counterparty"))
    context = event.context
    if context is not None:
        if context.device_id:
            refs.append(EntityRef(EntityType.device, context.device_id, "actor_device"))
        if context.ip:
            refs.append(EntityRef(EntityType.ip, context.ip, "actor_ip"))
        if context.phone:
            refs.append(EntityRef(EntityType.phone, context.phone, "actor_phone"))
    content = event.content
    if content is not None:
        urls = list(content.urls or [])
        if content.text:
            urls.extend(u for u in urls_in_text(content.text) if u not in urls)
        refs.extend(EntityRef(EntityType.url, url, "content") for url in urls)
    attributes = event.attributes or {}
    for name in PAYMENT_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str) and value:
            refs.append(EntityRef(EntityType.payment_account, value, name))
    for name in LISTING_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str) and value:
            refs.append(EntityRef(EntityType.listing, value, "listing"))
    return refs


def entity_to_dict(ref: EntityRef) -> dict[str, str]:
    return {"type": ref.type.value, "value": ref.value, "role": ref.role}
