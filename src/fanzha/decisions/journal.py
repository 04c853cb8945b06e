"""The decision journal: makes decisions durable before they are answered, with group commit.

Requests hand their finished decision to one writer thread and wait for its future. The writer
takes whatever has queued up (up to ``max_batch``) and commits it in one transaction, so a burst
of concurrent requests costs one commit instead of one each. A decision whose ``event_id`` is
already stored (a retry that raced the first attempt) resolves to the stored answer instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from fanzha.decisions.repository import DecisionRepository

log = logging.getLogger(__name__)


@dataclass
class JournalItem:
    """Rows to write together for one decision (or one accepted event)."""

    event_id: str
    decision: dict[str, Any] | None = None
    outbox: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    inbox: dict[str, Any] | None = None
    inbox_done: bool = False
    future: Future[dict[str, Any] | None] = field(default_factory=Future)
    # Set for callers on an event loop: results are handed back one batch per loop wake-up,
    # instead of one cross-thread wake-up per request.
    loop: asyncio.AbstractEventLoop | None = None
    waiter: asyncio.Future[dict[str, Any] | None] | None = None


_STOP = object()


def _settle(items: list[tuple[JournalItem, dict[str, Any] | None, BaseException | None]]) -> None:
    for item, result, error in items:
        waiter = item.waiter
        if waiter is None or waiter.done():
            continue
        if error is not None:
            waiter.set_exception(error)
        else:
            waiter.set_result(result)


class DecisionJournal:
    """A single writer thread committing decisions in batches."""

    def __init__(self, engine: Engine, *, max_batch: int = 512) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[JournalItem | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._started = False
        self.batches = 0
        self.items = 0

    def start(self) -> None:
        """Start the writer thread (again, after :meth:`stop`)."""
        if not self._started:
            self._thread = threading.Thread(target=self._run, name="fanzha-journal", daemon=True)
            self._thread.start()
            self._started = True

    def stop(self) -> None:
        if self._started:
            self._queue.put(_STOP)
            if self._thread is not None:
                self._thread.join(timeout=30)
            self._started = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def submit(self, item: JournalItem) -> Future[dict[str, Any] | None]:
        """Queue rows for the next commit. The future gives the stored answer for a duplicate, else None."""
        if not self._started:
            raise RuntimeError("the decision journal is not running")
        self._queue.put(item)
        return item.future

    def submit_async(self, item: JournalItem) -> asyncio.Future[dict[str, Any] | None]:
        """:meth:`submit` for a caller on the running event loop; await the returned future."""
        item.loop = asyncio.get_running_loop()
        item.waiter = item.loop.create_future()
        self.submit(item)
        return item.waiter

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                batch.append(more)
            self._write([item for item in batch if isinstance(item, JournalItem)])
            if stop:
                return

    def _write(self, batch: list[JournalItem]) -> None:
        outcomes: list[tuple[JournalItem, dict[str, Any] | None, BaseException | None]] = []
        try:
            duplicates = self._commit(batch)
            outcomes = [(item, duplicates.get(item.event_id), None) for item in batch]
            self.batches += 1
            self.items += len(batch)
        except IntegrityError:
            # Rare: a duplicate slipped past the pre-check. Write one by one to isolate it.
            for item in batch:
                try:
                    outcomes.append((item, self._commit([item]).get(item.event_id), None))
                except Exception as error:  # surfaced to the waiting request
                    outcomes.append((item, None, error))
        except Exception as error:
            log.exception("decision journal commit failed")
            outcomes = [(item, None, error) for item in batch]
        self._resolve(outcomes)

    @staticmethod
    def _resolve(outcomes: list[tuple[JournalItem, dict[str, Any] | None, BaseException | None]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[JournalItem, dict[str, Any] | None, BaseException | None]]]
        by_loop = {}
        for item, result, error in outcomes:
            if item.loop is not None and item.waiter is not None:
                by_loop.setdefault(item.loop, []).append((item, result, error))
            elif error is not None:
                item.future.set_exception(error)
            else:
                item.future.set_result(result)
        for loop, items in by_loop.items():
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
                loop.call_soon_threadsafe(_settle, items)

    def _commit(self, batch: list[JournalItem]) -> dict[str, dict[str, Any]]:
        """Write the batch in one transaction; return the stored answers of duplicates."""
        if self._connection is None:
            self._connection = self._engine.connect()
        try:
            with self._connection.begin():
                return self._write_rows(DecisionRepository(self._connection), batch)
        except Exception:
            # A broken connection (database restarted) is replaced on the next batch.
            self._connection.close()
            self._connection = None
            raise

    @staticmethod
    def _write_rows(repository: DecisionRepository, batch: list[JournalItem]) -> dict[str, dict[str, Any]]:
        decisions: dict[str, JournalItem] = {}
        for item in batch:
            if item.decision is not None:
                decisions.setdefault(item.event_id, item)
        inserted = repository.insert_decisions([item.decision for item in decisions.values() if item.decision])
        duplicates: dict[str, dict[str, Any]] = {}
        for event_id in decisions.keys() - inserted:
            stored = repository.get_response(event_id)
            if stored is not None:
                duplicates[event_id] = stored
        fresh = [decisions[event_id] for event_id in inserted]
        repository.insert_outbox([row for item in fresh for row in item.outbox])
        repository.upsert_accounts([row for item in fresh for row in item.accounts])
        inbox_rows = [item.inbox for item in batch if item.inbox is not None]
        if inbox_rows:
            known = repository.existing_inbox_ids([row["event_id"] for row in inbox_rows])
            unique = {row["event_id"]: row for row in inbox_rows if row["event_id"] not in known}
            repository.insert_inbox(list(unique.values()))
        repository.delete_inbox([item.event_id for item in batch if item.inbox_done])
        return duplicates
