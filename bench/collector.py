"""How much Python's cyclic garbage collector adds to the decision path's tail latency.

Run: ``.venv/bin/python bench/collector.py [--rate 500] [--duration 20] [--rounds 2]``. Each round
starts `fanzha serve --jobs off` on a fresh data folder once per variant, warms it up at the same
rate for 3 s, then sends ``--rate`` decisions/s for ``--duration`` seconds (open loop) and prints
the client's p50/p99/p99.9 and the server's own p99 bucket. Variants (set before fanzha starts, so
``Runtime.start`` keeps what it does not override):

* ``as-shipped`` - fanzha's own thresholds (``fanzha.runtime.GC_THRESHOLDS``);
* ``default``    - CPython's young and middle thresholds (700, 10) with fanzha's full-collection one
  (100): what fanzha ran with before;
* ``disabled``   - no automatic collection at all (a bound, not a setting to run with).

With ``--stats``, each server also carries a ``gc.callbacks`` probe that writes, every 5 s, the count
and durations of the collections per generation since fanzha finished starting (warm-up included)
to ``--stats-file``, printed after each run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from latency import measured_open_loop

from decisions import histogram_percentile, wait_healthy

_STATS_PROBE = """
import collections, gc, json, threading, time
_started, _durations, _started_up = {{}}, collections.defaultdict(list), []
def _probe(phase, info):
    generation = info["generation"]
    if not _started_up:
        # Still starting up until fanzha's Runtime.start has frozen its heap. (Counting the frozen
        # objects walks them all, so it is asked only until the answer is yes.)
        if not gc.get_freeze_count():
            return
        _started_up.append(True)
    if phase == "start":
        _started[generation] = time.perf_counter()
    elif generation in _started:
        _durations[generation].append((time.perf_counter() - _started.pop(generation)) * 1000)
gc.callbacks.append(_probe)
def _dump():
    while True:
        time.sleep(5)
        report = {{g: {{"n": len(v), "max_ms": round(max(v), 2), "sum_ms": round(sum(v), 1),
                      "over_3ms": [round(x, 1) for x in v if x > 3]}} for g, v in _durations.items() if v}}
        open({path!r}, "w").write(json.dumps(report))
threading.Thread(target=_dump, daemon=True).start()
"""

_VARIANTS = {
    "as-shipped": "",
    # Runtime.start applies GC_THRESHOLDS: give it the earlier ones instead.
    "default": "import fanzha.runtime as r; r.GC_THRESHOLDS = (700, 10, 100); ",
    "disabled": "import gc; gc.disable(); ",
}


def probe(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="fanzha-collector-"))
    env = {**os.environ, "FANZHA_DATA_DIR": str(data_dir), "FANZHA_LOG_LEVEL": "warning"}
    prelude = _VARIANTS[variant] + (_STATS_PROBE.format(path=args.stats_file) if args.stats else "")
    Path(args.stats_file).unlink(missing_ok=True)
    serve = f"from fanzha.cli.main import app; app(['serve', '--port', '{args.port}', '--jobs', 'off'])"
    server = subprocess.Popen(
        [sys.executable, "-c", prelude + "\n" + serve], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_healthy(args.port)
        key = (data_dir / "first-admin.key").read_text().strip()
        result, before, after = measured_open_loop(
            args.port, key, warm_rate=args.rate, rate=args.rate, duration=args.duration
        )
        time.sleep(5.5)  # the probe's next report
        collections = (
            json.loads(Path(args.stats_file).read_text()) if args.stats and Path(args.stats_file).exists() else None
        )
        return {
            "variant": variant,
            "rate": args.rate,
            "ok": result.ok,
            "errors": result.errors,
            "client_p50_ms": round(result.percentile(0.5) * 1000, 2),
            "client_p99_ms": round(result.percentile(0.99) * 1000, 2),
            "client_p999_ms": round(result.percentile(0.999) * 1000, 2),
            "server_p99_ms_at_most": histogram_percentile(before, after, 0.99),
            **({"collections": collections} if args.stats else {}),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--port", type=int, default=18801)
    parser.add_argument("--variants", nargs="+", default=["default", "as-shipped", "disabled"], choices=list(_VARIANTS))
    parser.add_argument("--stats", action="store_true", help="count and time the collections in each server")
    parser.add_argument("--stats-file", default=str(Path(tempfile.gettempdir()) / "fanzha-gc-stats.json"))
    args = parser.parse_args()
    for _ in range(args.rounds):
        for variant in args.variants:
            print(json.dumps(probe(variant, args)), flush=True)


if __name__ == "__main__":
    main()
