"""List membership benchmark: a 10-million-entry MembershipIndex against a plain Python set.

Workload: ``--entries`` distinct phone-like values (``+861`` and ten digits, E.164 CN mobiles in
form), 30% of them with an expiry (so the expiry array exists, the larger layout), the rest never
expiring. The index is built from a generator over an existing list of the strings, saved, dropped,
and memory-mapped back; lookups run against the loaded index, half hits and half misses in random
order, each query a freshly formatted string (as an event's value would be) timed on its own with
``perf_counter_ns``. The baseline is ``set(values)`` over the same strings, probed with the same
queries (it has no expiry; its hash is computed once per fresh string, like the index's).

Memory is read from ``/proc/self/status`` (VmRSS, RssAnon, RssFile, VmHWM).

    .venv/bin/python bench/lists.py [--entries N] [--lookups N] [--no-doc]
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import pickle
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from fanzha.lists.index import MembershipIndex
from fanzha.lists.kinds import ListKind, normalize_value

NOW = 1_750_000_000.0
DAY = 86_400.0
SPACE = 10**10  # ten-digit suffixes
# Multiplying by a number coprime to SPACE permutes [0, SPACE): value(i) is distinct for distinct i,
# so values 0..N-1 are the list and N..2N-1 are guaranteed misses, with no set needed to check.
SCRAMBLE = 7_919_000_003
DOC = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
SECTION = "## Lists"


def value(i: int) -> str:
    return f"+861{(i * SCRAMBLE) % SPACE:010d}"


def expiry(i: int) -> float | None:
    return NOW + DAY * (1 + i % 90) if i % 10 < 3 else None


def proc_status() -> dict[str, int]:
    """The memory lines of /proc/self/status, in bytes."""
    figures: dict[str, int] = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if rest.strip().endswith("kB"):
                figures[name] = int(rest.split()[0]) * 1024
    return figures


def rss(*, trim: bool = True) -> int:
    """VmRSS after a garbage collection and, unless ``trim`` is false, a malloc_trim(0)."""
    gc.collect()
    if trim:
        malloc_trim()
    return proc_status()["VmRSS"]


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); whether that worked."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def malloc_trim() -> bool:
    """Ask glibc to return freed heap memory, so RSS shows what is live rather than what is cached."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    libc.malloc_trim(0)
    return True


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or "unknown"
    found = re.search(r"^Model name:\s*(.+)$", out, re.MULTILINE)
    return found.group(1).strip() if found else "unknown"


@dataclass
class Latency:
    mean_us: float
    p50_us: float
    p99_us: float
    throughput_us: float  # mean per call of an untimed loop over the same queries


def time_calls(probe: Callable[[str], bool], queries: list[str], expected: list[bool]) -> Latency:
    clock = time.perf_counter_ns
    samples = np.empty(len(queries), dtype=np.int64)
    wrong = 0
    for n, (query, answer) in enumerate(zip(queries, expected, strict=True)):
        start = clock()
        got = probe(query)
        samples[n] = clock() - start
        wrong += got != answer
    if wrong:
        raise AssertionError(f"{wrong} wrong answers")
    # The fresh strings of the timed loop have cached their hashes by now; re-format them so the
    # untimed loop pays for hashing too.
    fresh = [query.encode().decode() for query in queries]
    start = clock()
    for query in fresh:
        probe(query)
    loop_ns = clock() - start
    return Latency(
        mean_us=float(samples.mean()) / 1e3,
        p50_us=float(np.percentile(samples, 50)) / 1e3,
        p99_us=float(np.percentile(samples, 99)) / 1e3,
        throughput_us=loop_ns / len(queries) / 1e3,
    )


def timer_overhead_us(samples: int = 200_000) -> float:
    clock = time.perf_counter_ns
    total = 0
    for _ in range(samples):
        start = clock()
        total += clock() - start
    return total / samples / 1e3


def probe_of(index: MembershipIndex) -> Callable[[str], bool]:
    return lambda query: index.contains(query, NOW)


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def queries_for(entries: int, lookups: int, seed: int) -> tuple[list[str], list[bool]]:
    """Fresh query strings (half hits, half misses, shuffled) and whether each is a hit."""
    rng = random.Random(seed)
    hits = [value(rng.randrange(entries)) for _ in range(lookups // 2)]
    misses = [value(entries + rng.randrange(entries)) for _ in range(lookups - lookups // 2)]
    tagged = [(q, True) for q in hits] + [(q, False) for q in misses]
    rng.shuffle(tagged)
    return [q for q, _ in tagged], [hit for _, hit in tagged]


def split(queries: list[str], is_hit: list[bool], want: bool) -> list[str]:
    return [q for q, hit in zip(queries, is_hit, strict=True) if hit == want]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--lookups", type=int, default=1_000_000)
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args()
    entries: int = args.entries
    lookups: int = args.lookups
    figures: dict[str, str] = {}
    figures_raw: dict[str, int] = {}
    run_start = time.perf_counter()

    def note(key: str, text: str) -> None:
        figures[key] = text
        print(f"{key:.<44} {text}", flush=True)

    machine = f"{cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}, numpy {np.__version__}"
    note("machine", machine)
    note("load average at start (1 min, other jobs)", f"{os.getloadavg()[0]:.2f}")
    overhead = timer_overhead_us()
    note("perf_counter_ns pair overhead", f"{overhead:.3f} µs")

    base = rss()
    start = time.perf_counter()
    values = [value(i) for i in range(entries)]
    note("make the value strings", f"{time.perf_counter() - start:.2f} s")
    with_list = rss() - base
    note("RSS of the strings and their list", mib(with_list))
    strings_bytes = with_list - sys.getsizeof(values)

    start = time.perf_counter()
    for i, _ in enumerate(values):
        expiry(i)
    iterate_s = time.perf_counter() - start
    note("iterate (value, expiry) alone", f"{iterate_s:.2f} s")

    before_build = rss()
    peak_known = reset_peak()
    start = time.perf_counter()
    index = MembershipIndex.build((v, expiry(i)) for i, v in enumerate(values))
    build_s = time.perf_counter() - start
    peak = proc_status()["VmHWM"] - before_build if peak_known else None
    note("index build (incl. iteration)", f"{build_s:.2f} s")
    note("index size (len)", f"{len(index):,}")
    note("index arrays (nbytes)", f"{mib(index.nbytes)} ({index.nbytes / len(index):.1f} B/entry)")
    note("index RSS growth after build, untrimmed", mib(rss(trim=False) - before_build))
    figures_raw["index_rss"] = rss() - before_build
    note("index RSS growth after build", mib(figures_raw["index_rss"]))
    note("index peak RSS growth during build", "n/a" if peak is None else mib(peak))

    queries, expected = queries_for(entries, lookups, seed=1)
    built = time_calls(probe_of(index), queries, expected)
    note("built index: lookup mean / p50 / p99", f"{built.mean_us:.2f} / {built.p50_us:.2f} / {built.p99_us:.2f} µs")

    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parent) as directory:
        path = Path(directory) / "phones.idx"
        start = time.perf_counter()
        index.save(path)
        note("save (write + fsync + rename)", f"{time.perf_counter() - start:.2f} s")
        note("file size", mib(path.stat().st_size))
        del index
        before_load = rss()
        start = time.perf_counter()
        loaded = MembershipIndex.load(path)
        load_s = time.perf_counter() - start
        note("load (memory-map)", f"{load_s * 1e3:.1f} ms")
        note("RSS growth right after load", mib(rss() - before_load))
        start = time.perf_counter()
        MembershipIndex.load(path, verify=True)
        note("load with verify=True", f"{(time.perf_counter() - start) * 1e3:.0f} ms")

        timed = time_calls(probe_of(loaded), queries, expected)
        hits = split(queries, expected, True)
        misses = split(queries, expected, False)
        hit = time_calls(probe_of(loaded), hits, [True] * len(hits))
        miss = time_calls(probe_of(loaded), misses, [False] * len(misses))
        status = proc_status()
        note("loaded index: RSS growth after lookups", mib(rss() - before_load))
        note("process RssFile (file-backed, libraries too)", mib(status["RssFile"]))
        note(
            "loaded index: lookup mean / p50 / p99",
            f"{timed.mean_us:.2f} / {timed.p50_us:.2f} / {timed.p99_us:.2f} µs",
        )
        note("loaded index: hits mean / p99", f"{hit.mean_us:.2f} / {hit.p99_us:.2f} µs")
        note("loaded index: misses mean / p99", f"{miss.mean_us:.2f} / {miss.p99_us:.2f} µs")
        note("loaded index: untimed loop per lookup", f"{timed.throughput_us:.2f} µs")

        samples = [f"138 {i % 10_000:04d} {(i * 7) % 10_000:04d}" for i in range(20_000)]
        start = time.perf_counter()
        for raw in samples:
            normalize_value(ListKind.phone, raw)
        note("normalize_value(phone) per call", f"{(time.perf_counter() - start) / len(samples) * 1e6:.1f} µs")
        del loaded

    before_set = rss()
    start = time.perf_counter()
    baseline = set(values)
    set_build_s = time.perf_counter() - start
    set_table = rss() - before_set
    note("set: build from the existing strings", f"{set_build_s:.2f} s")
    note("set: RSS growth (hash table only)", mib(set_table))
    figures_raw["set_rss"] = set_table + strings_bytes
    note("set: table + strings", f"{mib(set_table + strings_bytes)} (strings without the list)")
    set_timed = time_calls(baseline.__contains__, queries, expected)
    note(
        "set: lookup mean / p50 / p99",
        f"{set_timed.mean_us:.2f} / {set_timed.p50_us:.2f} / {set_timed.p99_us:.2f} µs",
    )
    note("set: untimed loop per lookup", f"{set_timed.throughput_us:.2f} µs")

    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parent) as directory:
        path = Path(directory) / "phones.pickle"
        start = time.perf_counter()
        with open(path, "wb") as file:
            pickle.dump(baseline, file, protocol=pickle.HIGHEST_PROTOCOL)
        note("set: pickle dump", f"{time.perf_counter() - start:.2f} s")
        del baseline, values
        gc.collect()
        start = time.perf_counter()
        with open(path, "rb") as pickled:
            reloaded = pickle.load(pickled)
        note("set: pickle load", f"{time.perf_counter() - start:.2f} s")
        del reloaded

    index_memory = float(figures_raw["index_rss"])
    set_memory = float(figures_raw["set_rss"])
    note("set memory / index memory", f"{set_memory / index_memory:.1f}x")
    note("index lookup / set lookup (mean)", f"{timed.mean_us / set_timed.mean_us:.1f}x")
    note("load average at end (1 min)", f"{os.getloadavg()[0]:.2f}")
    note("whole benchmark run", f"{time.perf_counter() - run_start:.0f} s")
    if peak_known:
        note("peak RSS of the run (VmHWM)", mib(proc_status()["VmHWM"]))

    verdict = (
        f"For {entries:,} entries: built in {build_s:.1f} s, loaded in {load_s * 1e3:.0f} ms, "
        f"{mib(index_memory)} of index memory against {mib(set_memory)} for a set of the strings; "
        f"a lookup takes {timed.p50_us:.1f} µs at the median and {timed.p99_us:.1f} µs at p99."
    )
    print(verdict)
    if not args.no_doc:
        write_section(render(figures, entries, lookups, verdict))
        print(f"wrote the {SECTION!r} section of {DOC}")


def render(figures: dict[str, str], entries: int, lookups: int, verdict: str) -> str:
    rows = "\n".join(f"| {key} | {text} |" for key, text in figures.items() if key != "machine")
    return f"""{SECTION}

Measured by `bench/lists.py` on {date.today().isoformat()}: {figures["machine"]}.
Rerun with `.venv/bin/python bench/lists.py` (run time and peak memory are in the table).

Workload: {entries:,} distinct phone-like values (`+861` and ten digits), 30% with an expiry, 70% never
expiring; {lookups:,} lookups against the index saved and memory-mapped back, half hits and half misses in
random order, each query a freshly formatted string timed on its own with `perf_counter_ns` (the timer
pair's own overhead is listed and included). A lookup is `MembershipIndex.contains(value, at)`: BLAKE2b of
the value, overlay check, bucket table, bisect, expiry check. The baseline is `set(values)` over the same
strings with the same queries; it holds no expiry times. "RSS growth" is the change in VmRSS around a step,
each reading taken after `gc.collect()` and glibc's `malloc_trim(0)` (the "untrimmed" line shows what the
allocator keeps cached from the build's temporaries until then); the strings' own memory is measured once,
when they are made, and counted with the set, which must keep them.

{verdict}

| figure | value |
| --- | --- |
{rows}

Other jobs shared the two cores while this ran (see the load averages), so the means and p99s include
their preemptions; the medians are the steadier figures.

The index keeps 8 bytes of hash per entry, 8 more for expiry while any entry expires, and a bucket table
of at most 1 byte per entry; the set keeps every string. The set's probe is cheaper (no BLAKE2b, no
method call); the index comes back from disk by mapping the file instead of unpickling.
"""


def write_section(section: str) -> None:
    """Replace this benchmark's section of docs/performance.md (or add it), leaving the rest alone."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Performance\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip("\n") + "\n\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOC.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
