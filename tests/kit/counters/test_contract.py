"""The CounterStore contract, run against every backend (memory, Redis on fakeredis, real Redis)."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fanzha.kit.counters import CounterQuery, CounterStore, CounterUnavailable, Observation

from .conftest import StoreFactory
from .support import ModelStore, count, obs


def test_half_open_window_boundaries(store: CounterStore) -> None:
    t = 1_700_000_000.25
    store.apply([obs("k", t, "e1", "m")], [])
    up = math.nextafter(t, math.inf)
    down = math.nextafter(t, -math.inf)
    # The upper bound is exclusive: an event never counts itself.
    assert count(store, "k", 10, t) == 0
    assert count(store, "k", 10, t, distinct=True) == 0
    assert count(store, "k", 10, up) == 1
    assert count(store, "k", 10, up, distinct=True) == 1
    # The lower bound is inclusive: [t + 10 - 10, t + 10) still holds t ...
    assert count(store, "k", 10, t + 10) == 1
    assert count(store, "k", 10, t + 10, distinct=True) == 1
    # ... and one ulp later it does not.
    assert count(store, "k", 10, math.nextafter(t + 10, math.inf)) == 0
    assert count(store, "k", 10, math.nextafter(t + 10, math.inf), distinct=True) == 0
    assert count(store, "k", 10, down) == 0
    assert count(store, "k", 0, up) == 0


def test_event_does_not_count_itself_in_the_same_call(store: CounterStore) -> None:
    counts = []
    for i, at in enumerate([100.0, 100.0, 105.0, 109.5, 110.0]):
        query = CounterQuery(key="k", window=10, at=at, distinct=False)
        counts.extend(store.apply([obs("k", at, f"e{i}")], [query]))
    # At 110 the window is [100, 110): both events at 100 count, the one at 110 does not.
    assert counts == [0, 0, 2, 3, 4]


def test_record_is_idempotent(store: CounterStore) -> None:
    first = obs("k", 50.0, "e1", "alice")
    store.apply([first, first], [])
    store.apply([first], [])
    store.apply([obs("k", 60.0, "e2", "bob")], [])
    # A late replay of an older event must not count again either.
    store.apply([first], [])
    assert count(store, "k", 100, 70.0) == 2
    assert count(store, "k", 100, 70.0, distinct=True) == 2
    assert count(store, "k", 15, 65.0) == 2


def test_distinct_counts(store: CounterStore) -> None:
    members = ["alice", "bob", "alice", None, "收款人", "3:ab", "3:abc", "bob", None, ""]
    store.apply([obs("k", 10.0 + i, f"e:{i}", member) for i, member in enumerate(members)], [])
    # None is not a member; "" is.
    assert count(store, "k", 100, 100.0, distinct=True) == 6
    assert count(store, "k", 100, 100.0) == len(members)
    # Window [12, 18): alice, None, 收款人, 3:ab, 3:abc, bob.
    assert count(store, "k", 6, 18.0, distinct=True) == 5
    assert count(store, "k", 6, 18.0) == 6
    # Keys are independent.
    assert count(store, "other", 100, 100.0, distinct=True) == 0


def test_out_of_order_inserts(new_store: StoreFactory) -> None:
    times = [float(t) for t in range(0, 200, 2)]
    shuffled = times[:]
    random.Random(7).shuffle(shuffled)
    in_order, out_of_order = new_store(), new_store()
    in_order.apply([obs("k", t, f"e{t}", f"m{int(t) % 7}") for t in times], [])
    for start in range(0, len(shuffled), 9):
        chunk = shuffled[start : start + 9]
        out_of_order.apply([obs("k", t, f"e{t}", f"m{int(t) % 7}") for t in chunk], [])
    queries = [
        CounterQuery(key="k", window=window, at=at, distinct=distinct)
        for window in (1, 2, 3, 25, 1000)
        for at in (0.0, 1.0, 2.0, 51.0, 100.0, 199.0, 250.0)
        for distinct in (False, True)
    ]
    expected = in_order.apply([], queries)
    assert out_of_order.apply([], queries) == expected
    assert expected[queries.index(CounterQuery(key="k", window=25, at=100.0, distinct=False))] == 12


def test_retention_prunes_relative_to_newest(store: CounterStore) -> None:
    store.apply([obs("k", t, f"e{t}", retention=10) for t in (0.0, 5.0, 10.0)], [])
    assert count(store, "k", 100, 11.0) == 3
    store.apply([obs("k", 20.0, "e20", retention=10)], [])
    # Newest is 20, so everything before 20 - 10 = 10 is gone; 10 itself stays.
    assert count(store, "k", 100, 21.0) == 2
    # A late event already older than the horizon is dropped at once ...
    store.apply([obs("k", 9.0, "e9", retention=10)], [])
    assert count(store, "k", 100, 21.0) == 2
    # ... one at the horizon is kept.
    store.apply([obs("k", 10.0, "e10b", retention=10)], [])
    assert count(store, "k", 100, 21.0) == 3
    # A late event inside the horizon does not move it.
    store.apply([obs("k", 15.0, "e15", retention=10)], [])
    assert count(store, "k", 100, 21.0) == 4


def test_unknown_key_and_empty_call(store: CounterStore) -> None:
    assert store.apply([], []) == []
    assert store.apply([], [CounterQuery(key="nothing", window=60, at=1.0, distinct=True)]) == [0]


def test_many_keys(store: CounterStore) -> None:
    accounts = [f"acc-{i}" for i in range(600)]
    batch: list[Observation] = []
    for i, account in enumerate(accounts):
        for j in range(i % 4 + 1):
            batch.append(obs(f"msgs|{account}", 1000.0 + j, f"{account}-{j}", f"r{j % 2}"))
        if len(batch) >= 100:
            store.apply(batch, [])
            batch = []
    store.apply(batch, [])
    queries = [CounterQuery(key=f"msgs|{a}", window=60, at=1010.0, distinct=d) for a in accounts for d in (False, True)]
    answers = store.apply([], queries)
    expected = [n for i in range(len(accounts)) for n in (i % 4 + 1, min(i % 4 + 1, 2))]
    assert answers == expected


def test_per_key_cap_keeps_newest(new_store: StoreFactory) -> None:
    store = new_store(max_per_key=5)
    store.apply([obs("hot", float(t), f"e{t}", f"m{t}") for t in range(8)], [])
    store.apply([obs("cold", 1.0, "c1")], [])
    assert count(store, "hot", 100, 100.0) == 5
    assert count(store, "hot", 100, 100.0, distinct=True) == 5
    # 0, 1 and 2 were the oldest and went first.
    assert count(store, "hot", 3, 3.0) == 0
    assert count(store, "hot", 100, 4.0) == 1
    assert count(store, "cold", 100, 100.0) == 1


def test_ping_and_close(store: CounterStore) -> None:
    assert store.ping() is True
    store.close()


_KEYS = ("a", "b")


_times = st.integers(min_value=0, max_value=80).map(lambda half_seconds: half_seconds / 2)
_observations = st.lists(
    st.tuples(
        st.sampled_from(_KEYS),
        _times,
        st.sampled_from([None, "m1", "m2", "m3:x", "收"]),
        # Mostly one retention per key, as in production; sometimes another, to move the horizon.
        st.sampled_from([8, 8, 8, 3, 20]),
    ),
    min_size=1,
    max_size=25,
)
_queries = st.lists(
    st.builds(
        CounterQuery,
        key=st.sampled_from(_KEYS),
        window=st.sampled_from([0, 1, 2, 5, 8, 20, 100]),
        at=st.one_of(_times, _times.map(lambda t: t + 0.25)),
        distinct=st.booleans(),
    ),
    max_size=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pool=_observations,
    calls=st.lists(st.tuples(st.lists(st.integers(0, 24), max_size=4), _queries), min_size=1, max_size=12),
)
def test_matches_brute_force_model(
    new_store: StoreFactory,
    pool: list[tuple[str, float, str | None, int]],
    calls: list[tuple[list[int], list[CounterQuery]]],
) -> None:
    # The factory (not a fixture-built store) gives every example an empty store.
    store = new_store()
    model = ModelStore()
    events = [obs(key, at, f"e{i}", member, retention=retention) for i, (key, at, member, retention) in enumerate(pool)]
    for picks, queries in calls:
        # Picks index the pool, so ids repeat with identical fields: that is a replay.
        recorded = [events[i % len(events)] for i in picks]
        assert store.apply(recorded, queries) == model.apply(recorded, queries)
    everything = [
        CounterQuery(key=key, window=window, at=at, distinct=distinct)
        for key in _KEYS
        for window in (1, 8, 100)
        for at in (10.0, 20.5, 41.0)
        for distinct in (False, True)
    ]
    assert store.apply([], everything) == model.apply([], everything)


def test_unavailable_is_a_dependency_error() -> None:
    from fanzha.kit.errors import DependencyUnavailable

    assert issubclass(CounterUnavailable, DependencyUnavailable)
    assert CounterUnavailable("x").status_code == 503


@pytest.mark.parametrize(
    "make",
    [
        lambda: Observation(key="k", at=math.nan, observation_id="e", member=None, retention=1),
        lambda: Observation(key="k", at=1.0, observation_id="e", member=None, retention=-1),
        lambda: CounterQuery(key="k", window=-1, at=1.0, distinct=False),
        lambda: CounterQuery(key="k", window=1, at=math.inf, distinct=False),
    ],
)
def test_invalid_values_are_rejected(make: object) -> None:
    assert callable(make)
    with pytest.raises(ValueError, match="must be"):
        make()


def test_observation_ids_are_per_key(store: CounterStore) -> None:
    # One event feeds several counters under the same id.
    store.apply([obs("a", 1.0, "evt"), obs("b", 1.0, "evt"), Observation("a", 1.0, "evt", None, 60)], [])
    assert count(store, "a", 10, 2.0) == 1
    assert count(store, "b", 10, 2.0) == 1


def test_retention_horizon_is_exact_at_full_precision(store: CounterStore) -> None:
    t = 1_700_000_000.123456
    store.apply([obs("k", t, "e1", retention=10), obs("k", t + 10, "e2", retention=10)], [])
    # t is exactly at the horizon (t + 10) - 10, so it stays; a hair older would go.
    assert count(store, "k", 100, t + 11) == 2
    store.apply([obs("k", math.nextafter(t, -math.inf), "e0", retention=10)], [])
    assert count(store, "k", 100, t + 11) == 2


def test_pruned_observation_is_forgotten(store: CounterStore) -> None:
    store.apply([obs("k", 0.0, "e1", retention=10), obs("k", 20.0, "e2", retention=10)], [])
    assert count(store, "k", 100, 21.0) == 1
    # e1 is gone, id included: recorded again under a retention that reaches it, it counts again.
    store.apply([obs("k", 0.0, "e1", retention=30)], [])
    assert count(store, "k", 100, 21.0) == 2
