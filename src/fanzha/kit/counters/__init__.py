"""Velocity counters: point-in-time correct, idempotent windowed counts behind one Protocol.

Backends: :class:`InMemoryCounterStore` (embedded default, snapshot to disk) and
:class:`RedisCounterStore` (shared between processes). The contract is described in
:mod:`fanzha.kit.counters.protocol`.
"""

from __future__ import annotations

from pathlib import Path

from fanzha.kit.counters.memory import InMemoryCounterStore
from fanzha.kit.counters.protocol import CounterQuery, CounterStore, CounterUnavailable, Observation
from fanzha.kit.counters.redis import RedisCounterStore, make_redis_client

__all__ = [
    "DEFAULT_REDIS_TIMEOUT_S",
    "CounterQuery",
    "CounterStore",
    "CounterUnavailable",
    "InMemoryCounterStore",
    "Observation",
    "RedisCounterStore",
    "build_counter_store",
    "make_redis_client",
]

DEFAULT_REDIS_TIMEOUT_S = 0.05


def build_counter_store(
    redis_url: str | None,
    *,
    snapshot_path: Path | None,
    timeout_s: float = DEFAULT_REDIS_TIMEOUT_S,
) -> CounterStore:
    """The counter backend the settings ask for.

    With a ``redis_url``, a :class:`RedisCounterStore` on a new client with ``timeout_s`` socket
    timeouts and no retries (no connection is made until first use). Without one, an
    :class:`InMemoryCounterStore` restored from ``snapshot_path`` when that file exists (its meta is in
    ``store.snapshot_meta``), else empty.

    Raises:
        ValueError: The snapshot exists but is not valid.
    """
    if redis_url is not None:
        return RedisCounterStore(make_redis_client(redis_url, timeout_s=timeout_s), timeout_s=timeout_s)
    if snapshot_path is not None and snapshot_path.exists():
        store, _meta = InMemoryCounterStore.load(snapshot_path)
        return store
    return InMemoryCounterStore()
