"""How fast the platform can ask "what may this account not do?" (`GET /v1/accounts/{id}/restrictions`).

Run: ``.venv/bin/python bench/restrictions.py``. Starts `fanzha serve --jobs off` on a fresh data
folder, restricts 1,000 of 10,000 accounts through `POST /v1/measures`, then loads the
restrictions endpoint for random accounts (10 % restricted) in a closed loop, and, in the same run
and the same way, `GET /healthz` (a FastAPI route with no database): the ceiling of a FastAPI
route on this machine. Prints requests/s, server CPU per request and per-core rate, p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import build_get, closed_loop

from decisions import BIN, cpu_seconds, wait_healthy


def restrict(port: int, key: str, account: str) -> None:
    body = json.dumps(
        {"kind": "restrict", "account_id": account, "functions": ["send_links", "transfer"], "reason": "bench"}
    ).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/measures",
        data=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()


def measure(pid: int, port: int, requests: Iterator[bytes], duration: float) -> dict[str, Any]:
    asyncio.run(closed_loop("127.0.0.1", port, requests, connections=8, duration=2.0))
    before = cpu_seconds(pid)
    result = asyncio.run(closed_loop("127.0.0.1", port, requests, connections=8, duration=duration))
    cpu = cpu_seconds(pid) - before
    return {
        "requests_ok": result.ok,
        "errors": result.errors,
        "per_second": round(result.ok / result.elapsed, 1),
        "server_cpu_ms_per_request": round(cpu / max(result.ok, 1) * 1000, 3),
        "per_core_per_second": round(result.ok / cpu, 1) if cpu else None,
        "p50_ms": round(result.percentile(0.5) * 1000, 3),
        "p99_ms": round(result.percentile(0.99) * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--port", type=int, default=18785)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="fanzha-restrictions-"))
    env = {**os.environ, "FANZHA_DATA_DIR": str(data_dir), "FANZHA_LOG_LEVEL": "warning"}
    server = subprocess.Popen(
        [str(BIN / "fanzha"), "serve", "--port", str(args.port), "--jobs", "off"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(args.port)
        key = (data_dir / "first-admin.key").read_text().strip()
        for index in range(0, 10_000, 10):
            restrict(args.port, key, f"acct-{index}")
        rng = random.Random(3)
        headers = {"Authorization": f"Bearer {key}"}
        paths = [f"/v1/accounts/acct-{rng.randrange(10_000)}/restrictions" for _ in range(5_000)]
        restrictions = itertools.cycle([build_get("127.0.0.1", args.port, p, headers) for p in paths])
        health = itertools.cycle([build_get("127.0.0.1", args.port, "/healthz", {})])
        report = {
            "restrictions": measure(server.pid, args.port, restrictions, args.duration),
            "healthz_ceiling": measure(server.pid, args.port, health, args.duration),
        }
        report["ratio_to_ceiling"] = round(
            report["restrictions"]["per_core_per_second"] / report["healthz_ceiling"]["per_core_per_second"], 3
        )
        print(json.dumps(report, indent=2))
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
