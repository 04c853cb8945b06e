"""Hands outbox messages to the handlers subscribed to their topic, at least once.

Each (message, handler) pair runs in its own transaction that also marks the pair done
(:meth:`BusRepository.claim`), so the handler's writes and the mark commit or roll back together:
a crash before commit means it runs again, a commit means it never does. On PostgreSQL the mark
comes first (its row lock makes a second dispatcher wait); on SQLite it comes last and the
dispatcher pauses between messages, so the one write lock of the file is held as briefly as
possible and the decision journal gets it between messages (docs/performance.md). Handlers must still be
idempotent for their effects outside the database (and are: they key their rows on the message).
A failing handler is retried with exponential back-off; after ``max_attempts`` the message is
closed with the error kept on it (a dead letter, still in the table for an operator).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from fanzha.bus.repository import BusRepository
from fanzha.kit.clock import utcnow
from fanzha.kit.db import dialect_of, transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Message:
    """One outbox message as handlers see it."""

    seq: int
    topic: str
    key: str
    payload: Mapping[str, Any]
    created_at: datetime


Handler = Callable[[Session, Message], None]


@dataclass
class HandlerRegistry:
    """Which handlers (by stable name) run for which topic."""

    _by_topic: dict[str, list[tuple[str, Handler]]] = field(default_factory=dict)

    def subscribe(self, topic: str, name: str, handler: Handler) -> None:
        handlers = self._by_topic.setdefault(topic, [])
        if any(existing == name for existing, _ in handlers):
            raise ValueError(f"handler {name!r} is already subscribed to {topic!r}")
        handlers.append((name, handler))

    def handlers_for(self, topic: str) -> list[tuple[str, Handler]]:
        return list(self._by_topic.get(topic, ()))


def publish(session: Session, *, topic: str, key: str, payload: dict[str, Any]) -> None:
    """Write a message to the outbox in the caller's transaction (it is sent only if that commits)."""
    BusRepository(session).publish(topic=topic, key=key, payload=payload, at=utcnow())


def publish_many(session: Session, messages: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
    """Write (topic, key, payload) messages to the outbox in order, in the caller's transaction."""
    BusRepository(session).publish_many(messages, at=utcnow())


class _AlreadyHandled(Exception):
    """Another dispatcher committed this (message, handler) first: roll this attempt back."""


# After each message on SQLite, a pause long enough for the decision journal (which polls the
# write lock every millisecond) to commit its waiting batch before the next message takes the lock.
SQLITE_PAUSE_SECONDS = 0.003


class Dispatcher:
    """Reads unhandled outbox messages in order and runs their handlers."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        registry: HandlerRegistry,
        *,
        batch: int = 200,
        max_attempts: int = 12,
        max_backoff_seconds: float = 600.0,
    ) -> None:
        self._sessions = sessions
        self._registry = registry
        self._batch = batch
        self._max_attempts = max_attempts
        self._max_backoff = max_backoff_seconds
        bind = sessions.kw.get("bind")
        self._pause = SQLITE_PAUSE_SECONDS if bind is not None and bind.dialect.name == "sqlite" else 0.0

    def run_once(self, *, now: datetime | None = None) -> int:
        """Offer every pending message to its handlers once; return how many messages were closed."""
        now = now or utcnow()
        with self._sessions() as session:
            repository = BusRepository(session)
            rows = repository.pending(limit=self._batch)
            messages = [Message(row.seq, row.topic, row.key, row.payload or {}, row.created_at) for row in rows]
            deliveries = {
                key: (row.attempts, row.next_attempt_at, row.done_at)
                for key, row in repository.deliveries([m.seq for m in messages]).items()
            }
        closed = 0
        for message in messages:
            finished = True
            dead: str | None = None
            for name, handler in self._registry.handlers_for(message.topic):
                attempts, retry_at, done_at = deliveries.get((message.seq, name), (0, None, None))
                if done_at is not None:
                    continue
                if attempts >= self._max_attempts:
                    dead = f"{name} gave up after {attempts} attempts"
                    continue
                if retry_at is not None and retry_at > now:
                    finished = False
                    continue
                if not self._deliver(message, name, handler, attempts, now):
                    finished = False
            if finished:
                with transaction(self._sessions) as session:
                    BusRepository(session).mark_handled(seq=message.seq, at=utcnow(), error=dead)
                closed += 1
            if self._pause:
                time.sleep(self._pause)
        return closed

    def _deliver(self, message: Message, name: str, handler: Handler, attempts: int, now: datetime) -> bool:
        try:
            with transaction(self._sessions) as session:
                repository = BusRepository(session)
                if dialect_of(session) != "sqlite":
                    if repository.claim(seq=message.seq, handler=name, at=utcnow()):
                        handler(session, message)
                else:
                    # SQLite takes its file-wide write lock at the first write: the handler's reads
                    # run before it, and the claim rides at the end. Losing the claim to another
                    # dispatcher rolls the handler's writes back.
                    handler(session, message)
                    if not repository.claim(seq=message.seq, handler=name, at=utcnow()):
                        raise _AlreadyHandled
            return True
        except _AlreadyHandled:
            return True
        except Exception as error:
            log.exception("bus handler %s failed on message %d (%s)", name, message.seq, message.topic)
            delay = min(2.0**attempts, self._max_backoff)
            with transaction(self._sessions) as session:
                BusRepository(session).record_failure(
                    seq=message.seq,
                    handler=name,
                    error=f"{type(error).__name__}: {error}"[:2000],
                    retry_at=now + timedelta(seconds=delay),
                )
            return False
