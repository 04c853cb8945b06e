"""The decision journal: makes decisions durable before they are answered, with group commit.

Requests hand their finished decision to the journal and wait for it. The journal commits whatever
has queued up (up to ``max_batch``) in one transaction, so a burst of concurrent requests costs one
commit instead of one each. A decision whose ``event_id`` is already stored (a retry that raced the
first attempt) resolves to the stored answer instead. On SQLite, a batch that finds the database's
write lock taken by another process goes to the journal's overflow file (:mod:`.spill`) and is
moved into the database once the lock is free.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from fanzha.decisions import spill
from fanzha.decisions.repository import DecisionRepository

log = logging.getLogger(__name__)


@dataclass
class JournalItem:
    """Rows to write together for one decision (or one accepted event)."""

    event_id: str
    decision: dict[str, Any] | None = None
    outbox: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    inbox: dict[str, Any] | None = None
    inbox_done: bool = False
    future: Future[dict[str, Any] | None] = field(default_factory=Future)
    # Set for callers on an event loop: results are handed back one batch per loop wake-up,
    # instead of one cross-thread wake-up per request.
    loop: asyncio.AbstractEventLoop | None = None
    waiter: asyncio.Future[dict[str, Any] | None] | None = None

    def rows(self) -> dict[str, Any]:
        """The rows to write, as kept in the overflow file."""
        return {
            "event_id": self.event_id,
            "decision": self.decision,
            "outbox": self.outbox,
            "accounts": self.accounts,
            "warnings": self.warnings,
            "inbox": self.inbox,
            "inbox_done": self.inbox_done,
        }

    @classmethod
    def from_rows(cls, rows: dict[str, Any]) -> JournalItem:
        return cls(
            event_id=rows["event_id"],
            decision=rows.get("decision"),
            outbox=list(rows.get("outbox") or []),
            accounts=list(rows.get("accounts") or []),
            warnings=list(rows.get("warnings") or []),
            inbox=rows.get("inbox"),
            inbox_done=bool(rows.get("inbox_done")),
        )


@dataclass
class _SpilledBatch:
    """Items answered from the overflow file, to be moved into the database in this order."""

    items: list[JournalItem]
    seqs: list[int]


_STOP = object()


Outcome = tuple[JournalItem, dict[str, Any] | None, BaseException | None]


def _settle(items: list[Outcome]) -> None:
    for item, result, error in items:
        waiter = item.waiter
        if waiter is None or waiter.done():
            continue
        if error is not None:
            waiter.set_exception(error)
        else:
            waiter.set_result(result)


class DatabaseBusy(Exception):
    """Another connection holds SQLite's write lock and this writer was told not to wait."""


class _BatchWriter:
    """Writes batches on one connection of its own, kept open between batches.

    SQLite's write lock is waited for here, in 1 ms steps, rather than by SQLite's busy handler,
    whose sleeps grow to 100 ms: a commit would otherwise sit idle long after another process (the
    worker) let go. With ``wait=False`` (the writer on the event loop), a batch that finds the lock
    held fails at once with :class:`DatabaseBusy` instead of blocking the loop.
    """

    LOCK_WAIT_S = 30.0

    def __init__(self, engine: Engine, *, wait: bool = True) -> None:
        self._engine = engine
        self._wait = wait
        self._connection: Connection | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def write(self, batch: list[JournalItem]) -> list[Outcome]:
        """Commit the batch; each item's outcome is the stored answer of a duplicate, or an error."""
        deadline = time.monotonic() + (self.LOCK_WAIT_S if self._wait else 0.0)
        while True:
            try:
                duplicates = self._commit(batch)
                return [(item, duplicates.get(item.event_id), None) for item in batch]
            except OperationalError as error:
                if "locked" not in str(error.orig):
                    log.exception("decision journal commit failed")
                    return [(item, None, error) for item in batch]
                if not self._wait:
                    raise DatabaseBusy from error
                if time.monotonic() > deadline:
                    return [(item, None, error) for item in batch]
                time.sleep(0.001)
            except IntegrityError:
                return self._write_one_by_one(batch)
            except Exception as error:
                log.exception("decision journal commit failed")
                return [(item, None, error) for item in batch]

    def stored_answers(self, event_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Stored answers of already-decided event ids; reads never wait for the write lock."""
        if self._connection is None or not event_ids:
            return {}
        try:
            found = DecisionRepository(self._connection).get_responses(event_ids)
            self._connection.rollback()
        except OperationalError:
            return {}
        return found

    def _write_one_by_one(self, batch: list[JournalItem]) -> list[Outcome]:
        # Rare: a duplicate slipped past the pre-check. Write one by one to isolate it.
        outcomes: list[Outcome] = []
        for item in batch:
            try:
                outcomes.append((item, self._commit([item]).get(item.event_id), None))
            except Exception as error:  # surfaced to the waiting request
                outcomes.append((item, None, error))
        return outcomes

    def _commit(self, batch: list[JournalItem]) -> dict[str, dict[str, Any]]:
        """Write the batch in one transaction; return the stored answers of duplicates."""
        if self._connection is None:
            self._connection = self._engine.connect()
            if self._engine.dialect.name == "sqlite":
                # This connection never goes back to the pool, so no other user inherits the setting.
                self._connection.detach()
                self._connection.exec_driver_sql("PRAGMA busy_timeout=0")
                self._connection.commit()
        try:
            with self._connection.begin():
                return _write_rows(DecisionRepository(self._connection), batch)
        except OperationalError as error:
            if "locked" not in str(error.orig):
                self.close()  # a broken connection (database restarted) is replaced next time
            raise
        except Exception:
            self.close()
            raise


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
    # Written only with a decision stored just now: a retried event_id never issues a second warning.
    repository.insert_warnings([row for item in fresh for row in item.warnings])
    inbox_rows = [item.inbox for item in batch if item.inbox is not None]
    if inbox_rows:
        known = repository.existing_inbox_ids([row["event_id"] for row in inbox_rows])
        unique = {row["event_id"]: row for row in inbox_rows if row["event_id"] not in known}
        repository.insert_inbox(list(unique.values()))
    repository.delete_inbox([item.event_id for item in batch if item.inbox_done])
    return duplicates


def _is_lock_wait(error: BaseException) -> bool:
    return isinstance(error, OperationalError) and "locked" in str(error.orig)


class DecisionJournal:
    """Commits decisions in batches: on the event loop itself (``inline``) or on a writer thread.

    Inline suits SQLite: a commit costs well under a millisecond of CPU, and doing it on the loop
    avoids handing the GIL back and forth with a writer thread several times per batch (each
    handoff can wait a whole switch interval while the loop is busy). The requests that became
    ready in the same turn of the loop form one batch. With a networked database the commit waits
    on the network, so it belongs on the thread. Callers without an event loop always use the
    thread.

    With ``spill_dir`` (inline only), a batch that finds SQLite's write lock held by another
    process is made durable in this process's overflow file and answered at once. The overflowed
    items ride along, first, in the next commit the loop makes (the next batch, or a retry a few
    milliseconds later), so the database receives them in the order they were answered, in one
    transaction, without a thread taking turns with the loop.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        max_batch: int = 512,
        inline: bool = False,
        spill_dir: Path | None = None,
        synchronous: str = "NORMAL",
    ) -> None:
        self._thread_writer = _BatchWriter(engine)
        self._inline_writer = _BatchWriter(engine, wait=False)
        self._inline = inline
        self._pending: list[JournalItem] = []
        self._flush_scheduled = False
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[JournalItem | _SpilledBatch | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._started = False
        self._stopping = False
        self._spill_dir = spill_dir if inline else None
        self._synchronous = synchronous
        self._spill: spill.SpillFile | None = None
        # Answered items waiting in the overflow file (with their rows' numbers there), oldest first;
        # touched only on the event loop.
        self._overflowed: list[tuple[JournalItem, int]] = []
        self._retry: asyncio.TimerHandle | None = None
        self._retry_loop: asyncio.AbstractEventLoop | None = None
        self.batches = 0
        self.items = 0
        self.busy_handoffs = 0
        self.spilled_batches = 0
        self.recovered_items = 0

    def start(self) -> None:
        """Move what crashed processes left in overflow files; start the writer thread (again, after :meth:`stop`)."""
        if not self._started:
            if self._spill_dir is not None:
                for orphan in spill.orphans(self._spill_dir):
                    try:
                        self._recover(orphan)
                    except Exception:
                        # Serving must not wait on a damaged file: it stays for an operator to look at.
                        log.exception("could not move the overflow file %s; it is left in place", orphan.path)
                        with contextlib.suppress(Exception):
                            orphan.close(remove_if_empty=False)
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="fanzha-journal", daemon=True)
            self._thread.start()
            self._started = True

    def stop(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            self._retry = self._retry_loop = None
        if self._started:
            self._hand_overflowed_to_thread()  # the thread waits for the lock and moves them first
            self._stopping = True
            self._queue.put(_STOP)
            if self._thread is not None:
                self._thread.join(timeout=60)
            self._started = False
        self._thread_writer.close()
        self._inline_writer.close()
        if self._spill is not None:
            left = self._spill.count()
            if left:
                log.error("%d journal items stay in %s; the next start moves them", left, self._spill.path)
            self._spill.close()
            self._spill = None

    @property
    def backlog(self) -> int:
        """Answered items in the overflow file, not yet in the database."""
        return len(self._overflowed)

    def waiting_decision(self, event_id: str) -> dict[str, Any] | None:
        """The decision row of ``event_id`` while it waits in the overflow file (answered, not yet in the database)."""
        if self._spill is None:
            return None
        rows = self._spill.find(event_id)
        return None if rows is None else rows.get("decision")

    def submit(self, item: JournalItem) -> Future[dict[str, Any] | None]:
        """Queue rows for the writer thread. The future gives the stored answer for a duplicate, else None."""
        if not self._started:
            raise RuntimeError("the decision journal is not running")
        self._queue.put(item)
        return item.future

    def submit_async(self, item: JournalItem) -> asyncio.Future[dict[str, Any] | None]:
        """Queue rows from the running event loop; await the returned future."""
        if not self._started:
            raise RuntimeError("the decision journal is not running")
        loop = asyncio.get_running_loop()
        item.waiter = loop.create_future()
        if not self._inline:
            item.loop = loop
            self.submit(item)
            return item.waiter
        self._pending.append(item)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush_inline)
        return item.waiter

    def _flush_inline(self) -> None:
        self._flush_scheduled = False
        while self._pending:
            batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
            if self._commit_inline(batch):
                continue
            if self._overflow(batch):
                continue
            # Another process is writing (the worker) and there is no overflow file: let the
            # thread wait for the lock, so the event loop keeps serving meanwhile.
            self._hand_overflowed_to_thread()
            loop = asyncio.get_running_loop()
            for item in batch:
                item.loop = loop
                self.submit(item)
            self.busy_handoffs += 1

    def _commit_inline(self, batch: list[JournalItem]) -> bool:
        """Commit the overflowed items, then ``batch``, in one transaction; False when the lock is taken."""
        carried = self._overflowed
        try:
            outcomes = self._inline_writer.write([item for item, _seq in carried] + batch)
        except DatabaseBusy:
            return False
        self._overflowed = []
        if carried:
            moved, fresh = outcomes[: len(carried)], outcomes[len(carried) :]
            self._forget_moved(carried, moved)
            outcomes = fresh
        if batch:
            self._count(batch, outcomes)
            _settle(outcomes)
        return True

    def _forget_moved(self, carried: list[tuple[JournalItem, int]], outcomes: list[Outcome]) -> None:
        done = [seq for (_item, seq), (_i, _r, error) in zip(carried, outcomes, strict=True) if error is None]
        assert self._spill is not None
        self._spill.forget(done)
        self._count([item for item, _seq in carried], outcomes)
        if len(done) < len(carried):
            log.error(
                "%d answered decisions could not be moved from %s; the next start tries again",
                len(carried) - len(done),
                self._spill.path,
            )

    def _overflow(self, batch: list[JournalItem]) -> bool:
        """Make ``batch`` durable in the overflow file and answer it; False when there is none (or it failed)."""
        if self._spill_dir is None:
            return False
        stored = self._inline_writer.stored_answers([item.event_id for item in batch if item.decision is not None])
        fresh = [item for item in batch if item.event_id not in stored]
        try:
            if self._spill is None:
                self._spill = spill.SpillFile.create(self._spill_dir, synchronous=self._synchronous)
            seqs = self._spill.append([item.rows() for item in fresh]) if fresh else []
        except Exception:
            log.exception("the journal's overflow file failed; waiting for the database instead")
            return False
        self._overflowed.extend(zip(fresh, seqs, strict=True))
        self.spilled_batches += 1
        _settle([(item, stored.get(item.event_id), None) for item in batch])
        self._schedule_retry(self.RETRY_FIRST_S)
        return True

    RETRY_FIRST_S = 0.002
    RETRY_MAX_S = 0.05

    def _schedule_retry(self, delay: float) -> None:
        loop = asyncio.get_running_loop()
        if self._retry is not None and self._retry_loop is loop:
            return  # one is pending (a handle on a loop that has since closed never fires: replace it)
        if self._overflowed:
            self._retry = loop.call_later(delay, self._retry_overflowed, delay)
            self._retry_loop = loop

    def _retry_overflowed(self, delay: float) -> None:
        """Move overflowed items when no new batch came to carry them (quiet traffic)."""
        self._retry = None
        if not self._overflowed or self._flush_scheduled:
            return  # moved already, or the batch about to be committed carries them
        if not self._commit_inline([]):
            self._schedule_retry(min(delay * 2, self.RETRY_MAX_S))

    def _hand_overflowed_to_thread(self) -> None:
        """Give waiting overflowed items to the writer thread, ahead of what comes next (keeps the order)."""
        if self._overflowed:
            items, seqs = zip(*self._overflowed, strict=True)
            self._queue.put(_SpilledBatch(list(items), list(seqs)))
            self._overflowed = []

    def _move(self, spilled: _SpilledBatch) -> None:
        """On the thread: write overflowed items into the database (waiting for the lock), drop them from the file."""
        items, seqs = spilled.items, spilled.seqs
        while True:
            outcomes = self._thread_writer.write(items)
            self._count(items, outcomes)
            failed = [(item, seq, error) for (item, _r, error), seq in zip(outcomes, seqs, strict=True) if error]
            assert self._spill is not None
            self._spill.forget([seq for (_i, _r, error), seq in zip(outcomes, seqs, strict=True) if error is None])
            if not failed:
                return
            if self._stopping or not all(_is_lock_wait(error) for _i, _s, error in failed):
                log.error(
                    "%d answered decisions could not be moved from %s (%s); the next start tries again",
                    len(failed),
                    self._spill.path,
                    failed[0][2],
                )
                return
            items, seqs = [item for item, _s, _e in failed], [seq for _i, seq, _e in failed]

    def _recover(self, orphan: spill.SpillFile) -> None:
        """Move the rows of a crashed process's overflow file into the database."""
        rows = list(orphan.rows())
        for start in range(0, len(rows), self._max_batch):
            chunk = rows[start : start + self._max_batch]
            outcomes = self._thread_writer.write([JournalItem.from_rows(row.item) for row in chunk])
            orphan.forget([row.seq for row, (_i, _r, error) in zip(chunk, outcomes, strict=True) if error is None])
            self.recovered_items += sum(1 for _i, _r, error in outcomes if error is None)
        left = orphan.count()
        if left:
            log.error("%d journal items stay in %s; the next start tries again", left, orphan.path)
        elif rows:
            log.warning("moved %d answered decisions from %s into the database", len(rows), orphan.path)
        orphan.close()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            if isinstance(first, _SpilledBatch):
                self._move(first)
                continue
            batch = [first]
            after: object | None = None  # a stop or an overflowed batch, handled after this batch
            while len(batch) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP or isinstance(more, _SpilledBatch):
                    after = more
                    break
                batch.append(more)
            items = [item for item in batch if isinstance(item, JournalItem)]
            outcomes = self._thread_writer.write(items)
            self._count(items, outcomes)
            self._resolve(outcomes)
            if after is _STOP:
                return
            if isinstance(after, _SpilledBatch):
                self._move(after)

    def _count(self, batch: list[JournalItem], outcomes: list[Outcome]) -> None:
        if all(error is None for _item, _result, error in outcomes):
            self.batches += 1
            self.items += len(batch)

    @staticmethod
    def _resolve(outcomes: list[Outcome]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
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
