"""A small HTTP/1.1 load generator on raw asyncio sockets (keep-alive), for loopback benchmarks only.

It measures what a client sees (latency per request) and leaves CPU accounting to the caller. Two
modes: closed loop (N connections, each sends as soon as the last answer came: maximum throughput)
and open loop (requests scheduled at a fixed rate; latency counted from the scheduled time, so a
stalled server is not hidden by the client waiting for it).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    sent: int = 0
    ok: int = 0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def build_request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def build_get(host: str, port: int, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:].strip())
            break
    if length:
        await reader.readexactly(length)
    return status


async def closed_loop(
    host: str, port: int, requests: Iterator[bytes], *, connections: int, duration: float
) -> LoadResult:
    result = LoadResult()
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < deadline:
                request = next(requests)
                started = time.perf_counter()
                writer.write(request)
                result.sent += 1
                status = await _read_response(reader)
                result.latencies.append(time.perf_counter() - started)
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if status < 300:
                    result.ok += 1
                else:
                    result.errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    result.elapsed = time.perf_counter() - started
    return result


async def open_loop(
    host: str, port: int, requests: Iterator[bytes], *, rate: float, duration: float, connections: int
) -> LoadResult:
    """Send ``rate`` requests per second spread over a pool of connections; latency from schedule."""
    result = LoadResult()
    total = int(rate * duration)
    interval = 1.0 / rate
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection(host, port))
    start = time.perf_counter() + 0.05

    async def one(scheduled: float, request: bytes) -> None:
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        reader, writer = await pool.get()
        try:
            writer.write(request)
            result.sent += 1
            status = await _read_response(reader)
        finally:
            pool.put_nowait((reader, writer))
        result.latencies.append(time.perf_counter() - scheduled)
        result.statuses[status] = result.statuses.get(status, 0) + 1
        if status < 300:
            result.ok += 1
        else:
            result.errors += 1

    # Requests are started by a pacer a little ahead of their slot rather than all at once, so
    # the client's own timer heap does not become the bottleneck being measured.
    tasks: list[asyncio.Task[None]] = []
    for i in range(total):
        scheduled = start + i * interval
        ahead = scheduled - time.perf_counter() - 0.002
        if ahead > 0:
            await asyncio.sleep(ahead)
        tasks.append(asyncio.create_task(one(scheduled, next(requests))))
    await asyncio.gather(*tasks)
    result.elapsed = time.perf_counter() - start
    while not pool.empty():
        _reader, writer = pool.get_nowait()
        writer.close()
    return result


def cycle(items: Sequence[bytes]) -> Iterator[bytes]:
    return itertools.cycle(items)
