"""Webhooks: the platform learns of every change of restrictions (and statements, appeals) by a signed POST.

Messages come from the outbox through the bus (:func:`enqueue`), so a change and its webhook are
committed together; each (endpoint, message) delivery is retried with back-off until the receiver
answers 2xx, so nothing is lost while it is down. Receivers deduplicate by ``Fanzha-Delivery``.

Signature: ``Fanzha-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import orjson
from sqlalchemy.orm import Session, sessionmaker

from fanzha.audit import service as audit
from fanzha.bus.dispatcher import Message
from fanzha.kit.clock import utcnow
from fanzha.kit.db import transaction
from fanzha.kit.errors import InvalidInput, NotFound
from fanzha.webhooks.models import WebhookDelivery, WebhookEndpoint
from fanzha.webhooks.repository import WebhookRepository

log = logging.getLogger(__name__)

TOPICS = ("restrictions.changed", "statement.issued", "appeal.decided", "report.outcome")
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
LEASE = timedelta(seconds=60)
MAX_BACKOFF = timedelta(hours=1)

Sender = Callable[[str, bytes, dict[str, str]], int]
"""Posts ``body`` with ``headers`` to a URL and returns the HTTP status (raises on network failure)."""


def http_sender(url: str, body: bytes, headers: dict[str, str], *, timeout: float = 5.0) -> int:
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def sign(secret: str, body: bytes, *, timestamp: int) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    secret: str, header: str, body: bytes, *, tolerance_seconds: int = 300, now: float | None = None
) -> bool:
    """What a receiver does: check the HMAC and that the timestamp is recent (against replays)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, body, timestamp=timestamp)
    return hmac.compare_digest(expected, f"t={timestamp},v1={parts.get('v1', '')}")


def create_endpoint(session: Session, *, url: str, topics: list[str], actor: str) -> tuple[WebhookEndpoint, str]:
    """Register a receiver; returns it with its signing secret (shown to the caller once)."""
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise InvalidInput(
            "url must be an absolute http(s) URL", details=[{"field": "url"}], zh="url 必须是绝对的 http(s) 网址"
        )
    unknown = sorted(set(topics) - set(TOPICS))
    if unknown:
        raise InvalidInput(
            f"unknown topics {unknown}; known: {list(TOPICS)}",
            details=[{"field": "topics"}],
            zh=f"未知主题 {unknown}；已知主题：{list(TOPICS)}",
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        url=url, secret=secret, topics=sorted(set(topics)), active=True, created_by=actor, created_at=utcnow()
    )
    WebhookRepository(session).add(endpoint)
    audit.record(
        session,
        actor=actor,
        action="webhook.create",
        object_type="webhook",
        object_id=str(endpoint.id),
        after={"url": url, "topics": endpoint.topics},
    )
    return endpoint, secret


def deactivate(session: Session, *, endpoint_id: int, actor: str) -> WebhookEndpoint:
    endpoint = WebhookRepository(session).get(endpoint_id)
    if endpoint is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}", zh=f"Webhook 端点 {endpoint_id} 不存在")
    if endpoint.active:
        endpoint.active = False
        session.flush()
        audit.record(
            session, actor=actor, action="webhook.deactivate", object_type="webhook", object_id=str(endpoint_id)
        )
    return endpoint


def endpoints(session: Session) -> list[WebhookEndpoint]:
    return WebhookRepository(session).endpoints()


def deliveries(session: Session, *, endpoint_id: int | None, pending_only: bool, limit: int) -> list[WebhookDelivery]:
    return WebhookRepository(session).deliveries(endpoint_id=endpoint_id, pending_only=pending_only, limit=limit)


def enqueue(session: Session, message: Message) -> None:
    """Bus handler: owe this message to every active endpoint subscribed to its topic."""
    now = utcnow()
    WebhookRepository(session).enqueue(
        [
            {
                "endpoint_id": endpoint.id,
                "message_seq": message.seq,
                "topic": message.topic,
                "payload": dict(message.payload),
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for endpoint in WebhookRepository(session).endpoints(active_only=True)
            if message.topic in (endpoint.topics or [])
        ]
    )


def deliver_due(
    sessions: sessionmaker[Session], *, sender: Sender = http_sender, now: datetime | None = None, limit: int = 100
) -> int:
    """Send every delivery that is due; return how many the receivers accepted.

    Each is leased first (its next attempt pushed out), so two processes never send the same one at
    once; the HTTP call happens outside any transaction.
    """
    now = now or utcnow()
    with transaction(sessions) as session:
        due = WebhookRepository(session).due(now, limit=limit)
    accepted = 0
    for delivery_id, _attempts in due:
        with transaction(sessions) as session:
            repository = WebhookRepository(session)
            delivery = repository.lease(delivery_id, at=now, until=now + LEASE)
            if delivery is None:
                continue
            endpoint = repository.get(delivery.endpoint_id)
            attempts = delivery.attempts
            envelope = {
                "id": delivery.id,
                "topic": delivery.topic,
                "created_at": delivery.created_at.isoformat(),
                "data": delivery.payload,
            }
        if endpoint is None or not endpoint.active:
            continue
        body = orjson.dumps(envelope)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "fanzha-webhooks",
            "Fanzha-Delivery": str(delivery_id),
            "Fanzha-Topic": str(envelope["topic"]),
            "Fanzha-Signature": sign(endpoint.secret, body, timestamp=int(time.time())),
        }
        status: int | None = None
        error: str | None = None
        try:
            status = sender(endpoint.url, body, headers)
        except Exception as failure:  # the receiver is down or unreachable: try again later
            error = f"{type(failure).__name__}: {failure}"[:2000]
        done = status is not None and 200 <= status < 300
        finished_at = utcnow()
        backoff = min(timedelta(seconds=5 * 2**attempts), MAX_BACKOFF)
        with transaction(sessions) as session:
            WebhookRepository(session).finish(
                delivery_id,
                {
                    "attempts": attempts + 1,
                    "last_status": status,
                    "last_error": error if error is not None else (None if done else f"HTTP {status}"),
                    "delivered_at": finished_at if done else None,
                    "next_attempt_at": finished_at if done else finished_at + backoff,
                },
            )
        if done:
            accepted += 1
        else:
            log.warning("webhook delivery %d to %s failed: %s", delivery_id, endpoint.url, error or status)
    return accepted
