"""Latency probe of the decision path: an open loop at a fixed rate against `fanzha serve`.

Run: ``.venv/bin/python bench/latency.py [--rate 1750] [--runs 3]``. For each way of running the
background jobs (``--jobs off``: none in this process or beside it; ``worker``: the default, a
`fanzha worker` process beside the server) it starts a fresh server, warms it up with an open loop
at 800 decisions/s for 3 s, then sends ``--rate`` decisions/s for ``--duration`` seconds and prints
the client's p50/p99 (from the scheduled send time) and the server's own p50/p99 upper bounds
(from its ``fanzha_decision_request_seconds`` histogram). Unlike ``bench/decisions.py`` there is
no saturating closed loop before the latency run. ``--jobs bare`` probes the bare Starlette
endpoint of ``bench/bare_app.py`` the same way: the latency this machine adds at that rate with no
fanzha at all (on a shared virtual machine its p99 moves from run to run).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))

from events import make_events
from loadgen import LoadResult, open_loop

from decisions import BIN, histogram_percentile, requests_for, server_histogram, wait_healthy, wait_healthy_bare


def journal_counts(port: int, key: str | None) -> dict[str, float]:
    """How often the journal met another process's write lock: batches overflowed, batches that waited."""
    if key is None:
        return {}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        lines = answer.read().decode().splitlines()
    wanted = {
        "fanzha_journal_overflow_batches_total": "overflow_batches",
        "fanzha_journal_lock_waits_total": "lock_waits",
    }
    counts: dict[str, float] = {}
    for line in lines:
        name, _, value = line.partition(" ")
        if name in wanted:
            counts[wanted[name]] = float(value)
    return counts


def measured_open_loop(
    port: int, key: str | None, *, warm_rate: float, rate: float, duration: float
) -> tuple[LoadResult, dict[float, float], dict[float, float]]:
    """Warm the server up for 3 s at ``warm_rate``, then send ``rate`` requests/s for ``duration`` s with this
    process's collector off; the result and the server's latency histogram before and after."""
    stream = requests_for(make_events(40_000, seed=5), port, key)
    gc.collect()
    gc.disable()
    try:
        uvloop.run(open_loop("127.0.0.1", port, stream, rate=warm_rate, duration=3, connections=64))
        before = server_histogram(port, key)
        result = uvloop.run(open_loop("127.0.0.1", port, stream, rate=rate, duration=duration, connections=64))
        after = server_histogram(port, key)
    finally:
        gc.enable()
    return result, before, after


def probe(jobs: str, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="fanzha-latency-"))
    env = {**os.environ, "FANZHA_DATA_DIR": str(data_dir), "FANZHA_LOG_LEVEL": "warning"}
    bare = jobs == "bare"
    command = (
        [str(BIN / "uvicorn"), "bare_app:app", "--port", str(args.port), "--no-access-log", "--log-level", "warning"]
        if bare
        else [str(BIN / "fanzha"), "serve", "--port", str(args.port), "--jobs", jobs]
    )
    server = subprocess.Popen(
        command,
        env=env,
        cwd=Path(__file__).resolve().parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if bare:
            wait_healthy_bare(args.port)
            key = None
        else:
            wait_healthy(args.port)
            key = (data_dir / "first-admin.key").read_text().strip()
        result, before, after = measured_open_loop(
            args.port, key, warm_rate=800, rate=args.rate, duration=args.duration
        )
        return {
            "jobs": jobs,
            "rate": args.rate,
            "ok": result.ok,
            "errors": result.errors,
            "client_p50_ms": round(result.percentile(0.5) * 1000, 2),
            "client_p99_ms": round(result.percentile(0.99) * 1000, 2),
            "server_p50_ms_at_most": histogram_percentile(before, after, 0.5),
            "server_p99_ms_at_most": histogram_percentile(before, after, 0.99),
            **journal_counts(args.port, key),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1750.0)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=18775)
    parser.add_argument("--jobs", nargs="+", default=["off", "worker"], choices=["off", "worker", "inline", "bare"])
    args = parser.parse_args()
    results = [probe(jobs, args) for _ in range(args.runs) for jobs in args.jobs]
    for result in results:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
