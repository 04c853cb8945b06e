from __future__ import annotations

import math
import os
import random
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fanzha.lists.index import IndexFileError, MembershipIndex

FAR_FUTURE = 4_000_000_000.0


def test_build_and_contains() -> None:
    index = MembershipIndex.build([("+8613800138000", None), ("evil.com", 100.0)])
    assert len(index) == 2
    assert index.contains("+8613800138000", FAR_FUTURE)
    assert index.contains("evil.com", 99.0)
    assert not index.contains("evil.com", 100.0)
    assert not index.contains("+8613800138001", 0.0)
    assert not index.contains("", 0.0)


def test_an_empty_index_holds_nothing() -> None:
    for index in (MembershipIndex(), MembershipIndex.build([])):
        assert len(index) == 0
        assert not index.contains("anything", 0.0)


def test_expiry_is_rounded_up_to_the_second() -> None:
    index = MembershipIndex.build([("a", 100.2)])
    assert index.contains("a", 100.9)
    assert not index.contains("a", 101.0)


def test_duplicates_keep_the_latest_expiry_and_never_wins() -> None:
    index = MembershipIndex.build([("a", 50.0), ("a", 80.0), ("a", 60.0), ("b", 10.0), ("b", None), ("b", 20.0)])
    assert len(index) == 2
    assert index.contains("a", 79.0)
    assert not index.contains("a", 80.0)
    assert index.contains("b", FAR_FUTURE)


def test_expiries_before_the_epoch_are_always_expired() -> None:
    index = MembershipIndex.build([("a", -5.0), ("b", 0.0), ("c", -math.inf), ("d", math.inf)])
    assert not index.contains("a", 1.0)
    assert not index.contains("b", 1.0)
    assert not index.contains("c", 1.0)
    assert index.contains("d", FAR_FUTURE)


def test_nan_expiry_is_refused() -> None:
    with pytest.raises(ValueError, match="NaN"):
        MembershipIndex.build([("a", math.nan)])
    with pytest.raises(ValueError, match="NaN"):
        MembershipIndex().add("a", math.nan)


def test_add_remove_and_len() -> None:
    index = MembershipIndex.build([("a", None), ("b", None)])
    index.add("c", None)
    assert len(index) == 3
    assert index.contains("c", 0.0)
    assert index.remove("a")
    assert not index.remove("a")
    assert not index.remove("never-listed")
    assert len(index) == 2
    assert not index.contains("a", 0.0)
    index.add("a", 30.0)
    assert len(index) == 3
    assert index.contains("a", 29.0)
    assert not index.contains("a", 30.0)
    index.add("b", 10.0)  # a new expiry replaces the old one, even an earlier one
    assert not index.contains("b", 10.0)
    assert index.overlay_size == 3
    index.compact()
    assert index.overlay_size == 0
    assert len(index) == 3
    assert index.contains("a", 29.0)
    assert not index.contains("b", 10.0)
    assert index.contains("c", 0.0)


def test_batch_writes() -> None:
    index = MembershipIndex()
    index.add_many([("a", None), ("b", None), ("c", None)])
    assert len(index) == 3
    assert index.remove_many(["a", "b", "zzz", "a"]) == 2
    assert len(index) == 1
    assert [index.contains(v, 0.0) for v in "abc"] == [False, False, True]


def test_compact_can_drop_expired_entries() -> None:
    index = MembershipIndex.build([("a", 10.0), ("b", 20.0), ("c", None)])
    index.add("d", 15.0)
    index.compact(expired_before=15.0)
    assert len(index) == 2
    assert index.contains("b", 19.0)
    assert index.contains("c", FAR_FUTURE)
    assert not index.contains("a", 0.0)
    assert not index.contains("d", 0.0)


def test_the_overlay_compacts_itself_past_its_limit() -> None:
    index = MembershipIndex.build([(f"v{i}", None) for i in range(100)], overlay_limit=4)
    for i in range(4):
        index.add(f"new{i}", None)
    assert index.overlay_size == 4
    index.remove("v0")
    assert index.overlay_size == 0
    assert len(index) == 103
    assert not index.contains("v0", 0.0)
    assert all(index.contains(f"new{i}", 0.0) for i in range(4))
    assert all(index.contains(f"v{i}", 0.0) for i in range(1, 100))


def test_a_larger_index_uses_buckets_and_still_agrees_with_a_set() -> None:
    rng = random.Random(7)
    listed = {f"+86138{rng.randrange(10**8):08d}" for _ in range(20_000)}
    index = MembershipIndex.build((value, None) for value in listed)
    assert index.nbytes < 20 * len(listed)  # 8-byte keys plus the bucket table, no expiry array
    assert all(index.contains(value, 0.0) for value in listed)
    strangers = {f"+86139{rng.randrange(10**8):08d}" for _ in range(20_000)}
    assert not any(index.contains(value, 0.0) for value in strangers)
    removed = set(rng.sample(sorted(listed), 500))
    added = set(rng.sample(sorted(strangers), 500))
    index.remove_many(removed)
    index.add_many((value, None) for value in added)
    index.compact()
    expected = (listed - removed) | added
    assert len(index) == len(expected)
    assert all(index.contains(value, 0.0) for value in expected)
    assert not any(index.contains(value, 0.0) for value in removed | (strangers - added))


@pytest.mark.parametrize("with_expiry", [False, True])
def test_save_and_load_round_trip(tmp_path: Path, with_expiry: bool) -> None:
    entries = [(f"value-{i}", (1000.0 + i) if with_expiry and i % 3 == 0 else None) for i in range(3000)]
    index = MembershipIndex.build(entries)
    index.add("pending", None)  # the overlay is saved too
    index.remove("value-1")
    path = tmp_path / "list.idx"
    index.save(path)
    loaded = MembershipIndex.load(path, verify=True)
    assert len(loaded) == len(index) == 3000
    assert loaded.overlay_size == 0
    for at in (0.0, 1500.0, FAR_FUTURE):
        for value, _expires in [*entries, ("pending", None), ("stranger", None)]:
            assert loaded.contains(value, at) == index.contains(value, at), (value, at)
    assert not loaded.contains("value-1", 0.0)


def test_save_and_load_an_empty_index(tmp_path: Path) -> None:
    path = tmp_path / "empty.idx"
    MembershipIndex().save(path)
    loaded = MembershipIndex.load(path, verify=True)
    assert len(loaded) == 0
    assert not loaded.contains("a", 0.0)


def test_a_loaded_index_can_change_and_be_saved_over_its_own_file(tmp_path: Path) -> None:
    path = tmp_path / "list.idx"
    MembershipIndex.build([("a", None), ("b", 50.0)]).save(path)
    mapped = MembershipIndex.load(path)
    mapped.add("c", None)
    mapped.remove("a")
    mapped.save(path)
    mapped.compact()
    reloaded = MembershipIndex.load(path, verify=True)
    for index in (mapped, reloaded):
        assert [index.contains(v, 0.0) for v in "abc"] == [False, True, True]
        assert not index.contains("b", 50.0)
        assert len(index) == 2


def test_a_failed_save_leaves_the_old_file_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "list.idx"
    MembershipIndex.build([("old", None)]).save(path)
    before = path.read_bytes()

    def failing_fsync(descriptor: int) -> None:
        raise OSError("disk full")

    # fsync runs after every byte is written and before the rename: the latest point a write can fail.
    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        MembershipIndex.build([(f"new{i}", None) for i in range(1000)]).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["list.idx"]  # no temporary file left behind
    loaded = MembershipIndex.load(path)
    assert loaded.contains("old", 0.0)
    assert not loaded.contains("new1", 0.0)


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "list.idx"
    MembershipIndex.build([(f"v{i}", float(i + 1)) for i in range(500)]).save(path)
    return path


def test_a_truncated_file_is_refused(saved: Path) -> None:
    data = saved.read_bytes()
    saved.write_bytes(data[:-8])
    with pytest.raises(IndexFileError, match="truncated"):
        MembershipIndex.load(saved)
    saved.write_bytes(data[:10])
    with pytest.raises(IndexFileError, match="shorter than its header"):
        MembershipIndex.load(saved)


def test_a_foreign_file_is_refused(saved: Path) -> None:
    saved.write_bytes(b"PK\x03\x04" + bytes(200))
    with pytest.raises(IndexFileError, match="bad magic"):
        MembershipIndex.load(saved)


def test_a_newer_format_is_refused(saved: Path) -> None:
    data = bytearray(saved.read_bytes())
    data[8] = 2  # the version field follows the 8-byte magic
    saved.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="unknown version"):
        MembershipIndex.load(saved)


def test_verify_finds_keys_out_of_order(saved: Path) -> None:
    data = bytearray(saved.read_bytes())
    first, second = data[64:72], data[72:80]
    data[64:72], data[72:80] = second, first
    saved.write_bytes(bytes(data))
    MembershipIndex.load(saved)  # only the header, size and bucket table are checked by default
    with pytest.raises(IndexFileError, match="out of order"):
        MembershipIndex.load(saved, verify=True)


def test_a_broken_bucket_table_is_refused_even_without_verify(saved: Path) -> None:
    data = bytearray(saved.read_bytes())
    count = 500
    last_offset = 64 + 8 * count + 8 * ((len(data) - 64 - 16 * count) // 8 - 1)
    data[last_offset : last_offset + 8] = (10**9).to_bytes(8, "little")
    saved.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="bucket table"):
        MembershipIndex.load(saved)


def test_readers_see_each_write_whole_while_a_writer_churns() -> None:
    stable = [f"stable-{i}" for i in range(2000)]
    index = MembershipIndex.build([(v, None) for v in stable], overlay_limit=64)
    stop = threading.Event()
    problems: list[str] = []

    def read() -> None:
        try:
            while not stop.is_set():
                for value in stable[::97]:
                    if not index.contains(value, 0.0):
                        problems.append(f"lost {value}")
                for i in range(0, 300, 37):
                    if index.contains(f"never-{i}", 0.0):
                        problems.append(f"invented never-{i}")
                for i in range(0, 300, 29):
                    index.contains(f"churn-{i}-1", 0.0)
        except Exception as error:  # a torn snapshot would show as an IndexError or the like
            problems.append(repr(error))

    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    readers = [threading.Thread(target=read) for _ in range(2)]
    try:
        for reader in readers:
            reader.start()
        for round_ in range(300):
            index.add_many((f"churn-{round_}-{i}", None) for i in range(5))
            index.remove_many(f"churn-{round_}-{i}" for i in range(3))
            index.remove(stable[round_ % 96 + 1])  # never one the readers check
            index.add(stable[round_ % 96 + 1], None)
            if round_ % 50 == 0:
                index.compact()
    finally:
        stop.set()
        for reader in readers:
            reader.join()
        sys.setswitchinterval(old_interval)
    assert problems == []
    assert len(index) == len(stable) + 300 * 2


# The model: value -> stored expiry (0 = never, else whole seconds rounded up, at least 1).
def _stored(expires_at: float | None) -> int:
    return 0 if expires_at is None else max(1, math.ceil(expires_at))


def _live(expires: int, at: float) -> bool:
    return expires == 0 or at < expires


_VALUES = [f"v{i}" for i in range(10)] + ["", "刷单", "+8613800138000"]
_value = st.sampled_from(_VALUES)
_expiry = st.none() | st.integers(0, 40).map(float) | st.floats(0, 40, allow_nan=False)
_operation = st.one_of(
    st.tuples(st.just("add"), _value, _expiry),
    st.tuples(st.just("remove"), _value),
    st.tuples(st.just("compact"), st.none() | st.floats(0, 40, allow_nan=False)),
    st.tuples(st.just("reload")),
)
_TIMES = [0.0, 0.5, 1.0, 7.0, 19.5, 20.0, 39.9, 40.0, FAR_FUTURE]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_value, _expiry), max_size=20), st.lists(_operation, max_size=30), st.integers(1, 6))
def test_the_index_agrees_with_a_dict_model(
    initial: list[tuple[str, float | None]], operations: list[tuple[object, ...]], overlay_limit: int
) -> None:
    index = MembershipIndex.build(initial, overlay_limit=overlay_limit)
    model: dict[str, int] = {}
    for value, given_expiry in initial:
        stored = _stored(given_expiry)
        previous = model.get(value)
        model[value] = 0 if previous == 0 or stored == 0 else max(stored, previous or 0)
    with tempfile.TemporaryDirectory() as directory:
        for operation in operations:
            match operation:
                case ("add", str(value), expires_at):
                    assert expires_at is None or isinstance(expires_at, float)
                    index.add(value, expires_at)
                    model[value] = _stored(expires_at)
                case ("remove", str(value)):
                    assert index.remove(value) == (value in model)
                    model.pop(value, None)
                case ("compact", expired_before):
                    assert expired_before is None or isinstance(expired_before, float)
                    index.compact(expired_before=expired_before)
                    if expired_before is not None:
                        model = {v: e for v, e in model.items() if e == 0 or e > expired_before}
                case ("reload",):
                    path = Path(directory) / "model.idx"
                    index.save(path)
                    index = MembershipIndex.load(path, verify=True, overlay_limit=overlay_limit)
            assert len(index) == len(model)
            for value in _VALUES:
                for at in _TIMES:
                    expected = value in model and _live(model[value], at)
                    assert index.contains(value, at) == expected, (operation, value, at)
