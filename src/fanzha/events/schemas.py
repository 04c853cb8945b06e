"""The event schema: what the platform reports to fanzha, JSON in and out.

Known fields are typed and checked; anything else a platform wants to pass along goes into
``attributes`` (or as extra keys on actor, counterparty, context and content, which are kept).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from fanzha.events.links import urls_in_text
from fanzha.kit.clock import ensure_utc


class BuiltinEventType(StrEnum):
    """Event types every deployment accepts; others must be declared in settings."""

    account_registered = "account.registered"
    account_login = "account.login"
    account_profile_changed = "account.profile_changed"
    message_sent = "message.sent"
    content_published = "content.published"
    listing_published = "listing.published"
    payment_created = "payment.created"


BUILTIN_EVENT_TYPES: frozenset[str] = frozenset(t.value for t in BuiltinEventType)

Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
ShortText = Annotated[str, StringConstraints(max_length=2048)]


class Party(BaseModel):
    """An account taking part in the event (the actor, or the counterparty it deals with)."""

    model_config = ConfigDict(extra="allow")

    id: Identifier


class EventContext(BaseModel):
    """Where the event came from: network, device and the phone bound to the session."""

    model_config = ConfigDict(extra="allow")

    ip: Annotated[str, StringConstraints(max_length=64)] | None = None
    device_id: Identifier | None = None
    phone: Annotated[str, StringConstraints(max_length=64)] | None = None
    user_agent: ShortText | None = None


class EventContent(BaseModel):
    """What the user wrote or offered: message or post text, listing title and price, links."""

    model_config = ConfigDict(extra="allow")

    text: str | None = None
    title: ShortText | None = None
    price: float | None = Field(default=None, ge=0)
    currency: Annotated[str, StringConstraints(max_length=8)] | None = None
    urls: list[ShortText] | None = Field(default=None, max_length=100)


class Event(BaseModel):
    """One thing that happened on the platform, to be decided on."""

    model_config = ConfigDict(extra="forbid")

    event_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
    type: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$", max_length=100)]
    occurred_at: Annotated[datetime, AfterValidator(ensure_utc)]
    actor: Party
    counterparty: Party | None = None
    context: EventContext | None = None
    content: EventContent | None = None
    attributes: dict[str, Any] | None = None

    def as_rule_input(self) -> dict[str, Any]:
        """The event as plain JSON-compatible data, as rules see it (``event.*`` in CEL).

        Links written in the text are added to ``content.urls``, so a rule on links also sees the
        ones a user pasted into a message; ``occurred_at_epoch`` is the event time in seconds.
        """
        data = self.model_dump(mode="json", exclude_none=True)
        data["occurred_at_epoch"] = self.occurred_at.timestamp()
        content = data.get("content")
        if content is not None and content.get("text"):
            found = urls_in_text(content["text"])
            if found:
                given = content.get("urls", [])
                content["urls"] = given + [url for url in found if url not in given]
        return data
