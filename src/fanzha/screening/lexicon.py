"""Versioned lexicons matched with Aho-Corasick on the normalised, pinyin and pinyin-initials streams."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Any

import ahocorasick_rs
import yaml

from fanzha.screening.normalize import Views, has_cjk, initials_key, normalize_text, pinyin_key

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

    def match(self, normalized: str, views: Views | None = None) -> list[tuple[Term, int, int, str]]:
        """Return ``(term, start, end, via)`` with spans in the normalised text."""
        if views is None:
            views = Views(normalized)
        if not views.compact:
            return []
        out: list[tuple[Term, int, int, str]] = []
        seen: set[tuple[str, int, int]] = set()
        to_norm = views.compact_to_normalized

        def boundary_ok(a: int, b: int) -> bool:
            # ASCII terms must not sit inside a longer Latin word ("sd" in "wasd").
            if a > 0 and _ASCII_ALNUM.match(normalized[a - 1]):
                return False
            return not (b < len(normalized) and _ASCII_ALNUM.match(normalized[b]))

        for pi, s, e in self._ac_compact.find_matches_as_indexes(views.compact, overlapping=True):
            a, b = to_norm(s), to_norm(e - 1) + 1
            key = self._compact_keys[pi]
            if key.isascii() and not boundary_ok(a, b):
                continue
            for term in self._compact_terms[pi]:
                out.append((term, a, b, "text"))
                seen.add((term.category, s, e))
        if self._ac_pinyin is not None:
            for pi, s, e in self._ac_pinyin.find_matches_as_indexes(views.pinyin, overlapping=True):
                cspan = views.pinyin_to_compact(s, e)
                if cspan is None:
                    continue
                cs, ce = cspan
                a, b = to_norm(cs), to_norm(ce - 1) + 1
                if views.compact[cs:ce].isascii() and not boundary_ok(a, b):
                    continue
                for term in self._pinyin_terms[pi]:
                    if (term.category, cs, ce) in seen:
                        continue
                    seen.add((term.category, cs, ce))
                    out.append((term, a, b, "pinyin"))
        if self._ac_initials is not None and views.initials != views.compact:
            for pi, s, e in self._ac_initials.find_matches_as_indexes(views.initials, overlapping=True):
                region = views.compact[s:e]
                # Only mixed Hanzi/Latin regions ("收y行k"): pure Hanzi is covered by the other
                # streams, and pure Latin initials would match ordinary English words.
                if region.isascii() or not _ASCII_ALNUM.search(region):
                    continue
                a, b = to_norm(s), to_norm(e - 1) + 1
                for term in self._initial_terms[pi]:
                    if (term.category, s, e) in seen:
                        continue
                    seen.add((term.category, s, e))
                    out.append((term, a, b, "initials"))
        return out


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
