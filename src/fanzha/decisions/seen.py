"""Which event ids this instance has decided: a Bloom filter in front of the stored-answer lookup.

A new event id is by far the common case, and looking it up in the database costs more than
deciding the event. The filter answers "certainly new" without the database; "maybe seen" (a
repeat, or a false positive about 1 % of the time at capacity) falls through to the lookup. It is
saved with the counter snapshot and brought up to date on start from the decisions committed
after it, so a restart never makes a repeat look new. Another process's decisions are not in
this filter; the journal still catches such a repeat at commit and answers with the stored
decision.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from pathlib import Path

_MAGIC = b"FZSEEN1\n"


class SeenEvents:
    """A fixed-size Bloom filter over event ids (no false negatives)."""

    def __init__(self, capacity: int = 10_000_000, error_rate: float = 0.01) -> None:
        bits = max(1024, math.ceil(-capacity * math.log(error_rate) / (math.log(2) ** 2)))
        self._size = bits
        self._hashes = max(1, round(bits / capacity * math.log(2)))
        self._bits = bytearray((bits + 7) // 8)
        self._lock = threading.Lock()
        self.count = 0

    def _positions(self, event_id: str) -> list[int]:
        digest = hashlib.blake2b(event_id.encode("utf-8"), digest_size=16).digest()
        first = int.from_bytes(digest[:8], "little")
        second = int.from_bytes(digest[8:], "little") | 1
        return [(first + i * second) % self._size for i in range(self._hashes)]

    def add(self, event_id: str) -> None:
        with self._lock:
            for position in self._positions(event_id):
                self._bits[position >> 3] |= 1 << (position & 7)
            self.count += 1

    def might_contain(self, event_id: str) -> bool:
        bits = self._bits
        return all(bits[p >> 3] & (1 << (p & 7)) for p in self._positions(event_id))

    def save(self, path: Path, *, journal_seq: int) -> None:
        """Write atomically, with the journal sequence number the filter is complete up to."""
        tmp = path.with_suffix(path.suffix + ".tmp")
        with self._lock, tmp.open("wb") as handle:
            header = f"{self._size} {self._hashes} {self.count} {journal_seq}\n".encode()
            handle.write(_MAGIC + header)
            handle.write(self._bits)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> tuple[SeenEvents, int]:
        """The saved filter and its journal sequence number; ValueError when the file is not one."""
        data = path.read_bytes()
        if not data.startswith(_MAGIC):
            raise ValueError(f"{path} is not a seen-events file")
        header_end = data.index(b"\n", len(_MAGIC))
        size, hashes, count, journal_seq = (int(x) for x in data[len(_MAGIC) : header_end].split())
        body = data[header_end + 1 :]
        if len(body) != (size + 7) // 8:
            raise ValueError(f"{path} is truncated")
        seen = cls.__new__(cls)
        seen._size, seen._hashes, seen.count = size, hashes, count
        seen._bits = bytearray(body)
        seen._lock = threading.Lock()
        return seen, journal_seq
