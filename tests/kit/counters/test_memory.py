"""What only the in-memory backend does: snapshots, sweeping, the cap on hot keys, threads."""

from __future__ import annotations

import os
import random
import threading
from pathlib import Path

import orjson
import pytest

from fanzha.kit.counters import CounterQuery, InMemoryCounterStore, build_counter_store

from .support import count, obs

BATTERY = [
    CounterQuery(key=key, window=window, at=at, distinct=distinct)
    for key in ("a", "b", "c", "missing")
    for window in (5, 60, 3600)
    for at in (100.0, 130.5, 200.0)
    for distinct in (False, True)
]


def _populated() -> InMemoryCounterStore:
    store = InMemoryCounterStore(max_per_key=40)
    store.apply([obs("a", 90.0 + i * 0.5, f"a{i}", f"m{i % 3}", retention=600) for i in range(60)], [])
    store.apply([obs("b", 100.0 - i, f"b{i}", None, retention=30) for i in range(20)], [])
    store.apply([obs("c", 120.0, "c0", "收款人", retention=3600)], [])
    return store


def test_snapshot_round_trip(tmp_path: Path) -> None:
    store = _populated()
    path = tmp_path / "counters.snap"
    meta: dict[str, object] = {"journal_seq": 1234, "written_by": "test", "nested": {"ok": [1, 2.5, None]}}
    store.save(path, meta)
    restored, restored_meta = InMemoryCounterStore.load(path)
    assert restored_meta == meta
    assert restored.snapshot_meta == meta
    assert restored.max_per_key == 40
    assert restored.apply([], BATTERY) == store.apply([], BATTERY)
    assert restored.observation_count() == store.observation_count() == 40 + 20 + 1
    # Idempotence survives the restart: replaying a saved event does not count twice.
    before = count(restored, "a", 3600, 200.0)
    restored.apply([obs("a", 119.5, "a59", "m2", retention=600)], [])
    assert count(restored, "a", 3600, 200.0) == before
    # The restored store keeps working like the original.
    late = [obs("b", 95.5, "b-late", None, retention=30), obs("a", 150.0, "a-new", "m9", retention=600)]
    assert restored.apply(late, BATTERY) == store.apply(late, BATTERY)


def test_snapshot_of_empty_store(tmp_path: Path) -> None:
    path = tmp_path / "empty.snap"
    InMemoryCounterStore().save(path, {})
    restored, meta = InMemoryCounterStore.load(path)
    assert meta == {}
    assert restored.key_count() == 0


def test_load_can_lower_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "counters.snap"
    _populated().save(path, {})
    restored, _ = InMemoryCounterStore.load(path, max_per_key=10)
    assert count(restored, "a", 3600, 200.0) == 10
    # The newest ten of "a" are 115.0 .. 119.5.
    assert count(restored, "a", 5, 120.0) == 10


def test_failed_save_leaves_old_snapshot_and_no_temp_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "counters.snap"
    _populated().save(path, {"journal_seq": 1})
    original = path.read_bytes()

    bigger = _populated()
    bigger.apply([obs("d", 1.0, "d1")], [])

    def crash(src: object, dst: object) -> None:
        raise OSError("disk went away")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk went away"):
        bigger.save(path, {"journal_seq": 2})
    monkeypatch.undo()
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counters.snap"]

    with pytest.raises(ValueError, match="JSON"):
        bigger.save(path, {"journal_seq": object()})
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counters.snap"]

    bigger.save(path, {"journal_seq": 2})
    restored, meta = InMemoryCounterStore.load(path)
    assert meta == {"journal_seq": 2}
    assert count(restored, "d", 10, 2.0) == 1


def _valid_document() -> dict[str, object]:
    return {
        "format": "fanzha-counters-snapshot",
        "version": 1,
        "max_per_key": 10,
        "meta": {},
        "keys": [{"key": "k", "retention": 60, "t": [1.0, 2.0], "id": ["x", "y"], "m": [None, "z"]}],
    }


def _entry(**changes: object) -> dict[str, object]:
    document = _valid_document()
    keys = document["keys"]
    assert isinstance(keys, list)
    keys[0].update(changes)
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"\x80\x04not json", "not a counter snapshot"),
        (orjson.dumps([1, 2]), "not a counter snapshot"),
        (orjson.dumps({**_valid_document(), "format": "other"}), "not a counter snapshot"),
        (orjson.dumps({**_valid_document(), "version": 99}), "unsupported snapshot version"),
        (orjson.dumps({**_valid_document(), "max_per_key": 0}), "malformed snapshot header"),
        (orjson.dumps({**_valid_document(), "meta": []}), "malformed snapshot header"),
        (orjson.dumps(_entry(t=[2.0, 1.0])), "not ascending"),
        (orjson.dumps(_entry(id=["x", "x"])), "repeated"),
        (orjson.dumps(_entry(t=[1.0])), "malformed entry"),
        (orjson.dumps(_entry(t=["1", 2.0])), "non-numeric"),
        (orjson.dumps(_entry(m=[None, 5])), "bad member"),
        (orjson.dumps(_entry(retention="60")), "malformed key entry"),
    ],
)
def test_load_rejects_bad_snapshots(tmp_path: Path, document: bytes, message: str) -> None:
    path = tmp_path / "bad.snap"
    path.write_bytes(document)
    with pytest.raises(ValueError, match=message):
        InMemoryCounterStore.load(path)


def test_valid_handwritten_snapshot_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.snap"
    path.write_bytes(orjson.dumps(_valid_document()))
    store, _ = InMemoryCounterStore.load(path)
    assert store.apply([], [CounterQuery(key="k", window=5, at=3.0, distinct=True)]) == [1]


def test_cap_bounds_memory_of_a_hot_key() -> None:
    store = InMemoryCounterStore(max_per_key=1000)
    for start in range(0, 20_000, 500):
        store.apply([obs("hot", float(t), f"e{t}") for t in range(start, start + 500)], [])
    assert store.observation_count() == 1000
    assert count(store, "hot", 1_000_000, 1e5) == 1000
    assert count(store, "hot", 1000, 20_000.0) == 1000
    with pytest.raises(ValueError, match="max_per_key"):
        InMemoryCounterStore(max_per_key=0)


def test_sweep_removes_quiet_keys() -> None:
    store = InMemoryCounterStore()
    store.apply([obs("old", 10.0, "o", retention=60), obs("young", 100.0, "y", retention=60)], [])
    assert store.sweep(now=70.0) == 0
    assert store.sweep(now=70.5) == 1
    assert store.key_count() == 1
    assert count(store, "young", 100, 101.0) == 1
    assert count(store, "old", 100, 11.0) == 0


def test_concurrent_apply_is_consistent() -> None:
    store = InMemoryCounterStore()
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(1500):
                # Every worker records the same ids too, so idempotence is raced as well.
                store.apply(
                    [obs("shared", float(i), f"s{i}", f"m{i % 10}"), obs(f"own-{n}", float(i), f"{n}-{i}")],
                    [CounterQuery(key="shared", window=50, at=float(i), distinct=True)],
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert count(store, "shared", 1_000_000, 1e5) == 1500
    assert count(store, "shared", 1_000_000, 1e5, distinct=True) == 10
    assert [count(store, f"own-{n}", 1_000_000, 1e5) for n in range(4)] == [1500] * 4


def test_build_counter_store_memory(tmp_path: Path) -> None:
    path = tmp_path / "counters.snap"
    fresh = build_counter_store(None, snapshot_path=path)
    assert isinstance(fresh, InMemoryCounterStore)
    assert fresh.key_count() == 0
    fresh.apply([obs("k", 1.0, "e1")], [])
    fresh.save(path, {"journal_seq": 7})
    loaded = build_counter_store(None, snapshot_path=path)
    assert isinstance(loaded, InMemoryCounterStore)
    assert loaded.snapshot_meta == {"journal_seq": 7}
    assert count(loaded, "k", 10, 2.0) == 1
    assert isinstance(build_counter_store(None, snapshot_path=None), InMemoryCounterStore)


@pytest.mark.parametrize("max_per_key", [50_000, 300])
def test_distinct_index_agrees_with_scanning(max_per_key: int) -> None:
    rng = random.Random(max_per_key)
    scanning = InMemoryCounterStore(max_per_key=max_per_key, index_threshold=10**9)
    indexed = InMemoryCounterStore(max_per_key=max_per_key, index_threshold=16)
    for i in range(3000):
        # Mostly in order with ties, some late events, a member set small enough to repeat.
        at = i // 3 + (rng.choice([0.0, -rng.randrange(60)]) if rng.random() < 0.1 else 0.0)
        key = f"dev-{rng.randrange(3)}"
        event = [obs(key, float(at), f"e{i}", rng.choice([None, *(f"acc-{n}" for n in range(40))]), 400)]
        queries = [
            CounterQuery(key=key, window=window, at=float(at) + shift, distinct=True)
            for window in (30, 200, 400)
            for shift in (0.0, 0.5, -20.0)
        ]
        assert indexed.apply(event, queries) == scanning.apply(event, queries)
