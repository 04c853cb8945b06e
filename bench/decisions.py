"""Benchmark of the decision path: over HTTP on loopback (against a bare Starlette ceiling) and in process.

Run: ``.venv/bin/python bench/decisions.py`` (about two minutes). It starts ``fanzha serve`` on a
fresh data folder with the default rule pack, loads it with realistic events (200-character
Chinese texts, 10,000 accounts, 1,000 devices) from a raw-socket client in this process, and
prints decisions/s, server CPU per decision (so decisions/s per core), and p50/p99 latency in an
open-loop run at 70 % of the measured per-core capacity. The same client then measures a bare
Starlette JSON endpoint served the same way, the ceiling of this stack on this machine. Last, the
in-process path (what ``fanzha decide`` does) is timed alone.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))

from events import make_events
from loadgen import LoadResult, build_request, closed_loop, open_loop

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def wait_healthy(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not become healthy")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def requests_for(events: list[dict[str, Any]], port: int, key: str | None) -> Iterator[bytes]:
    """Requests for the events, cycling forever with fresh event ids on every pass (no duplicates)."""
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    bodies = [orjson.dumps(e) for e in events]
    first_id = b'"event_id":"'
    for generation in itertools.count():
        prefix = first_id + f"g{generation}-".encode()
        for body in bodies:
            yield build_request("127.0.0.1", port, "/v1/decisions", body.replace(first_id, prefix, 1), headers)


def server_histogram(port: int, key: str | None) -> dict[float, float]:
    """Cumulative bucket counts of fanzha's server-side request latency (empty for the bare server)."""
    if not key:
        return {}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        text = answer.read().decode()
    buckets: dict[float, float] = {}
    for line in text.splitlines():
        if line.startswith("fanzha_decision_request_seconds_bucket"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float("inf") if bound == "+Inf" else float(bound)] = float(line.rsplit(" ", 1)[1])
    return buckets


def histogram_percentile(before: dict[float, float], after: dict[float, float], fraction: float) -> float:
    """The upper bound (ms) of the bucket holding the given percentile of the requests in between."""
    delta = {bound: after[bound] - before.get(bound, 0.0) for bound in after}
    total = delta.get(float("inf"), 0.0)
    for bound in sorted(delta):
        if total and delta[bound] >= fraction * total:
            return bound * 1000
    return float("nan")


def measure_server(
    pid: int,
    port: int,
    requests: Iterator[bytes],
    *,
    duration: float,
    connections: int,
    rate_fraction: float,
    key: str | None = None,
    fixed_rate: float | None = None,
) -> dict[str, Any]:
    stream = requests
    asyncio.run(closed_loop("127.0.0.1", port, stream, connections=connections, duration=2.0))  # warm up

    def run_closed() -> tuple[LoadResult, float]:
        cpu_before = cpu_seconds(pid)
        result = asyncio.run(closed_loop("127.0.0.1", port, stream, connections=connections, duration=duration))
        return result, cpu_seconds(pid) - cpu_before

    def run_open(rate: float) -> tuple[LoadResult, dict[float, float], dict[float, float]]:
        before = server_histogram(port, key)
        # The client's own pauses would count as server latency: no garbage collection while it
        # runs, and uvloop (as the server uses) for its event loop.
        gc.collect()
        gc.disable()
        try:
            result = uvloop.run(
                open_loop("127.0.0.1", port, stream, rate=rate, duration=duration, connections=max(connections, 64))
            )
        finally:
            gc.enable()
        return result, before, server_histogram(port, key)

    if fixed_rate:
        # A fixed rate needs no capacity figure first, so the latency run goes first, on a server
        # that is not still digesting a saturating burst.
        opened, histogram_before, histogram_after = run_open(fixed_rate)
        closed, cpu_used = run_closed()
        rate = fixed_rate
    else:
        closed, cpu_used = run_closed()
    per_second = closed.ok / closed.elapsed
    cpu_per = cpu_used / max(closed.ok, 1)
    per_core = 1.0 / cpu_per if cpu_per else float("nan")
    if not fixed_rate:
        rate = rate_fraction * min(per_core, per_second)
        opened, histogram_before, histogram_after = run_open(rate)
    return {
        "closed_loop": {
            "requests_ok": closed.ok,
            "errors": closed.errors,
            "statuses": closed.statuses,
            "per_second": round(per_second, 1),
            "server_cpu_ms_per_request": round(cpu_per * 1000, 4),
            "per_core_per_second": round(per_core, 1),
            "p50_ms": round(closed.percentile(0.5) * 1000, 3),
            "p99_ms": round(closed.percentile(0.99) * 1000, 3),
        },
        "open_loop": {
            "rate_per_second": round(rate, 1),
            "requests_ok": opened.ok,
            "errors": opened.errors,
            "p50_ms": round(opened.percentile(0.5) * 1000, 3),
            "p99_ms": round(opened.percentile(0.99) * 1000, 3),
            "max_ms": round(max(opened.latencies, default=0) * 1000, 3),
            "server_side_p50_ms_at_most": histogram_percentile(histogram_before, histogram_after, 0.5) if key else None,
            "server_side_p99_ms_at_most": histogram_percentile(histogram_before, histogram_after, 0.99)
            if key
            else None,
        },
    }


def run_fanzha(events: list[dict[str, Any]], args: argparse.Namespace, *, jobs: str = "worker") -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="fanzha-bench-"))
    env = {**os.environ, "FANZHA_DATA_DIR": str(data_dir), "FANZHA_LOG_LEVEL": "warning"}
    server = subprocess.Popen(
        [str(BIN / "fanzha"), "serve", "--port", str(args.port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_healthy(args.port)
        key = (data_dir / "first-admin.key").read_text().strip()
        requests = requests_for(events, args.port, key)
        return measure_server(
            server.pid,
            args.port,
            requests,
            duration=args.duration,
            connections=args.connections,
            rate_fraction=0.7,
            key=key,
            fixed_rate=args.rate,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)


def run_bare(events: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    port = args.port + 1
    server = subprocess.Popen(
        [str(BIN / "uvicorn"), "bare_app:app", "--port", str(port), "--no-access-log", "--log-level", "warning"],
        cwd=Path(__file__).resolve().parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy_bare(port)
        requests = requests_for(events, port, None)
        return measure_server(
            server.pid, port, requests, duration=args.duration, connections=args.connections, rate_fraction=0.7
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_healthy_bare(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/v1/decisions", data=b'{"event_id":"x"}', method="POST"
            )
            with urllib.request.urlopen(request, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("bare server did not start")


def run_in_process(events: list[dict[str, Any]]) -> dict[str, Any]:
    from fanzha.decisions.replay import Replayer
    from fanzha.settings import Settings

    data_dir = Path(tempfile.mkdtemp(prefix="fanzha-bench-inproc-"))
    try:
        replayer = Replayer.open(Settings(data_dir=data_dir))
        lines = [orjson.dumps(e).decode() for e in events]
        for line in lines[:500]:
            replayer.decide_line(line)
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        outcomes: dict[str, int] = {}
        for line in lines[500:]:
            decision = replayer.decide_line(line)["decision"]
            outcomes[decision] = outcomes.get(decision, 0) + 1
        cpu, wall = time.process_time() - cpu_start, time.perf_counter() - wall_start
        replayer.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    count = len(lines) - 500
    return {
        "decisions": count,
        "per_second_wall": round(count / wall, 1),
        "per_core_per_second": round(count / cpu, 1),
        "cpu_us_per_decision": round(cpu / count * 1e6, 1),
        "outcomes": outcomes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument(
        "--rate", type=float, help="open-loop rate for fanzha (default: 70 %% of the capacity just measured)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    events = make_events(args.events)
    report: dict[str, Any] = {
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version()}
    }
    if not args.skip_http:
        report["http_fanzha"] = run_fanzha(events, args)
        # The same server with its background jobs (cases from review decisions, webhooks) left to a
        # worker run elsewhere: what the decision path alone costs and how fast it answers.
        report["http_fanzha_jobs_elsewhere"] = run_fanzha(events, args, jobs="off")
        report["http_bare_starlette"] = run_bare(events, args)
        report["http_ratio_to_ceiling"] = round(
            report["http_fanzha"]["closed_loop"]["per_core_per_second"]
            / report["http_bare_starlette"]["closed_loop"]["per_core_per_second"],
            3,
        )
    report["in_process"] = run_in_process(make_events(30_000, seed=11))
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
