"""The embedded velocity-counter backend: per-key time-sorted arrays behind one lock.

Snapshot format (``save``/``load``), version 1: one UTF-8 JSON document (written with orjson, whose
float output round-trips exactly)::

    {
      "format": "fanzha-counters-snapshot",
      "version": 1,
      "max_per_key": 50000,
      "meta": {...},                      # caller's JSON object, returned by load()
      "keys": [
        {"key": "recipients_per_account|acc-1",
         "retention": 3600,               # retention of the latest observation recorded
         "t": [1700000000.5, ...],        # event times, ascending
         "id": ["evt-1", ...],            # observation ids, parallel to "t"
         "m": ["rcp-9", null, ...]}       # members, parallel to "t"
      ]
    }

Only plain JSON values are read back, so a snapshot from an untrusted place cannot run code; a
malformed one raises ``ValueError``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from array import array
from bisect import bisect_left, bisect_right, insort
from collections.abc import Sequence
from itertools import islice
from pathlib import Path
from typing import Any, TypeGuard

import orjson

from fanzha.kit.counters.protocol import CounterQuery, Observation

__all__ = [
    "DEFAULT_INDEX_THRESHOLD",
    "DEFAULT_MAX_PER_KEY",
    "SNAPSHOT_FORMAT",
    "SNAPSHOT_VERSION",
    "InMemoryCounterStore",
]

DEFAULT_MAX_PER_KEY = 50_000
DEFAULT_INDEX_THRESHOLD = 64
# The indexed distinct count corrects for the entries at or after the query time one by one, so it
# only pays when there are few of them (in the live path: the event's own observations).
_INDEXED_SUFFIX_LIMIT = 8
SNAPSHOT_FORMAT = "fanzha-counters-snapshot"
SNAPSHOT_VERSION = 1


class _MemberIndex:
    """Answers "how many distinct members in [low, now)" in O(log n) for one key.

    ``by_member`` maps each member to the ascending times of its live entries; ``latest`` is the
    ascending multiset of every member's latest time. The members with an entry at or after ``low``
    are then ``len(latest) - bisect_left(latest, low)``. The per-member times are ``array('d')``
    rather than lists: 8 bytes per time instead of a pointer plus a float object.
    """

    __slots__ = ("by_member", "latest")

    def __init__(self, times: list[float], members: list[str | None], head: int) -> None:
        by_member: dict[str, array[float]] = {}
        for at, member in zip(times[head:], members[head:], strict=True):
            if member is not None:
                found = by_member.get(member)
                if found is None:
                    by_member[member] = array("d", (at,))
                else:
                    found.append(at)
        self.by_member = by_member
        self.latest = sorted(found[-1] for found in by_member.values())

    def add(self, at: float, member: str) -> None:
        found = self.by_member.get(member)
        if found is None:
            self.by_member[member] = array("d", (at,))
            insort(self.latest, at)
            return
        previous = found[-1]
        if at < previous:
            insort(found, at)
            return
        found.append(at)
        if at > previous:
            latest = self.latest
            del latest[bisect_left(latest, previous)]
            insort(latest, at)

    def remove_oldest(self, at: float, member: str) -> None:
        """Forget an entry that is being dropped from the front of the series.

        Entries leave in time order, so the dropped one is its member's earliest; if it was the only
        one, it was also that member's latest.
        """
        found = self.by_member[member]
        del found[0]
        if not found:
            del self.by_member[member]
            latest = self.latest
            del latest[bisect_left(latest, at)]

    def distinct_since(self, low: float) -> int:
        return len(self.latest) - bisect_left(self.latest, low)

    def has_between(self, member: str, low: float, high: float) -> bool:
        found = self.by_member[member]
        index = bisect_left(found, low)
        return index < len(found) and found[index] < high


class _Series:
    """The observations of one key, ascending by time; entries before ``head`` are dead.

    Dropping old entries only advances ``head``; the lists are compacted once at least half of them
    is dead, so pruning costs amortised O(1) per entry instead of a memmove per call.
    """

    __slots__ = ("head", "ids", "index", "members", "retention", "seen", "times")

    def __init__(self) -> None:
        self.times: list[float] = []
        self.ids: list[str] = []
        self.members: list[str | None] = []
        self.seen: set[str] = set()
        self.head = 0
        self.retention = 0
        self.index: _MemberIndex | None = None

    def drop_front(self, end: int) -> None:
        """Forget the live entries before index ``end``."""
        # Slices, not islice: islice would step through every dead entry before ``head`` each time.
        seen = self.seen
        for observation_id in self.ids[self.head : end]:
            seen.discard(observation_id)
        index = self.index
        if index is not None:
            for at, member in zip(self.times[self.head : end], self.members[self.head : end], strict=True):
                if member is not None:
                    index.remove_oldest(at, member)
        self.head = end
        if end * 2 >= len(self.times):
            del self.times[:end]
            del self.ids[:end]
            del self.members[:end]
            self.head = 0


class InMemoryCounterStore:
    """Velocity counters held in this process (the embedded default backend).

    Per key, event times are kept in a sorted list (appends in the common case, a bisect insert for
    late events) with parallel lists of observation ids and members and a set of live ids for
    idempotence. Each key keeps at most ``max_per_key`` observations, dropping the oldest, so a hot
    key cannot exhaust memory. Keys that go quiet are only removed by :meth:`sweep`.

    A distinct query scans its window, unless the window holds more than ``index_threshold``
    entries: then the key gets a per-member index (built once, then maintained on every change)
    that answers live-path queries in O(log n), so long windows on busy keys stay cheap.

    Thread-safe: every public method holds one lock for its (short) critical section.
    """

    def __init__(
        self, *, max_per_key: int = DEFAULT_MAX_PER_KEY, index_threshold: int = DEFAULT_INDEX_THRESHOLD
    ) -> None:
        if max_per_key < 1:
            raise ValueError(f"max_per_key must be >= 1, got {max_per_key!r}")
        self._max_per_key = max_per_key
        self._index_threshold = index_threshold
        self._series: dict[str, _Series] = {}
        self._lock = threading.Lock()
        self.snapshot_meta: dict[str, object] = {}
        """The ``meta`` of the snapshot this store was loaded from; empty for a fresh store."""

    @property
    def max_per_key(self) -> int:
        return self._max_per_key

    def apply(self, observations: Sequence[Observation], queries: Sequence[CounterQuery]) -> list[int]:
        """Record the observations, then answer the queries (see :class:`CounterStore`)."""
        counts: list[int] = []
        series = self._series
        with self._lock:
            for observation in observations:
                self._record(observation)
            for query in queries:
                found = series.get(query.key)
                if found is None:
                    counts.append(0)
                    continue
                times = found.times
                at = query.at
                low = bisect_left(times, at - query.window, found.head)
                high = bisect_left(times, at, low)
                if not query.distinct:
                    counts.append(high - low)
                elif high == low:
                    counts.append(0)
                elif high - low <= self._index_threshold or len(times) - high > _INDEXED_SUFFIX_LIMIT:
                    members = set(found.members[low:high])
                    counts.append(len(members) - (None in members))
                else:
                    counts.append(_indexed_distinct(found, at - query.window, at, high))
        return counts

    def _record(self, observation: Observation) -> None:
        key = observation.key
        found = self._series.get(key)
        if found is None:
            found = _Series()
            self._series[key] = found
        times = found.times
        observation_id = observation.observation_id
        if observation_id not in found.seen:
            found.seen.add(observation_id)
            at = observation.at
            if len(times) == found.head or at >= times[-1]:
                times.append(at)
                found.ids.append(observation_id)
                found.members.append(observation.member)
            else:
                # bisect_right keeps equal timestamps in arrival order.
                position = bisect_right(times, at, found.head)
                times.insert(position, at)
                found.ids.insert(position, observation_id)
                found.members.insert(position, observation.member)
            if found.index is not None and observation.member is not None:
                found.index.add(at, observation.member)
        found.retention = observation.retention
        # Never drops the newest entry, so the series stays non-empty.
        threshold = times[-1] - observation.retention
        if times[found.head] < threshold:
            found.drop_front(bisect_left(times, threshold, found.head))
        excess = len(times) - found.head - self._max_per_key
        if excess > 0:
            found.drop_front(found.head + excess)

    def sweep(self, now: float) -> int:
        """Remove keys all of whose observations are older than ``now`` minus their retention.

        ``now`` is in event time (e.g. the latest event time processed). Returns how many keys were
        removed. Call it periodically: recording prunes only the key it touches.
        """
        with self._lock:
            stale = [key for key, found in self._series.items() if found.times[-1] < now - found.retention]
            for key in stale:
                del self._series[key]
        return len(stale)

    def key_count(self) -> int:
        """How many keys hold observations."""
        with self._lock:
            return len(self._series)

    def observation_count(self) -> int:
        """How many observations are held across all keys."""
        with self._lock:
            return sum(len(found.times) - found.head for found in self._series.values())

    def close(self) -> None:
        """Nothing to release; present for the :class:`CounterStore` protocol."""

    def ping(self) -> bool:
        return True

    def save(self, path: Path, meta: dict[str, object]) -> None:
        """Write a snapshot of every key to ``path`` atomically.

        The data is copied under the lock and serialised outside it. The file is written to a temporary
        file in the same directory, fsynced and renamed over ``path``, so a crash leaves either the old
        snapshot or the new one, never a torn file.

        Raises:
            ValueError: ``meta`` is not JSON-serialisable.
        """
        with self._lock:
            entries = [
                {
                    "key": key,
                    "retention": found.retention,
                    "t": found.times[found.head :],
                    "id": found.ids[found.head :],
                    "m": found.members[found.head :],
                }
                for key, found in self._series.items()
            ]
        document = {
            "format": SNAPSHOT_FORMAT,
            "version": SNAPSHOT_VERSION,
            "max_per_key": self._max_per_key,
            "meta": meta,
            "keys": entries,
        }
        try:
            data = orjson.dumps(document)
        except orjson.JSONEncodeError as exc:
            raise ValueError(f"snapshot meta is not JSON-serialisable: {exc}") from exc
        _write_atomically(path, data)

    @classmethod
    def load(cls, path: Path, *, max_per_key: int | None = None) -> tuple[InMemoryCounterStore, dict[str, object]]:
        """Restore a store written by :meth:`save`; returns it and the saved ``meta``.

        ``max_per_key`` overrides the saved cap; keys over the cap keep their newest observations.

        Raises:
            OSError: The file cannot be read.
            ValueError: The file is not a valid snapshot.
        """
        try:
            document = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"{path}: not a counter snapshot: {exc}") from exc
        if not isinstance(document, dict) or document.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"{path}: not a counter snapshot")
        if document.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"{path}: unsupported snapshot version {document.get('version')!r}")
        saved_cap = document.get("max_per_key")
        meta = document.get("meta")
        entries = document.get("keys")
        if not _is_int(saved_cap) or saved_cap < 1:
            raise ValueError(f"{path}: malformed snapshot header")
        if not isinstance(meta, dict) or not isinstance(entries, list):
            raise ValueError(f"{path}: malformed snapshot header")
        store = cls(max_per_key=saved_cap if max_per_key is None else max_per_key)
        for entry in entries:
            key, found = _series_from_json(entry, path)
            if key in store._series:
                raise ValueError(f"{path}: key {key!r} appears twice")
            excess = len(found.times) - store._max_per_key
            if excess > 0:
                found.drop_front(excess)
            store._series[key] = found
        store.snapshot_meta = meta
        return store, meta


def _indexed_distinct(found: _Series, low: float, high: float, end: int) -> int:
    """Distinct members in ``[low, high)`` of ``found``; entries from ``end`` on are ``>= high``."""
    index = found.index
    if index is None:
        index = found.index = _MemberIndex(found.times, found.members, found.head)
    count = index.distinct_since(low)
    # Members whose only entries since ``low`` are at or after ``high`` were counted but must not be.
    for member in set(found.members[end:]):
        if member is not None and not index.has_between(member, low, high):
            count -= 1
    return count


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _series_from_json(entry: Any, path: Path) -> tuple[str, _Series]:
    if not isinstance(entry, dict):
        raise ValueError(f"{path}: malformed key entry")
    key, retention = entry.get("key"), entry.get("retention")
    times, ids, members = entry.get("t"), entry.get("id"), entry.get("m")
    if not isinstance(key, str) or not _is_int(retention):
        raise ValueError(f"{path}: malformed key entry")
    if not (
        isinstance(times, list)
        and isinstance(ids, list)
        and isinstance(members, list)
        and len(times) == len(ids) == len(members) > 0
    ):
        raise ValueError(f"{path}: malformed entry for key {key!r}")
    if not all((isinstance(t, float) or _is_int(t)) for t in times):
        raise ValueError(f"{path}: non-numeric time under key {key!r}")
    if any(later < earlier for earlier, later in zip(times, islice(times, 1, None), strict=False)):
        raise ValueError(f"{path}: times under key {key!r} are not ascending")
    if not all(isinstance(i, str) for i in ids) or len(set(ids)) != len(ids):
        raise ValueError(f"{path}: bad or repeated observation ids under key {key!r}")
    if not all(m is None or isinstance(m, str) for m in members):
        raise ValueError(f"{path}: bad member under key {key!r}")
    found = _Series()
    found.times = [float(t) for t in times]
    found.ids = ids
    found.members = members
    found.seen = set(ids)
    found.retention = retention
    return key, found


def _write_atomically(path: Path, data: bytes) -> None:
    directory = path.parent
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    # The rename is only durable once the directory entry is on disk.
    directory_descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_descriptor)
    finally:
        os.close(directory_descriptor)
