"""A compact, memory-mappable set of list values with per-entry expiry, for lookups in about a microsecond.

See :class:`MembershipIndex`. The on-disk format (all integers little-endian)::

    header   64 bytes: magic b"FZMIDX\\x00\\x01", u32 version, u32 flags, u64 count, u32 bucket bits, zeros
    keys     count x u64, sorted ascending, unique
    offsets  (2**bits + 1) x i64: offsets[b] is the first key whose top ``bits`` bits are >= b
    expiry   count x i64 epoch seconds (0 = never), parallel to keys; present only when flags & 1
"""

from __future__ import annotations

import contextlib
import math
import os
import struct
import tempfile
import threading
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from hashlib import blake2b
from pathlib import Path
from typing import Final, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

__all__ = ["DEFAULT_OVERLAY_LIMIT", "IndexFileError", "MembershipIndex"]

DEFAULT_OVERLAY_LIMIT: Final = 10_000
"""Overlay size (additions plus removals) past which a write compacts the index."""

_MAGIC: Final = b"FZMIDX\x00\x01"
_VERSION: Final = 1
_FLAG_EXPIRY: Final = 1
_HEADER: Final = struct.Struct("<8sIIQI")
_HEADER_SIZE: Final = 64
_MAX_BUCKET_BITS: Final = 32
# Expiry seconds are clamped below this so they always fit in int64 (it is ~1.5e11 years away).
_MAX_EXPIRY: Final = 2**62
_NEVER_RANK: Final = np.iinfo(np.int64).max
_U64: Final = np.dtype("<u8")
_I64: Final = np.dtype("<i8")

_Scalar = TypeVar("_Scalar", bound=np.generic)


class IndexFileError(ValueError):
    """A saved index file is not one this version can read (wrong magic, version or size)."""


def _hash(value: str) -> int:
    # surrogatepass: a lookup of any str must answer, never raise, even if normalisation was skipped.
    return int.from_bytes(blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def _expiry_seconds(expires_at: float | None) -> int:
    """``expires_at`` as stored: 0 for never, else whole seconds rounded up, at least 1."""
    if expires_at is None or expires_at == math.inf:
        return 0
    if math.isnan(expires_at):
        raise ValueError("expires_at is NaN")
    if expires_at <= 1:
        return 1
    return min(math.ceil(expires_at), _MAX_EXPIRY)


def _expiry_ranks(expires_at: NDArray[np.float64]) -> NDArray[np.int64]:
    """:func:`_expiry_seconds` of each element, +inf standing for None, except that "never" is ranked
    above every time (as ``_NEVER_RANK``) so that the latest expiry is the maximum. Overwrites the input.
    """
    if np.isnan(expires_at).any():
        raise ValueError("expires_at is NaN")
    never = expires_at == math.inf
    np.ceil(expires_at, out=expires_at)
    np.clip(expires_at, 1, _MAX_EXPIRY, out=expires_at)
    ranks = expires_at.astype(np.int64)
    ranks[never] = _NEVER_RANK
    return ranks


def _distinct(sorted_keys: NDArray[np.uint64]) -> NDArray[np.bool_]:
    """Marks the first of each run of equal keys."""
    first = np.empty(len(sorted_keys), dtype=bool)
    first[:1] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=first[1:])
    return first


def _bucket_bits(count: int) -> int:
    # About 8 to 16 keys per bucket: the bisect then stays within one or two cache lines, and the
    # offsets table costs at most one eighth of the keys' memory.
    return max(0, min(_MAX_BUCKET_BITS, count.bit_length() - 4))


def _bucket_offsets(keys: NDArray[np.uint64], bits: int) -> NDArray[np.int64]:
    offsets = np.zeros((1 << bits) + 1, dtype=np.int64)
    if bits == 0:
        offsets[1] = len(keys)
    else:
        top = (keys >> np.uint64(64 - bits)).astype(np.intp)
        np.cumsum(np.bincount(top, minlength=1 << bits), out=offsets[1:])
    return offsets


def _words(array: NDArray[np.uint64] | NDArray[np.int64], code: Literal["Q", "q"]) -> memoryview:
    # Indexing a memoryview yields plain ints and bisect runs on it in C; numpy scalar indexing and
    # searchsorted cost a few microseconds per call instead.
    return np.ascontiguousarray(array).data.cast("B").cast(code)


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """Everything a lookup reads, never changed once published; writers publish a new one."""

    keys: NDArray[np.uint64]
    expiry: NDArray[np.int64] | None
    offsets: NDArray[np.int64]
    shift: int
    key_words: memoryview
    expiry_words: memoryview | None
    offset_words: memoryview
    added: dict[int, int]
    removed: frozenset[int]
    size: int

    @classmethod
    def of(
        cls, keys: NDArray[np.uint64], expiry: NDArray[np.int64] | None, offsets: NDArray[np.int64] | None = None
    ) -> _Snapshot:
        bits = _bucket_bits(len(keys)) if offsets is None else (len(offsets) - 1).bit_length() - 1
        if offsets is None:
            offsets = _bucket_offsets(keys, bits)
        for part in (keys, expiry, offsets):
            if part is not None and part.flags.writeable:
                part.flags.writeable = False
        return cls(
            keys=keys,
            expiry=expiry,
            offsets=offsets,
            shift=64 - bits,
            key_words=_words(keys, "Q"),
            expiry_words=None if expiry is None else _words(expiry, "q"),
            offset_words=_words(offsets, "q"),
            added={},
            removed=frozenset(),
            size=len(keys),
        )

    def core_position(self, key: int) -> int:
        """Where ``key`` is in the core arrays, or -1."""
        bucket = key >> self.shift
        low = self.offset_words[bucket]
        high = self.offset_words[bucket + 1]
        position = bisect_left(self.key_words, key, low, high)
        if position < high and self.key_words[position] == key:
            return position
        return -1

    def merged(self, expired_before: float | None) -> tuple[NDArray[np.uint64], NDArray[np.int64] | None]:
        """The core arrays with the overlay applied, optionally without entries expired by then."""
        keys = self.keys
        expiry = self.expiry
        if self.added or self.removed:
            replaced = np.fromiter(self.removed.union(self.added), dtype=np.uint64)
            positions = np.searchsorted(keys, replaced)
            inside = positions < len(keys)
            inside[inside] = keys[positions[inside]] == replaced[inside]
            keep = np.ones(len(keys), dtype=bool)
            keep[positions[inside]] = False
            keys = keys[keep]
            expiry = None if expiry is None else expiry[keep]
            if self.added:
                added_keys = np.fromiter(self.added.keys(), dtype=np.uint64, count=len(self.added))
                added_expiry = np.fromiter(self.added.values(), dtype=np.int64, count=len(self.added))
                order = np.argsort(added_keys)
                added_keys = added_keys[order]
                added_expiry = added_expiry[order]
                at = np.searchsorted(keys, added_keys)
                if expiry is None and added_expiry.any():
                    expiry = np.zeros(len(keys), dtype=np.int64)
                keys = np.insert(keys, at, added_keys)
                if expiry is not None:
                    expiry = np.insert(expiry, at, added_expiry)
        if expired_before is not None and expiry is not None:
            live = (expiry == 0) | (expiry > expired_before)
            keys = keys[live]
            expiry = expiry[live]
        if expiry is not None and not expiry.any():
            expiry = None
        return keys, expiry


class MembershipIndex:
    """The values of one list as sorted 64-bit hashes, with expiry times and a small overlay of changes.

    A value (already normalised by :func:`fanzha.lists.kinds.normalize_value`) is stored as the first
    8 bytes of its BLAKE2b digest, read as a little-endian integer. The core is a sorted ``uint64``
    array of those hashes, a parallel ``int64`` array of expiry times (epoch seconds rounded up, 0 for
    never; left out while no entry expires) and a table of bucket offsets by the hashes' top bits, so a
    lookup is one hash, two table reads and a bisect of about ten keys. Memory is 16 bytes an entry
    with expiry, 8 without, plus at most 1 byte for the offsets; a saved index is memory-mapped back,
    so loading reads the header and the bucket table and the rest comes in as lookups touch it.

    False positives: a value that is not listed is reported listed only if its hash equals one of the
    ``n`` stored hashes, with probability ``n / 2**64``: about 5.4e-13 per lookup for 10 million
    entries, so about one false hit in 1.8 trillion lookups of unlisted values. Two listed values
    share a hash with probability about ``n**2 / 2**65`` (2.7e-6 for 10 million); they then behave as
    one entry. A collision can only make a value look listed, never hide a listed one, so whoever
    could craft one gains no way past a list.

    Changes go to an overlay of additions (hash to expiry) and removals (hashes of core entries) that
    :meth:`compact` merges into new core arrays; a write that makes the overlay larger than
    ``overlay_limit`` compacts on its own.

    Threads: lookups take no lock. Everything a lookup reads sits in one immutable snapshot object,
    read through a single attribute; a writer holds ``self._lock``, builds the next snapshot (copying
    the overlay, or merging the core in :meth:`compact`) and publishes it with one attribute store, so
    a reader sees each write entirely or not at all. Writes therefore cost time proportional to the
    overlay (bounded by ``overlay_limit``); use :meth:`add_many` and :meth:`remove_many` for batches.
    """

    __slots__ = ("_lock", "_overlay_limit", "_state")

    def __init__(self, *, overlay_limit: int = DEFAULT_OVERLAY_LIMIT) -> None:
        """An empty index; see :meth:`build` and :meth:`load` for the usual ways to make one."""
        self._lock = threading.Lock()
        self._overlay_limit = overlay_limit
        self._state = _Snapshot.of(np.empty(0, dtype=np.uint64), None)

    @classmethod
    def _of(cls, state: _Snapshot, overlay_limit: int) -> MembershipIndex:
        index = cls(overlay_limit=overlay_limit)
        index._state = state
        return index

    @classmethod
    def build(
        cls, entries: Iterable[tuple[str, float | None]], *, overlay_limit: int = DEFAULT_OVERLAY_LIMIT
    ) -> MembershipIndex:
        """An index of ``(normalised value, expires_at epoch seconds or None)`` pairs.

        A value given more than once is kept with its latest expiry (None, never, being the latest).

        Raises:
            ValueError: an expiry is NaN.
        """
        digests = bytearray()
        # Raw doubles, not a list of float objects: 8 bytes an entry and nothing left for the
        # allocator to hold on to afterwards.
        expiries = array("d")
        any_expiry = False
        append_expiry = expiries.append
        never = math.inf
        for value, expires_at in entries:
            digests += blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8).digest()
            if expires_at is None:
                append_expiry(never)
            else:
                append_expiry(expires_at)
                any_expiry = True
        # Every step below works in place or frees its input before the next allocation, so the
        # peak stays near four arrays of 8 bytes an entry (hashes, ranks, sort order, sorted copy).
        hashes = np.frombuffer(digests, dtype=_U64).astype(np.uint64, copy=False)
        if not any_expiry:
            del expiries
            hashes.sort()
            first = _distinct(hashes)
            keys = hashes if first.all() else hashes[first]
            return cls._of(_Snapshot.of(keys, None), overlay_limit)
        ranks = _expiry_ranks(np.frombuffer(expiries, dtype=np.float64))
        del expiries
        order = np.argsort(hashes)
        hashes = hashes[order]
        del digests
        ranks = ranks[order]
        del order
        first = _distinct(hashes)
        if first.all():
            keys, best = hashes, ranks
        else:
            # Among duplicates keep the latest expiry, which is the highest rank.
            starts = np.flatnonzero(first)
            keys = hashes[starts]
            best = np.maximum.reduceat(ranks, starts)
        del first
        best[best == _NEVER_RANK] = 0
        return cls._of(_Snapshot.of(keys, best if best.any() else None), overlay_limit)

    def contains(self, value: str, at: float) -> bool:
        """Whether the normalised ``value`` is listed and not expired at epoch seconds ``at``."""
        key = _hash(value)
        state = self._state
        if state.added:
            expires = state.added.get(key)
            if expires is not None:
                return expires == 0 or at < expires
        if key in state.removed:
            return False
        position = state.core_position(key)
        if position < 0:
            return False
        if state.expiry_words is None:
            return True
        expires = state.expiry_words[position]
        return expires == 0 or at < expires

    def add(self, value: str, expires_at: float | None) -> None:
        """List the normalised ``value`` until ``expires_at`` (epoch seconds; None for ever).

        A value already listed takes the new expiry, later or earlier.
        """
        self.add_many(((value, expires_at),))

    def add_many(self, entries: Iterable[tuple[str, float | None]]) -> None:
        """:meth:`add` for each pair, published to readers as one change."""
        prepared = [(_hash(value), _expiry_seconds(expires_at)) for value, expires_at in entries]
        with self._lock:
            state = self._state
            added = dict(state.added)
            removed = set(state.removed)
            size = state.size
            for key, expires in prepared:
                held = key in added or (key not in removed and state.core_position(key) >= 0)
                if not held:
                    size += 1
                added[key] = expires
                removed.discard(key)
            self._publish(state, added, removed, size)

    def remove(self, value: str) -> bool:
        """Unlist the normalised ``value``; whether it was held (expired or not)."""
        return self.remove_many((value,)) == 1

    def remove_many(self, values: Iterable[str]) -> int:
        """:meth:`remove` for each value, published to readers as one change; how many were held."""
        keys = [_hash(value) for value in values]
        with self._lock:
            state = self._state
            added = dict(state.added)
            removed = set(state.removed)
            size = state.size
            held_count = 0
            for key in keys:
                in_core = state.core_position(key) >= 0
                held = key in added or (in_core and key not in removed)
                added.pop(key, None)
                if in_core:
                    removed.add(key)
                if held:
                    held_count += 1
                    size -= 1
            self._publish(state, added, removed, size)
            return held_count

    def _publish(self, state: _Snapshot, added: dict[int, int], removed: set[int], size: int) -> None:
        new = _Snapshot(
            keys=state.keys,
            expiry=state.expiry,
            offsets=state.offsets,
            shift=state.shift,
            key_words=state.key_words,
            expiry_words=state.expiry_words,
            offset_words=state.offset_words,
            added=added,
            removed=frozenset(removed),
            size=size,
        )
        self._state = new
        if len(added) + len(removed) > self._overlay_limit:
            self._compact_locked(None)

    def __len__(self) -> int:
        """How many distinct values are held, counting expired ones until a compaction drops them."""
        return self._state.size

    @property
    def overlay_size(self) -> int:
        """How many additions and removals wait for :meth:`compact`."""
        state = self._state
        return len(state.added) + len(state.removed)

    @property
    def nbytes(self) -> int:
        """Bytes taken by the core arrays (mapped or in memory), not counting the overlay."""
        state = self._state
        expiry = 0 if state.expiry is None else state.expiry.nbytes
        return state.keys.nbytes + state.offsets.nbytes + expiry

    def compact(self, *, expired_before: float | None = None) -> None:
        """Merge the overlay into new core arrays; with ``expired_before``, drop entries expired by then.

        Takes time proportional to the whole index (about a second for 10 million entries); lookups
        go on meanwhile against the previous snapshot. A memory-mapped core is copied into memory.
        """
        with self._lock:
            self._compact_locked(expired_before)

    def _compact_locked(self, expired_before: float | None) -> None:
        state = self._state
        if not state.added and not state.removed and (expired_before is None or state.expiry is None):
            return
        keys, expiry = state.merged(expired_before)
        self._state = _Snapshot.of(keys, expiry)

    def save(self, path: Path) -> None:
        """Write the index (overlay included) to ``path`` atomically.

        The data goes to a temporary file in the same directory, is flushed to disk and then renamed
        over ``path``, so a crash or error leaves either the old file or the new one, never a mix.
        Readers that mapped the old file keep their (unlinked) copy.
        """
        path = Path(path)
        state = self._state
        if state.added or state.removed:
            keys, expiry = state.merged(None)
            offsets = _bucket_offsets(keys, _bucket_bits(len(keys)))
        else:
            keys, expiry, offsets = state.keys, state.expiry, state.offsets
        bits = (len(offsets) - 1).bit_length() - 1
        flags = 0 if expiry is None else _FLAG_EXPIRY
        header = _HEADER.pack(_MAGIC, _VERSION, flags, len(keys), bits).ljust(_HEADER_SIZE, b"\x00")
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(header)
                file.write(np.ascontiguousarray(keys, dtype=_U64).data)
                file.write(np.ascontiguousarray(offsets, dtype=_I64).data)
                if expiry is not None:
                    file.write(np.ascontiguousarray(expiry, dtype=_I64).data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _fsync_directory(path.parent)

    @classmethod
    def load(cls, path: Path, *, verify: bool = False, overlay_limit: int = DEFAULT_OVERLAY_LIMIT) -> MembershipIndex:
        """Map an index written by :meth:`save` back in; the arrays stay on disk, paged in on use.

        The header and the file size are always checked; ``verify`` also checks, by reading the whole
        file, that the keys are sorted and unique and the offsets and expiry times consistent.

        Raises:
            IndexFileError: the file is not a complete index of a format this version reads.
            OSError: the file cannot be opened.
        """
        path = Path(path)
        if path.stat().st_size < _HEADER_SIZE:
            raise IndexFileError(f"{path} is not a list index: it is shorter than its header")
        raw = np.memmap(path, dtype=np.uint8, mode="r").view(np.ndarray)
        magic, version, flags, count, bits = _HEADER.unpack_from(raw[:_HEADER_SIZE].tobytes())
        if magic != _MAGIC:
            raise IndexFileError(f"{path} is not a list index (bad magic number)")
        if version != _VERSION or flags & ~_FLAG_EXPIRY or bits > _MAX_BUCKET_BITS:
            raise IndexFileError(f"{path} is a list index of an unknown version or layout")
        offset_count = (1 << bits) + 1
        expiry_count = count if flags & _FLAG_EXPIRY else 0
        size = _HEADER_SIZE + 8 * (count + offset_count + expiry_count)
        if raw.size != size:
            raise IndexFileError(f"{path} is truncated or padded: {raw.size} bytes where {size} were expected")
        keys_end = _HEADER_SIZE + 8 * count
        offsets_end = keys_end + 8 * offset_count
        keys = _native(raw[_HEADER_SIZE:keys_end].view(_U64))
        offsets = _native(raw[keys_end:offsets_end].view(_I64))
        expiry = _native(raw[offsets_end:].view(_I64)) if expiry_count else None
        # Cheap next to the keys (an eighth of their size at most) and it keeps lookups in bounds.
        if offsets[0] != 0 or offsets[-1] != count or (np.diff(offsets) < 0).any():
            raise IndexFileError(f"{path} has an inconsistent bucket table")
        if verify:
            _verify(path, keys, offsets, expiry, bits)
        return cls._of(_Snapshot.of(keys, expiry, offsets), overlay_limit)


def _native(array: NDArray[_Scalar]) -> NDArray[_Scalar]:
    return array if array.dtype.isnative else array.astype(array.dtype.newbyteorder("="))


def _verify(
    path: Path,
    keys: NDArray[np.uint64],
    offsets: NDArray[np.int64],
    expiry: NDArray[np.int64] | None,
    bits: int,
) -> None:
    if len(keys) > 1 and not (keys[1:] > keys[:-1]).all():
        raise IndexFileError(f"{path} has keys out of order")
    if not np.array_equal(offsets, _bucket_offsets(keys, bits)):
        raise IndexFileError(f"{path} has a bucket table that does not match its keys")
    if expiry is not None and (expiry < 0).any():
        raise IndexFileError(f"{path} has negative expiry times")


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; some platforms and file systems cannot open a directory.
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
