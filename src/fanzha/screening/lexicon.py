"""Versioned lexicons matched with Aho-Corasick on the normalised, pinyin and pinyin-initials streams."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from itertools import chain
from typing import Any

import ahocorasick_rs
import numpy as np
import numpy.typing as npt
import yaml

from fanzha.screening._arrays import ranges
from fanzha.screening.normalize import (
    SingleStreams,
    Utf8,
    Views,
    compact_streams,
    has_cjk,
    initials_key,
    normalize_text,
    pinyin_key,
)

IntArray = npt.NDArray[np.int64]
VIA = ("text", "pinyin", "initials")

_ASCII_ALNUM = re.compile(r"[a-z0-9]")
_ONLY_CJK = re.compile(r"^[^a-z0-9]+$")


@dataclass(frozen=True, slots=True)
class Term:
    """One lexicon entry."""

    term: str
    category: str
    weight: float
    source: str


@dataclass(frozen=True, slots=True)
class Match:
    """A lexicon hit.

    Attributes:
        term: The lexicon term as written in the lexicon file.
        category: Its category (``phone_card``, ``T01_task_rebate``, ``warning_context`` ...).
        span: ``[start, end)`` in the original text.
        via: ``text`` (normalised text), ``pinyin`` (homophone) or ``initials`` (abbreviation).
        weight: The term's weight.
    """

    term: str
    category: str
    span: tuple[int, int]
    via: str
    weight: float


class Lexicon:
    """All lexicon files of a directory, compiled into three automata."""

    def __init__(self, entries: list[Term], versions: dict[str, str]) -> None:
        self.versions = versions
        self.categories: list[str] = sorted({e.category for e in entries})
        by_compact: dict[str, list[Term]] = {}
        by_pinyin: dict[str, list[Term]] = {}
        by_initials: dict[str, list[Term]] = {}
        for entry in entries:
            norm = normalize_text(entry.term)
            compact = Views(norm).compact
            if not compact:
                continue
            by_compact.setdefault(compact, []).append(entry)
            if has_cjk(compact) and _ONLY_CJK.match(compact):
                if len(compact) >= 2 and len(pinyin_key(compact)) >= 5:
                    by_pinyin.setdefault(pinyin_key(compact), []).append(entry)
                if len(compact) >= 4:
                    by_initials.setdefault(initials_key(compact), []).append(entry)
        self._compact_keys = list(by_compact)
        self._compact_terms = [by_compact[k] for k in self._compact_keys]
        self._pinyin_keys = list(by_pinyin)
        self._pinyin_terms = [by_pinyin[k] for k in self._pinyin_keys]
        self._initial_keys = list(by_initials)
        self._initial_terms = [by_initials[k] for k in self._initial_keys]
        self._ac_compact = ahocorasick_rs.AhoCorasick(self._compact_keys)
        self._ac_pinyin = ahocorasick_rs.AhoCorasick(self._pinyin_keys) if self._pinyin_keys else None
        self._ac_initials = ahocorasick_rs.AhoCorasick(self._initial_keys) if self._initial_keys else None
        self.size = len(entries)
        self._bytes = tuple(
            ahocorasick_rs.BytesAhoCorasick([k.encode("utf-8") for k in keys]) if keys else None
            for keys in (self._compact_keys, self._pinyin_keys, self._initial_keys)
        )
        # Array form for batch matching: every distinct (term, category) gets one id.
        ids: dict[tuple[str, str], int] = {}
        self.terms: list[Term] = []
        for entry in entries:
            if (entry.term, entry.category) not in ids:
                ids[(entry.term, entry.category)] = len(self.terms)
                self.terms.append(entry)
        cat_index = {c: i for i, c in enumerate(self.categories)}
        self.term_category = np.array([cat_index[t.category] for t in self.terms], dtype=np.int64)
        self.term_weight = np.array([t.weight for t in self.terms], dtype=np.float64)

        def csr(groups: list[list[Term]]) -> tuple[IntArray, IntArray]:
            ptr = np.zeros(len(groups) + 1, dtype=np.int64)
            ptr[1:] = np.cumsum([len(g) for g in groups])
            flat = [ids[(t.term, t.category)] for g in groups for t in g]
            return ptr, np.array(flat, dtype=np.int64)

        self._streams = (csr(self._compact_terms), csr(self._pinyin_terms), csr(self._initial_terms))
        self._compact_ascii = np.array([k.isascii() for k in self._compact_keys], dtype=bool)
        # The same tables as lists, for the one-text path (list indexing beats numpy scalars).
        self._compact_ascii_list: list[bool] = self._compact_ascii.tolist()
        self._term_category_list: list[int] = self.term_category.tolist()
        self.term_category_list: list[int] = self._term_category_list
        self.term_weight_list: list[float] = self.term_weight.tolist()
        self._stream_lists = tuple((ptr.tolist(), flat.tolist()) for ptr, flat in self._streams)

    def match(self, normalized: str, views: Views | None = None) -> list[tuple[Term, int, int, str]]:
        """Return ``(term, start, end, via)`` with spans in the normalised text."""
        hits = self.match_batch([normalized])
        return [
            (self.terms[int(t)], int(a), int(b), VIA[int(v)])
            for t, a, b, v in zip(hits.term, hits.start, hits.end, hits.via, strict=True)
        ]

    def match_batch(self, normalized: Sequence[str]) -> BatchHits:
        """Match many normalised texts at once (the texts must not contain a newline).

        Equivalent to matching each text alone (``_match_single``): the texts are joined with newlines, which no
        key contains, each automaton runs once over the batch, and the per-hit bookkeeping (span
        mapping, word boundaries, de-duplication across streams) is done on arrays.
        """
        if len(normalized) == 1:
            return self._match_single(normalized[0])
        st = compact_streams(normalized)
        n_texts = len(normalized)
        rows: list[tuple[IntArray, IntArray, IntArray, int]] = []  # (term ids, cstart, cend, via)

        def expand(stream: int, key: IntArray, cs: IntArray, ce: IntArray) -> None:
            ptr, flat = self._streams[stream]
            counts = ptr[key + 1] - ptr[key]
            idx = ranges(ptr[key], counts)
            rows.append((flat[idx], np.repeat(cs, counts), np.repeat(ce, counts), stream))

        found = _find(self._bytes[0], st.compact_utf8)
        if found.shape[0]:
            key, cs, ce = found[:, 0], found[:, 1], found[:, 2]
            ok = ~self._compact_ascii[key] | st.boundary_ok(cs, ce)
            expand(0, key[ok], cs[ok], ce[ok])
        if self._bytes[1] is not None:
            found = _find(self._bytes[1], st.pinyin_utf8)
            if found.shape[0]:
                cs = st.pinyin_to_compact[found[:, 1]]
                ce = st.pinyin_to_compact[found[:, 2]]
                ok = (cs >= 0) & (ce >= 0)
                key, cs, ce = found[ok, 0], cs[ok], ce[ok]
                ascii_span = st.non_ascii_cum[ce] - st.non_ascii_cum[cs] == 0
                ok = ~ascii_span | st.boundary_ok(cs, ce)
                expand(1, key[ok], cs[ok], ce[ok])
        if self._bytes[2] is not None and st.initials_differ.any():
            found = _find(self._bytes[2], st.initials_utf8)
            if found.shape[0]:
                key, cs, ce = found[:, 0], found[:, 1], found[:, 2]
                # Only mixed Hanzi/Latin regions ("收y行k"): pure Hanzi is covered by the other
                # streams, and pure Latin initials would match ordinary English words.
                non_ascii = st.non_ascii_cum[ce] - st.non_ascii_cum[cs]
                ok = (non_ascii > 0) & (non_ascii < ce - cs) & st.initials_differ[st.text_of(cs)]
                expand(2, key[ok], cs[ok], ce[ok])
        if not rows:
            return BatchHits.empty(n_texts)
        term = np.concatenate([r[0] for r in rows])
        cs = np.concatenate([r[1] for r in rows])
        ce = np.concatenate([r[2] for r in rows])
        via = np.concatenate([np.full(r[0].shape[0], r[3], dtype=np.int64) for r in rows])
        # A homophone or abbreviation hit is dropped when an earlier hit (text first) already
        # covers the same compact span with the same category.
        width = np.int64(len(st.compact) + 1)
        key = (self.term_category[term] * width + cs) * width + ce
        _, first = np.unique(key, return_index=True)
        keep = via == 0
        keep[first] = True
        term, cs, ce, via = term[keep], cs[keep], ce[keep], via[keep]
        text = st.text_of(cs)
        order = np.argsort(text, kind="stable")
        term, cs, ce, via, text = term[order], cs[order], ce[order], via[order], text[order]
        start = st.compact_to_norm[cs] - st.norm_start[text]
        end = st.compact_to_norm[ce - 1] + 1 - st.norm_start[text]
        ptr = np.searchsorted(text, np.arange(n_texts + 1)).astype(np.int64)
        return BatchHits(text, term, start, end, via, ptr)

    def _match_single(self, normalized: str) -> BatchHits:
        """:meth:`match_batch` for one text, with lists instead of arrays (cheaper for one text)."""
        if "\n" in normalized:
            normalized = normalized.replace("\n", " ")
        st = SingleStreams(normalized)
        if not st.compact:
            return BatchHits.empty(1)
        c2n = st.compact_to_norm
        n = len(normalized)
        terms: list[int] = []
        starts: list[int] = []
        ends: list[int] = []
        vias: list[int] = []
        seen: set[tuple[int, int, int]] = set()
        cat = self._term_category_list

        def boundary_ok(a: int, b: int) -> bool:
            # ASCII terms must not sit inside a longer Latin word ("sd" in "wasd").
            if a > 0 and _ASCII_ALNUM.match(normalized[a - 1]):
                return False
            return not (b < n and _ASCII_ALNUM.match(normalized[b]))

        ptr, flat = self._stream_lists[0]
        for pi, s, e in self._ac_compact.find_matches_as_indexes(st.compact, overlapping=True):
            a, b = c2n[s], c2n[e - 1] + 1
            if self._compact_ascii_list[pi] and not boundary_ok(a, b):
                continue
            for t in flat[ptr[pi] : ptr[pi + 1]]:
                terms.append(t)
                starts.append(a)
                ends.append(b)
                vias.append(0)
                seen.add((cat[t], s, e))
        if self._ac_pinyin is not None:
            ptr, flat = self._stream_lists[1]
            inv = st.pinyin_to_compact
            for pi, s, e in self._ac_pinyin.find_matches_as_indexes(st.pinyin, overlapping=True):
                cs, ce = inv[s], inv[e]
                if cs < 0 or ce < 0:
                    continue
                a, b = c2n[cs], c2n[ce - 1] + 1
                if st.compact[cs:ce].isascii() and not boundary_ok(a, b):
                    continue
                for t in flat[ptr[pi] : ptr[pi + 1]]:
                    if (cat[t], cs, ce) in seen:
                        continue
                    seen.add((cat[t], cs, ce))
                    terms.append(t)
                    starts.append(a)
                    ends.append(b)
                    vias.append(1)
        if self._ac_initials is not None and st.initials_differ:
            ptr, flat = self._stream_lists[2]
            for pi, s, e in self._ac_initials.find_matches_as_indexes(st.initials, overlapping=True):
                region = st.compact[s:e]
                if region.isascii() or not _ASCII_ALNUM.search(region):
                    continue
                a, b = c2n[s], c2n[e - 1] + 1
                for t in flat[ptr[pi] : ptr[pi + 1]]:
                    if (cat[t], s, e) in seen:
                        continue
                    seen.add((cat[t], s, e))
                    terms.append(t)
                    starts.append(a)
                    ends.append(b)
                    vias.append(2)
        k = len(terms)
        return BatchHits(
            np.zeros(k, dtype=np.int64),
            np.array(terms, dtype=np.int64),
            np.array(starts, dtype=np.int64),
            np.array(ends, dtype=np.int64),
            np.array(vias, dtype=np.int64),
            np.array([0, k], dtype=np.int64),
        )


@dataclass(frozen=True)
class BatchHits:
    """Lexicon hits of a batch as parallel arrays, grouped by text.

    Hits of text ``i`` are rows ``ptr[i]:ptr[i+1]``, in the order :meth:`Lexicon.match` reports
    them. ``start``/``end`` are spans in that text's normalised string; ``via`` indexes ``VIA``.
    """

    text: IntArray
    term: IntArray
    start: IntArray
    end: IntArray
    via: IntArray
    ptr: IntArray

    @classmethod
    def empty(cls, n_texts: int) -> BatchHits:
        """No hits in ``n_texts`` texts."""
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none, none, none, none, np.zeros(n_texts + 1, dtype=np.int64))


def _find(automaton: ahocorasick_rs.BytesAhoCorasick | None, haystack: Utf8) -> IntArray:
    """``(key, start, end)`` rows of every (overlapping) match, offsets in characters."""
    if automaton is None:
        return np.zeros((0, 3), dtype=np.int64)
    rows = automaton.find_matches_as_indexes(haystack.data, overlapping=True)
    # fromiter over the flattened tuples is about twice as fast as np.array on a list of tuples.
    found = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=3 * len(rows)).reshape(-1, 3)
    if found.shape[0]:
        found[:, 1] = haystack.chars(found[:, 1])
        found[:, 2] = haystack.chars(found[:, 2])
    return found


def _parse_file(name: str, data: dict[str, Any]) -> tuple[list[Term], str]:
    version = str(data.get("version", "0"))
    entries: list[Term] = []
    for category, spec in (data.get("categories") or {}).items():
        default = float(spec.get("weight", 1.0))
        for item in spec.get("terms") or []:
            if isinstance(item, dict):
                entries.append(Term(str(item["term"]), category, float(item.get("weight", default)), name))
            else:
                entries.append(Term(str(item), category, default, name))
    return entries, version


def load_lexicon() -> Lexicon:
    """Load every ``*.yaml`` under ``fanzha/screening/lexicons``."""
    entries: list[Term] = []
    versions: dict[str, str] = {}
    root = resources.files("fanzha.screening").joinpath("lexicons")
    for item in sorted(root.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(item.read_text(encoding="utf-8"))
        file_entries, version = _parse_file(item.name.removesuffix(".yaml"), data)
        entries.extend(file_entries)
        versions[item.name.removesuffix(".yaml")] = version
    return Lexicon(entries, versions)


_lock = threading.Lock()
_lexicon: Lexicon | None = None


def get_lexicon() -> Lexicon:
    """The process-wide lexicon, loaded once (thread-safe)."""
    global _lexicon
    if _lexicon is None:
        with _lock:
            if _lexicon is None:
                _lexicon = load_lexicon()
    return _lexicon
