"""Fixtures that hand every contract test a fresh store of each backend.

``tests/kit`` and ``tests/kit/counters`` are packages so that these test modules get unique import
names under pytest's default import mode (other suites may also have a ``test_contract.py``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import fakeredis
import pytest
import redis

from fanzha.kit.counters import CounterStore, InMemoryCounterStore, RedisCounterStore, make_redis_client

REDIS_URL = os.environ.get("FANZHA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REDIS_BACKENDS = ["fakeredis", pytest.param("redis", marks=pytest.mark.redis)]
# "memory-indexed" builds the distinct-count index for every key, so the contract covers it too.
BACKENDS = ["memory", "memory-indexed", *REDIS_BACKENDS]
# Generous: the budget check is tested on its own, and a shared 2-core machine can stall.
TEST_TIMEOUT_S = 5.0

StoreFactory = Callable[..., CounterStore]

_redis_reachable: bool | None = None


def _real_redis_reachable() -> bool:
    global _redis_reachable
    if _redis_reachable is None:
        client = make_redis_client(REDIS_URL, timeout_s=0.5)
        try:
            _redis_reachable = bool(client.ping())
        except (redis.RedisError, OSError):
            _redis_reachable = False
        finally:
            client.close()
    return _redis_reachable


class _Stores:
    """Builds fresh stores of one backend and removes what they wrote afterwards."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self._stores: list[CounterStore] = []
        self._prefixes: list[str] = []

    def make(self, **options: Any) -> CounterStore:
        store: CounterStore
        if self.backend == "memory":
            store = InMemoryCounterStore(**options)
        elif self.backend == "memory-indexed":
            store = InMemoryCounterStore(index_threshold=0, **options)
        elif self.backend == "fakeredis":
            fake = fakeredis.FakeRedis(server=fakeredis.FakeServer())
            store = RedisCounterStore(fake, timeout_s=TEST_TIMEOUT_S, **options)
        else:
            # A random prefix per store: tests only ever delete keys under it, never FLUSHDB.
            prefix = f"fanzha:test:ctr:{uuid.uuid4().hex}:"
            self._prefixes.append(prefix)
            client = make_redis_client(REDIS_URL, timeout_s=TEST_TIMEOUT_S)
            store = RedisCounterStore(client, prefix=prefix, timeout_s=TEST_TIMEOUT_S, **options)
        self._stores.append(store)
        return store

    def cleanup(self) -> None:
        for store in self._stores:
            store.close()
        if self._prefixes:
            client = make_redis_client(REDIS_URL, timeout_s=TEST_TIMEOUT_S)
            try:
                for prefix in self._prefixes:
                    keys = list(client.scan_iter(match=prefix + "*", count=1000))
                    if keys:
                        client.delete(*keys)
            finally:
                client.close()


def backend_or_skip(name: str) -> str:
    if name == "redis" and not _real_redis_reachable():
        pytest.skip(f"no Redis at {REDIS_URL} (set FANZHA_TEST_REDIS_URL)")
    return name


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return backend_or_skip(request.param)


@pytest.fixture
def new_store(backend: str) -> Iterator[StoreFactory]:
    """A factory for fresh, empty stores of the parametrised backend (keyword options pass through)."""
    stores = _Stores(backend)
    try:
        yield stores.make
    finally:
        stores.cleanup()


@pytest.fixture
def store(new_store: StoreFactory) -> CounterStore:
    return new_store()


@pytest.fixture
def real_redis_url() -> str:
    if not _real_redis_reachable():
        pytest.skip(f"no Redis at {REDIS_URL} (set FANZHA_TEST_REDIS_URL)")
    return REDIS_URL
