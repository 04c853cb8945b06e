"""What only the Redis backend does: failure handling, the time budget, scripts and key layout."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import fakeredis
import pytest

from fanzha.kit.counters import (
    CounterQuery,
    CounterUnavailable,
    RedisCounterStore,
    build_counter_store,
    make_redis_client,
)

from .conftest import REDIS_BACKENDS, StoreFactory, backend_or_skip
from .support import count, obs

QUERY = CounterQuery(key="k", window=60, at=100.0, distinct=True)


@pytest.fixture(params=REDIS_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Overrides the conftest fixture: only the Redis backends here."""
    return backend_or_skip(request.param)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections (the kernel completes the handshake) but never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_down_server_raises_counter_unavailable() -> None:
    store = RedisCounterStore(make_redis_client(f"redis://127.0.0.1:{_closed_port()}/0", timeout_s=0.2), timeout_s=0.2)
    started = time.monotonic()
    with pytest.raises(CounterUnavailable, match="failed"):
        store.apply([obs("k", 1.0, "e1")], [QUERY])
    assert store.ping() is False
    # No retries with backoff: the failure is reported at once.
    assert time.monotonic() - started < 2.0
    store.close()


def test_hanging_server_raises_counter_unavailable(silent_server: int) -> None:
    store = RedisCounterStore(make_redis_client(f"redis://127.0.0.1:{silent_server}/0", timeout_s=0.1), timeout_s=0.1)
    started = time.monotonic()
    with pytest.raises(CounterUnavailable):
        store.apply([], [QUERY])
    elapsed = time.monotonic() - started
    assert 0.05 < elapsed < 2.0
    store.close()


def test_answer_past_the_budget_raises_and_a_retry_does_not_double_count() -> None:
    server = fakeredis.FakeServer()
    slow = RedisCounterStore(fakeredis.FakeRedis(server=server), timeout_s=1e-9)
    with pytest.raises(CounterUnavailable, match="budget"):
        slow.apply([obs("k", 50.0, "e1", "m")], [QUERY])
    retry = RedisCounterStore(fakeredis.FakeRedis(server=server), timeout_s=5.0)
    assert retry.apply([obs("k", 50.0, "e1", "m")], [QUERY, CounterQuery("k", 60, 100.0, False)]) == [1, 1]


def test_scripts_reload_after_script_flush(new_store: StoreFactory) -> None:
    store = new_store()
    assert isinstance(store, RedisCounterStore)
    store.apply([obs("k", 50.0, "e1", "m1")], [])
    store._client.script_flush()
    assert store.apply([obs("k", 51.0, "e2", "m2")], [QUERY]) == [2]


def test_key_layout_and_expiry(new_store: StoreFactory) -> None:
    store = new_store(expire_slack_s=100)
    assert isinstance(store, RedisCounterStore)
    store.apply([obs("acc|1", 50.0, "e:1", "3:x", retention=600), obs("acc|1", 51.0, "e2", None, retention=600)], [])
    client = store._client
    key = store.prefix + "acc|1"
    assert client.zrange(key, 0, -1, withscores=True) == [(b"3:3:xe:1", 50.0), (b"-:e2", 51.0)]
    assert 600 < client.ttl(key) <= 700


def test_decoded_replies() -> None:
    # The store must not depend on how the client decodes replies.
    client = fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)
    store = RedisCounterStore(client, timeout_s=5.0)
    assert store.apply([obs("k", 50.0, "e1", "m")], [QUERY, CounterQuery("k", 60, 100.0, False)]) == [1, 1]


def test_build_counter_store_redis_connects_lazily(real_redis_url: str) -> None:
    # Construction must not touch the network, so a down Redis does not stop start-up.
    down = build_counter_store(f"redis://127.0.0.1:{_closed_port()}/0", snapshot_path=None, timeout_s=0.2)
    assert isinstance(down, RedisCounterStore)
    assert down.ping() is False
    down.close()
    up = build_counter_store(real_redis_url, snapshot_path=None, timeout_s=2.0)
    assert isinstance(up, RedisCounterStore)
    assert up.ping() is True
    assert count(up, "fanzha-test-never-written", 60, 100.0) == 0
    up.close()


def test_constructor_validates() -> None:
    client = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    with pytest.raises(ValueError, match="timeout_s"):
        RedisCounterStore(client, timeout_s=0)
    with pytest.raises(ValueError, match="max_per_key"):
        RedisCounterStore(client, timeout_s=1.0, max_per_key=-1)
