from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fanzha.webhooks.models import WebhookDelivery, WebhookEndpoint


class WebhookRepository:
    """All SQL on webhook endpoints and deliveries."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, endpoint: WebhookEndpoint) -> None:
        self.session.add(endpoint)
        self.session.flush()

    def get(self, endpoint_id: int) -> WebhookEndpoint | None:
        return self.session.get(WebhookEndpoint, endpoint_id)

    def endpoints(self, *, active_only: bool = False) -> list[WebhookEndpoint]:
        statement = select(WebhookEndpoint).order_by(WebhookEndpoint.id)
        if active_only:
            statement = statement.where(WebhookEndpoint.active.is_(True))
        return list(self.session.execute(statement).scalars())

    def enqueue(self, rows: list[dict[str, Any]]) -> None:
        """Insert deliveries; one (endpoint, message) pair is only ever owed once."""
        if not rows:
            return
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = insert(WebhookDelivery).values(rows)
        self.session.execute(statement.on_conflict_do_nothing(index_elements=["endpoint_id", "message_seq"]))

    def due(self, at: datetime, *, limit: int) -> list[tuple[int, int]]:
        rows = self.session.execute(
            select(WebhookDelivery.id, WebhookDelivery.attempts)
            .where(WebhookDelivery.delivered_at.is_(None), WebhookDelivery.next_attempt_at <= at)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        ).all()
        return [(int(row[0]), int(row[1])) for row in rows]

    def lease(self, delivery_id: int, *, at: datetime, until: datetime) -> WebhookDelivery | None:
        """Take a due delivery for sending (pushing its next attempt out), or None if another sender has it."""
        result = self.session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.delivered_at.is_(None),
                WebhookDelivery.next_attempt_at <= at,
            )
            .values(next_attempt_at=until)
        )
        if int(getattr(result, "rowcount", 0) or 0) != 1:
            return None
        return self.session.get(WebhookDelivery, delivery_id)

    def finish(self, delivery_id: int, values: dict[str, Any]) -> None:
        self.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(**values))

    def deliveries(self, *, endpoint_id: int | None, pending_only: bool, limit: int) -> list[WebhookDelivery]:
        statement = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit)
        if endpoint_id is not None:
            statement = statement.where(WebhookDelivery.endpoint_id == endpoint_id)
        if pending_only:
            statement = statement.where(WebhookDelivery.delivered_at.is_(None))
        return list(self.session.execute(statement).scalars())
