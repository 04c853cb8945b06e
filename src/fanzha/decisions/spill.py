"""The journal's overflow file: where decisions become durable while another process writes.

SQLite lets one connection write to a database file at a time. When another process holds that
lock (the worker committing a case, a police notice being imported, an operator's bulk change),
the decision journal does not make requests wait for it: it writes their batch to an overflow
file of its own (a small SQLite file in ``<data>/journal-spill/``, one per server process), answers
them, and moves the batch into the main database as soon as the lock is free, in the order the
batches were answered. The main database therefore receives every decision a moment later than
usual; it never loses one:

* a crash before the move leaves the rows in the overflow file, and the next server start moves
  them (a file whose owner is gone is found by its lock: each owner holds an exclusive ``flock``
  on ``<file>.lock`` while it runs);
* a crash after the move but before the overflow rows were deleted moves them again, which writes
  nothing twice (decisions are inserted on their unique event id, and the outbox, warnings and
  account rows of a decision are written only with a decision inserted just then).

The file is private to fanzha and read only by fanzha: items are JSON with datetimes tagged.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson

log = logging.getLogger(__name__)

_DATETIME_TAG = "__fanzha_datetime__"


def _pack(value: Any) -> Any:
    if isinstance(value, datetime):
        return {_DATETIME_TAG: value.isoformat()}
    if isinstance(value, dict):
        return {key: _pack(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_pack(item) for item in value]
    return value


def _unpack(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and _DATETIME_TAG in value:
            return datetime.fromisoformat(value[_DATETIME_TAG])
        return {key: _unpack(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unpack(item) for item in value]
    return value


@dataclass(frozen=True, slots=True)
class SpilledRow:
    """One journal item as kept in an overflow file."""

    seq: int
    event_id: str
    item: dict[str, Any]


class SpillFile:
    """One process's overflow file; safe to use from several threads (one connection, one lock)."""

    def __init__(self, path: Path, *, synchronous: str = "NORMAL", lock: IO[str] | None = None) -> None:
        self.path = path
        self._lock_file = lock
        self._mutex = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS spilled"
            " (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, item BLOB NOT NULL)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS ix_spilled_event_id ON spilled (event_id)")

    @classmethod
    def create(cls, directory: Path, *, synchronous: str = "NORMAL") -> SpillFile:
        """A new overflow file for this process, locked for as long as it is open."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{os.getpid()}-{uuid.uuid4().hex[:12]}.db"
        lock = _try_lock(_lock_path(path))
        if lock is None:  # a fresh random name: nobody else can hold it
            raise RuntimeError(f"cannot lock the new journal overflow file {path}")
        return cls(path, synchronous=synchronous, lock=lock)

    def append(self, items: list[dict[str, Any]]) -> list[int]:
        """Store packed journal items durably (one transaction); return their sequence numbers."""
        rows = [(item["event_id"], orjson.dumps(_pack(item))) for item in items]
        with self._mutex:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                seqs = [
                    int(self._db.execute("INSERT INTO spilled (event_id, item) VALUES (?, ?)", row).lastrowid or 0)
                    for row in rows
                ]
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return seqs

    def forget(self, seqs: list[int]) -> None:
        """Delete rows that are now in the main database."""
        if not seqs:
            return
        with self._mutex:
            self._db.executemany("DELETE FROM spilled WHERE seq = ?", [(seq,) for seq in seqs])

    def rows(self) -> Iterator[SpilledRow]:
        with self._mutex:
            fetched = self._db.execute("SELECT seq, event_id, item FROM spilled ORDER BY seq").fetchall()
        for seq, event_id, blob in fetched:
            yield SpilledRow(int(seq), str(event_id), _unpack(orjson.loads(blob)))

    def find(self, event_id: str) -> dict[str, Any] | None:
        """The item of ``event_id`` if it is still waiting here (the newest one)."""
        with self._mutex:
            row = self._db.execute(
                "SELECT item FROM spilled WHERE event_id = ? ORDER BY seq DESC LIMIT 1", (event_id,)
            ).fetchone()
        return None if row is None else dict(_unpack(orjson.loads(row[0])))

    def count(self) -> int:
        with self._mutex:
            return int(self._db.execute("SELECT count(*) FROM spilled").fetchone()[0])

    def close(self, *, remove_if_empty: bool = True) -> None:
        """Close the file; delete it (and its lock) when nothing is left in it."""
        empty = self.count() == 0
        with self._mutex:
            self._db.close()
        if empty and remove_if_empty:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    Path(f"{self.path}{suffix}").unlink()
            with contextlib.suppress(FileNotFoundError):
                _lock_path(self.path).unlink()
        if self._lock_file is not None:
            self._lock_file.close()  # releases the flock
            self._lock_file = None


def orphans(directory: Path) -> Iterator[SpillFile]:
    """Overflow files whose owning process has gone (their lock is free), each locked for the caller."""
    if not directory.is_dir():
        return
    for path in sorted(directory.glob("*.db")):
        lock = _try_lock(_lock_path(path))
        if lock is None:
            continue  # a live server process owns it
        try:
            found = SpillFile(path, lock=lock)
        except sqlite3.DatabaseError:
            log.exception("the overflow file %s cannot be read; it is left in place", path)
            lock.close()
            continue
        yield found


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _try_lock(path: Path) -> IO[str] | None:
    handle = path.open("a")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle
