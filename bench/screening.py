"""Screening throughput and latency on 200-character messages (issue 4 "Speed").

    .venv/bin/python bench/screening.py [--n 2000] [--batch 256] [--repeat 3]

Runs in one process on one core (the pipeline holds the GIL), so texts/s is per core. The whole
pipeline is timed: normalisation, indicators, lexicons, the models and the rule signals; a second
single-text pass also builds the full verdict (original spans, matches, explanation) as the HTTP
endpoint does. Phone numbers, handles, codes and host names are drawn at random per text so that
the per-value caches (phone parsing, public-suffix lookups) do not flatter the figures.

On a shared machine other jobs take the core away now and then, which lowers wall-clock texts/s
and inflates p99; the last column divides by the process's CPU time instead (what the pipeline
costs per core when it has the core), and the load average is printed for context.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import time
from collections.abc import Callable

from fanzha.screening import screen, screen_many

PARTS = [
    "您好，我是淘宝客服，您购买的商品有质量问题，我们给您双倍退款，",
    "妈，我下班了，晚上回家吃饭，要不要带点水果，",
    "高价收银行卡，一类卡优先，带U盾，加V：{handle}，",
    "【工商银行】您的验证码为{code}，5分钟内有效，请勿泄露，",
    "足不出户日赚千元，点赞关注一单一结，联系{phone}，",
    "Your parcel could not be delivered, pay the fee at {host}.top now. ",
    "明天上午十点开会，把上周的周报和报表整理好发我邮箱，",
    "警方提醒：刷单返利都是诈骗，凡是要求先垫付的兼职都是骗局，",
]


def make_texts(n: int, seed: int = 7) -> list[str]:
    """``n`` 200-character messages mixing fraud, benign and warning phrasings."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        text = ""
        while len(text) < 200:
            text += rng.choice(PARTS).format(
                handle="".join(rng.choice("abcdefghjkmnpqrstuvwxyz") for _ in range(2)) + str(rng.randint(100, 99999)),
                code=rng.randint(100000, 999999),
                phone=rng.choice(["138", "139", "170", "186", "151"]) + str(rng.randint(10_000_000, 99_999_999)),
                host="".join(rng.choice("abcdefghijklmnopqrstuvwxyz-") for _ in range(rng.randint(5, 12))).strip("-")
                or "kf",
            )
        out.append(text[:200])
    return out


def cpu_model() -> str:
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _single(texts: list[str], full: bool) -> tuple[float, list[float]]:
    latencies = []
    use: Callable[[str], object]
    if full:

        def use(text: str) -> object:
            result = screen(text, "message")
            return (result.matches, result.indicators, result.explanation)

    else:

        def use(text: str) -> object:
            return screen(text, "message").to_rule_signals()

    t0 = time.perf_counter()
    for text in texts:
        s = time.perf_counter()
        use(text)
        latencies.append(time.perf_counter() - s)
    return time.perf_counter() - t0, sorted(latencies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3, help="passes; each is printed")
    args = parser.parse_args()
    texts = make_texts(args.n)
    screen_many(make_texts(300, seed=1), "message")  # load models/lexicons, warm the character caches
    print(f"machine: {cpu_model()}, python {platform.python_version()}")
    print(f"texts: {len(texts)} x {len(texts[0])} chars, {args.repeat} passes")
    print(f"load average before the passes: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        "pass | single signals texts/s | p50 | p99 | single full verdict texts/s | p99 | batched texts/s"
        " | batched texts per CPU-second"
    )
    for r in range(args.repeat):
        single_total, lat = _single(texts, full=False)
        full_total, full_lat = _single(texts, full=True)
        t0 = time.perf_counter()
        c0 = time.process_time()
        for i in range(0, len(texts), args.batch):
            for result in screen_many(texts[i : i + args.batch], "message"):
                result.to_rule_signals()
        batch_total = time.perf_counter() - t0
        batch_cpu = time.process_time() - c0
        p99 = lat[int(0.99 * (len(lat) - 1))]
        full_p99 = full_lat[int(0.99 * (len(full_lat) - 1))]
        print(
            f"{r + 1} | {len(texts) / single_total:,.0f} | {statistics.median(lat) * 1e3:.3f} ms | "
            f"{p99 * 1e3:.3f} ms | {len(texts) / full_total:,.0f} | {full_p99 * 1e3:.3f} ms | "
            f"{len(texts) / batch_total:,.0f} | {len(texts) / batch_cpu:,.0f}"
        )


if __name__ == "__main__":
    main()
