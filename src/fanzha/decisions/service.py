"""Deciding on events: idempotent, durable before answered, synchronous or through the inbox."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from sqlalchemy.orm import Session, sessionmaker

from fanzha.decisions.journal import DecisionJournal, JournalItem
from fanzha.decisions.models import DecisionRecord
from fanzha.decisions.pipeline import DecisionOutcome, DecisionPipeline
from fanzha.decisions.repository import DecisionRepository, StoredAnswerLookup
from fanzha.decisions.seen import SeenEvents
from fanzha.entities.bindings import PHONE_TOPIC, phone_of
from fanzha.events.entities import entity_to_dict
from fanzha.events.schemas import Event
from fanzha.kit.clock import utcnow
from fanzha.kit.errors import NotFound
from fanzha.rules.engine import Outcome

RECENT_ANSWERS = 100_000

DecisionListener = Callable[[DecisionOutcome, dict[str, Any]], None]


def journal_item(outcome: DecisionOutcome, *, from_inbox: bool = False) -> JournalItem:
    """The rows one decision writes: the record, an outbox message when it needs follow-up, accounts,
    the victim warning it issued."""
    event = outcome.event
    response = outcome.response
    now = utcnow()
    item = JournalItem(
        event_id=event.event_id,
        decision={
            "event_id": event.event_id,
            "event_type": event.type,
            "occurred_at": event.occurred_at,
            "decided_at": now,
            "actor_id": event.actor.id,
            "decision": response["decision"],
            "score": response["score"],
            "ruleset_version": response["ruleset_version"],
            "latency_ms": response["latency_ms"],
            "response": response,
            "record": outcome.record,
        },
        inbox_done=from_inbox,
    )
    if response["decision"] != Outcome.allow.value or response["actions"]:
        item.outbox.append(
            {
                "topic": "decision.made",
                "key": event.actor.id,
                "payload": {
                    "event_id": event.event_id,
                    "event_type": event.type,
                    "decision": response["decision"],
                    "score": response["score"],
                    "actions": response["actions"],
                    "rules": [reason["rule"] for reason in response["reasons"]],
                    "entities": [entity_to_dict(ref) for ref in outcome.entities],
                },
                "created_at": now,
            }
        )
    if outcome.warning is not None:
        item.warnings.append(outcome.warning)
    if event.type == "account.registered":
        item.accounts.append(
            {
                "account_id": event.actor.id,
                "registered_at": event.occurred_at,
                "first_seen_at": event.occurred_at,
            }
        )
    phone = phone_of(event)
    if phone is not None and response["decision"] != Outcome.block.value:
        # The binding is recorded by a bus handler after this commit, never on the request's path;
        # a blocked registration or profile change did not take effect, so it binds nothing.
        item.outbox.append(
            {
                "topic": PHONE_TOPIC,
                "key": event.actor.id,
                "payload": {
                    "event_id": event.event_id,
                    "event_type": event.type,
                    "account_id": event.actor.id,
                    "phone": phone,
                    "at": event.occurred_at.isoformat(),
                },
                "created_at": now,
            }
        )
    return item


class DecisionService:
    """Decides events through the pipeline and the journal; one instance per process."""

    def __init__(
        self,
        *,
        pipeline: DecisionPipeline,
        journal: DecisionJournal,
        sessions: sessionmaker[Session],
        lookup: StoredAnswerLookup,
        seen: SeenEvents,
        offload: bool,
        on_decision: DecisionListener | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.journal = journal
        self._sessions = sessions
        # With a networked database or Redis, the blocking parts run in a thread, not on the loop.
        self._offload = offload
        # Answers are kept serialised: 100,000 small dicts would be millions of objects for the
        # cyclic garbage collector to walk (pauses of tens of milliseconds), bytes are none.
        self._recent: OrderedDict[str, bytes] = OrderedDict()
        self._inflight: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._on_decision = on_decision
        self._pending_async: asyncio.Queue[Event] | None = None
        self._lookup = lookup
        self.seen = seen

    def _remember(self, event_id: str, response: dict[str, Any]) -> None:
        self.seen.add(event_id)
        self._recent[event_id] = orjson.dumps(response)
        if len(self._recent) > RECENT_ANSWERS:
            self._recent.popitem(last=False)

    def _stored_response(self, event_id: str) -> dict[str, Any] | None:
        return self._lookup.get(event_id)

    def close(self) -> None:
        self._lookup.close()

    def _evaluate(
        self, event: Event, started: float, from_inbox: bool
    ) -> tuple[DecisionOutcome | None, dict[str, Any] | None]:
        """The stored answer when the event was decided before, else a fresh evaluation."""
        stored = self._stored_response(event.event_id) if self.seen.might_contain(event.event_id) else None
        if stored is not None:
            if from_inbox:
                self.journal.submit(JournalItem(event_id=event.event_id, inbox_done=True))
            return None, stored
        return self.pipeline.evaluate(event, started=started), None

    async def decide(self, event: Event, *, started: float | None = None, from_inbox: bool = False) -> dict[str, Any]:
        """Decide ``event`` and return the answer once it is durable. A repeated event_id gets the same answer."""
        started = time.perf_counter() if started is None else started
        event_id = event.event_id
        recent = self._recent.get(event_id)
        if recent is not None:
            return dict(orjson.loads(recent))
        inflight = self._inflight.get(event_id)
        if inflight is not None:
            return await asyncio.shield(inflight)
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._inflight[event_id] = waiter
        try:
            if self._offload:
                outcome, stored = await asyncio.to_thread(self._evaluate, event, started, from_inbox)
            else:
                outcome, stored = self._evaluate(event, started, from_inbox)
            if outcome is not None:
                stored = await self.journal.submit_async(journal_item(outcome, from_inbox=from_inbox))
            response = self._finish(event_id, outcome, stored)
            waiter.set_result(response)
            return response
        except BaseException as error:
            waiter.set_exception(error)
            waiter.exception()  # mark retrieved: the caller gets the error directly
            raise
        finally:
            del self._inflight[event_id]

    def decide_sync(self, event: Event) -> dict[str, Any]:
        """The same as :meth:`decide` for callers without an event loop (CLI, fixtures)."""
        recent = self._recent.get(event.event_id)
        if recent is not None:
            return dict(orjson.loads(recent))
        outcome, stored = self._evaluate(event, time.perf_counter(), False)
        if outcome is not None:
            stored = self.journal.submit(journal_item(outcome)).result()
        return self._finish(event.event_id, outcome, stored)

    def _finish(self, event_id: str, outcome: DecisionOutcome | None, stored: dict[str, Any] | None) -> dict[str, Any]:
        """The answer once durable: the stored one for a repeat, else the fresh one (announced)."""
        if stored is not None:
            response = stored
        else:
            assert outcome is not None
            response = outcome.response
            if self._on_decision is not None:
                self._on_decision(outcome, response)
        self._remember(event_id, response)
        return response

    # Asynchronous intake: accepted events are durable in the inbox before 202 is answered.

    async def accept(self, event: Event) -> bool:
        """Store ``event`` in the inbox and queue it; False when it was already decided or queued."""
        if event.event_id in self._recent or event.event_id in self._inflight:
            return False
        item = JournalItem(
            event_id=event.event_id,
            inbox={
                "event_id": event.event_id,
                "received_at": utcnow(),
                "payload": event.model_dump(mode="json", exclude_none=True),
            },
        )
        await self.journal.submit_async(item)
        if self._pending_async is not None:
            await self._pending_async.put(event)
        return True

    def pending_from_inbox(self, *, limit: int = 100_000) -> list[Event]:
        with self._sessions() as session:
            rows = DecisionRepository(session).pending_inbox(limit=limit)
        return [Event.model_validate(payload) for _event_id, payload in rows]

    async def run_async_worker(self, on_error: Callable[[Event, BaseException], Awaitable[None]] | None = None) -> None:
        """Decide accepted events one after another until cancelled (the inbox is drained at start)."""
        self._pending_async = asyncio.Queue()
        for event in await asyncio.to_thread(self.pending_from_inbox):
            await self._pending_async.put(event)
        while True:
            event = await self._pending_async.get()
            try:
                await self.decide(event, from_inbox=True)
            except Exception as error:
                if on_error is not None:
                    await on_error(event, error)

    def get_record(self, session: Session, *, event_id: str) -> DecisionRecord:
        record = DecisionRepository(session).get(event_id)
        if record is None:
            # Answered while another process held SQLite's write lock, and not moved in yet.
            waiting = self.journal.waiting_decision(event_id)
            if waiting is not None:
                return DecisionRecord(**waiting)
            raise NotFound(f"no decision for event {event_id!r}", zh=f"事件 {event_id!r} 没有决策记录")
        return record
