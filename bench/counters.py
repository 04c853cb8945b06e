"""Velocity-counter benchmark: apply() latency and throughput, in-memory store and real Redis.

Workload: one call per event, 3 observations + 6 queries per call, over 10,000 accounts and 1,000
devices, event time advancing 50 ms per event:

* ``msgs_per_account|<acc>``        plain,    retention 1 h;  queries 10 min and 1 h
* ``recipients_per_account|<acc>``  distinct, retention 1 h;  queries 10 min and 1 h (distinct)
* ``accounts_per_device|<dev>``     distinct, retention 1 d;  queries 1 h and 1 d (distinct)

Observation and query objects are built before the timer starts (they are the caller's cost); each
``apply()`` is timed on its own with ``perf_counter_ns``. A warm-up phase fills the keys first.

    .venv/bin/python bench/counters.py [--memory-calls N] [--redis-calls N] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from fanzha.kit.counters import (
    CounterQuery,
    CounterStore,
    CounterUnavailable,
    InMemoryCounterStore,
    Observation,
    RedisCounterStore,
    make_redis_client,
)
from fanzha.kit.counters.memory import DEFAULT_INDEX_THRESHOLD

ACCOUNTS = 10_000
DEVICES = 1_000
RECIPIENTS = 50_000
STEP_S = 0.05
START = 1_700_000_000.0
HOUR = 3600
DAY = 86_400
CHUNK = 5_000

Call = tuple[list[Observation], list[CounterQuery]]


def workload(seed: int, first: int, count: int) -> Iterator[list[Call]]:
    """Calls ``first .. first + count - 1`` of the event stream, in chunks."""
    rng = random.Random(seed * 1_000_003 + first)
    for chunk_start in range(first, first + count, CHUNK):
        chunk: list[Call] = []
        for i in range(chunk_start, min(chunk_start + CHUNK, first + count)):
            at = START + i * STEP_S
            account = f"acc-{rng.randrange(ACCOUNTS)}"
            device = f"dev-{rng.randrange(DEVICES)}"
            recipient = f"rcp-{rng.randrange(RECIPIENTS)}"
            event = f"evt-{i}"
            msgs = f"msgs_per_account|{account}"
            recipients = f"recipients_per_account|{account}"
            accounts = f"accounts_per_device|{device}"
            observations = [
                Observation(msgs, at, event, None, HOUR),
                Observation(recipients, at, event, recipient, HOUR),
                Observation(accounts, at, event, account, DAY),
            ]
            queries = [
                CounterQuery(msgs, 600, at, False),
                CounterQuery(msgs, HOUR, at, False),
                CounterQuery(recipients, 600, at, True),
                CounterQuery(recipients, HOUR, at, True),
                CounterQuery(accounts, HOUR, at, True),
                CounterQuery(accounts, DAY, at, True),
            ]
            chunk.append((observations, queries))
        yield chunk


def run(store: CounterStore, seed: int, warm: int, measured: int) -> tuple[list[int], float]:
    """Warm the store up, then time every call; returns per-call nanoseconds and wall seconds."""
    for chunk in workload(seed, 0, warm):
        for observations, queries in chunk:
            store.apply(observations, queries)
    latencies: list[int] = []
    wall = 0.0
    clock = time.perf_counter_ns
    for chunk in workload(seed, warm, measured):
        started = time.perf_counter()
        for observations, queries in chunk:
            before = clock()
            store.apply(observations, queries)
            latencies.append(clock() - before)
        wall += time.perf_counter() - started
    return latencies, wall


def report(name: str, latencies: list[int], wall: float) -> None:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] / 1000

    print(
        f"{name:<28} calls={len(ordered):>7}  throughput={len(ordered) / wall:>9,.0f} calls/s  "
        f"mean={sum(ordered) / len(ordered) / 1000:7.1f} µs  p50={pct(50):7.1f}  p90={pct(90):7.1f}  "
        f"p99={pct(99):7.1f}  p99.9={pct(99.9):8.1f}  max={ordered[-1] / 1000:8.1f} µs"
    )


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def bench_memory(seed: int, warm: int, measured: int, index_threshold: int) -> None:
    store = InMemoryCounterStore(index_threshold=index_threshold)
    latencies, wall = run(store, seed, warm, measured)
    report(f"memory (index > {index_threshold})", latencies, wall)
    print(f"  held: {store.key_count():,} keys, {store.observation_count():,} observations")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "counters.snap"
        started = time.perf_counter()
        store.save(path, {"journal_seq": warm + measured})
        saved = time.perf_counter() - started
        started = time.perf_counter()
        InMemoryCounterStore.load(path)
        loaded = time.perf_counter() - started
        size = path.stat().st_size
    print(f"  snapshot: {size / 1e6:.1f} MB, save {saved * 1000:.0f} ms, load {loaded * 1000:.0f} ms")


def bench_redis(url: str, seed: int, warm: int, measured: int) -> None:
    prefix = f"fanzha:bench:ctr:{uuid.uuid4().hex}:"
    client = make_redis_client(url, timeout_s=1.0)
    store = RedisCounterStore(client, prefix=prefix, timeout_s=1.0)
    if not store.ping():
        print(f"redis: no server at {url}, skipped")
        return
    try:
        latencies, wall = run(store, seed, warm, measured)
        report("redis", latencies, wall)
        keys = sum(1 for _ in client.scan_iter(match=prefix + "*", count=1000))
        print(f"  held: {keys:,} keys under a fresh prefix")
    except CounterUnavailable as exc:
        print(f"redis: failed during the run: {exc}")
    finally:
        batch: list[bytes] = []
        for key in client.scan_iter(match=prefix + "*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.delete(*batch)
                batch = []
        if batch:
            client.delete(*batch)
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memory-warm", type=int, default=100_000)
    parser.add_argument("--memory-calls", type=int, default=200_000)
    parser.add_argument("--redis-warm", type=int, default=10_000)
    parser.add_argument("--redis-calls", type=int, default=20_000)
    parser.add_argument("--redis-url", default=os.environ.get("FANZHA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--index-threshold", type=int, default=DEFAULT_INDEX_THRESHOLD, help="see InMemoryCounterStore")
    parser.add_argument("--skip-redis", action="store_true")
    args = parser.parse_args()

    print(f"cpu: {cpu_model()}, {os.cpu_count()} cores; python {platform.python_version()}")
    print(f"workload: {ACCOUNTS:,} accounts, {DEVICES:,} devices, 3 observations + 6 queries per call")
    gc.collect()
    bench_memory(args.seed, args.memory_warm, args.memory_calls, args.index_threshold)
    if not args.skip_redis:
        bench_redis(args.redis_url, args.seed, args.redis_warm, args.redis_calls)


if __name__ == "__main__":
    main()
