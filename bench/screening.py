"""Screening throughput and latency on 200-character messages (issue 4 "Speed").

    .venv/bin/python bench/screening.py [--n 2000]

Runs in one process on one core (the GIL keeps the pipeline on one core), so texts/s is per core.
The whole pipeline is timed: normalisation, indicators, lexicons, the four models and explanations.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import subprocess
import time

from fanzha.screening import screen, screen_many

PARTS = [
    "您好，我是淘宝客服，您购买的商品有质量问题，我们给您双倍退款，",
    "妈，我下班了，晚上回家吃饭，要不要带点水果，",
    "高价收银行卡，一类卡优先，带U盾，加V：ab123，",
    "【工商银行】您的验证码为483920，5分钟内有效，请勿泄露，",
    "足不出户日赚千元，点赞关注一单一结，联系17012345678，",
    "Your parcel could not be delivered, pay the fee at kf-refund.top now. ",
    "明天上午十点开会，把上周的周报和报表整理好发我邮箱，",
    "警方提醒：刷单返利都是诈骗，凡是要求先垫付的兼职都是骗局，",
]


def make_texts(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        text = ""
        while len(text) < 200:
            text += rng.choice(PARTS)
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    texts = make_texts(args.n)
    screen_many(texts[:50], "message")  # load models/lexicons and warm the character caches

    latencies = []
    t0 = time.perf_counter()
    for text in texts:
        s = time.perf_counter()
        screen(text, "message")
        latencies.append(time.perf_counter() - s)
    single_total = time.perf_counter() - t0

    t0 = time.perf_counter()
    for i in range(0, len(texts), args.batch):
        screen_many(texts[i : i + args.batch], "message")
    batch_total = time.perf_counter() - t0

    latencies.sort()
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    print(f"machine: {cpu_model()}, python {platform.python_version()}")
    print(f"texts: {len(texts)} x {len(texts[0])} chars")
    print(f"single: {len(texts) / single_total:,.0f} texts/s per core")
    print(f"batched ({args.batch}): {len(texts) / batch_total:,.0f} texts/s per core")
    print(f"latency single: p50 {statistics.median(latencies) * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
