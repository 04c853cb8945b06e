from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fanzha.webhooks.service import TOPICS


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=2048)
    topics: list[str] = Field(default_factory=lambda: list(TOPICS), min_length=1)


class WebhookOut(BaseModel):
    id: int
    url: str
    topics: list[str]
    active: bool
    created_by: str
    created_at: datetime


class WebhookCreated(WebhookOut):
    """The new endpoint; ``secret`` (for checking signatures) is shown this once."""

    secret: str


class DeliveryOut(BaseModel):
    id: int
    endpoint_id: int
    message_seq: int
    topic: str
    payload: dict[str, Any]
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
