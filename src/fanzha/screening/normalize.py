"""Evasion-undoing normalisation with a map back to the original offsets.

Pipeline (domain-requirements D4-NORM-01), each step idempotent:

1. a per-character map, cached: format/zero-width/bidi/variation selectors and combining marks
   removed, NFKC (full-width and styled Latin, circled digits), lower case, cross-script homoglyphs,
   火星文 variants, OpenCC traditional-to-simplified, emoji to meaning, decorative symbols dropped;
2. whitespace collapsed;
3. parenthesised noise between Hanzi removed (``网(wang)络``, ``市(👖)公安局``);
4. separators between Hanzi removed (``收.银|行 卡``, emoji interleaving);
5. radical splits recomposed (``钅艮`` -> ``银``);
6. runs of Chinese numerals read as digits (``幺叁捌洞洞拐`` -> ``138007``);
7. leetspeak digits inside Latin words folded (``p4ypal`` -> ``paypal``).

The fast path uses ``str.translate`` and ``re.sub``; the offset map is computed only when a caller
asks for an original span, by running the same steps with bookkeeping.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import accumulate

import numpy as np
import numpy.typing as npt
import opencc  # type: ignore[import-not-found,unused-ignore]
from pypinyin import Style, lazy_pinyin

from fanzha.screening import _tables
from fanzha.screening._arrays import ranges

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_CJK_RE = re.compile(f"[{CJK}]")

_converter_lock = threading.Lock()
_converter: opencc.OpenCC | None = None


def _t2s(ch: str) -> str:
    global _converter
    if _converter is None:
        with _converter_lock:
            if _converter is None:
                _converter = opencc.OpenCC("t2s")
    out = _converter.convert(ch)
    return out if isinstance(out, str) else ch


def _raw_char(ch: str) -> str:
    """One step of the character map; :func:`_full_char` iterates it to a fixed point."""
    if ch in _tables.EMOJI:
        return _tables.EMOJI[ch]
    if ch in _tables.DECORATIVE:
        return ""
    if ch in _tables.STYLED:
        return _tables.STYLED[ch]
    cp = ord(ch)
    if 0x2FF0 <= cp <= 0x2FFF:  # ideographic description characters (⿰钅艮)
        return ""
    cat = unicodedata.category(ch)
    if cat in ("Cf", "Cs", "Mn", "Me"):
        return ""
    if cat in ("Cc", "Zs", "Zl", "Zp"):
        return " "
    out = unicodedata.normalize("NFKC", ch).lower()
    if out != ch:
        return out
    if ch in _tables.HOMOGLYPHS:
        return _tables.HOMOGLYPHS[ch]
    if ch in _tables.VARIANTS:
        return _tables.VARIANTS[ch]
    if cp >= 0x2E80:
        return _t2s(ch)
    return ch


def _full_char(ch: str) -> str:
    out = _raw_char(ch)
    for _ in range(6):
        nxt = "".join(_raw_char(c) for c in out)
        if nxt == out:
            return out
        out = nxt
    return out


class _CharMap(dict[int, str]):
    """Translation table for ``str.translate`` that fills itself on first sight of a code point."""

    def __missing__(self, cp: int) -> str:
        value = _full_char(chr(cp))
        self[cp] = value
        return value


_CHAR_MAP = _CharMap()
for _c in range(128):
    _CHAR_MAP[_c] = _full_char(chr(_c))

_SEP_CLASS = " .|*_\\-/\\\\·・~^`'\"+=#$%&@•…\u2600-\u27bf\U0001f000-\U0001faff"
_CJK_NUM = "".join(_tables.NUMERALS)

Repl = Callable[[re.Match[str]], str]


def _collapse(m: re.Match[str]) -> str:
    return " "


def _delete(m: re.Match[str]) -> str:
    return ""


def _radical(m: re.Match[str]) -> str:
    return _tables.RADICAL_PAIRS[m.group(0)]


_NUMERAL_CHARS = frozenset(_tables.NUMERALS)


def _numerals(m: re.Match[str]) -> str:
    run = m.group(0)
    if _NUMERAL_CHARS.isdisjoint(run):
        return run
    # Short runs of plain numerals are words (三三两两, 一五一十); phone-style readings or mixed
    # digits mark a number.
    signal = any(c in "幺洞拐" or c.isdigit() for c in run)
    if not signal and len(run.replace(" ", "").replace("-", "")) < 7:
        return run
    return "".join(_tables.NUMERALS.get(c, c) for c in run if c not in " -")


_LEET_DIGIT_RUN = re.compile(r"[0-9]+")


def _leet(m: re.Match[str]) -> str:
    token = m.group(0)
    letters = sum(c.isalpha() for c in token)
    if letters < 3 or letters == len(token):
        return token
    runs = list(_LEET_DIGIT_RUN.finditer(token))
    for run in runs:
        a, b = run.span()
        if b - a > 2 or a == 0 or b == len(token):
            return token
        if any(c not in _tables.LEET for c in run.group(0)):
            return token
    return "".join(_tables.LEET.get(c, c) for c in token)


_STAGES: tuple[tuple[re.Pattern[str], Repl], ...] = (
    (re.compile(r"  +"), _collapse),
    (
        re.compile(f"(?<=[{CJK}])(?: ?[(\\[【〔] ?(?:[a-z]{{1,6}}|[^ a-z0-9{CJK}]{{1,3}}|[{CJK}]) ?[)\\]】〕])+"),
        _delete,
    ),
    (re.compile(f"(?<=[{CJK}])[{_SEP_CLASS}]+(?=[{CJK}])"), _delete),
    (re.compile("|".join(_tables.RADICAL_PAIRS)), _radical),
    (re.compile(f"[0-9{_CJK_NUM}](?:[ \\-]?[0-9{_CJK_NUM}]){{4,}}"), _numerals),
    (re.compile(r"(?<![a-z0-9.@/:_\-])[a-z0-9]+(?![a-z0-9.@/:_\-])"), _leet),
    (re.compile(r"^ +| +$"), _delete),
)


# The fast path runs the same steps as ``_STAGES`` with patterns that start with a character class,
# so that the regex engine can skip ahead instead of trying a lookbehind at every position; the
# tracked path keeps ``_STAGES`` and the property tests check that both agree.
_FAST_COLLAPSE = _STAGES[0][0]
_PAREN_STAGE = 1  # repeated until it changes nothing (see _after_char_map)
_OPEN = "(\\[【〔"
_GROUP = f" ?(?:[a-z]{{1,6}}|[^ a-z0-9{CJK}]{{1,3}}|[{CJK}]) ?[)\\]】〕]"
# The first character is the optional space or the bracket; the lookbehinds after it check the Hanzi
# before the match and that a leading space is followed by a bracket.
_FAST_PAREN = re.compile(
    f"[ {_OPEN}](?<=[{CJK}][ {_OPEN}])(?:(?<=[{_OPEN}])|(?<= )[{_OPEN}]){_GROUP}(?: ?[{_OPEN}]{_GROUP})*"
)
_FAST_SEP = re.compile(f"[{_SEP_CLASS}](?<=[{CJK}][{_SEP_CLASS}])[{_SEP_CLASS}]*(?=[{CJK}])")
_FAST_RADICAL = _STAGES[3][0]
_FAST_NUMERALS = _STAGES[4][0]
# Only Latin tokens that mix letters and digits can change under leet folding. One leading class
# (then a lookbehind picks the branch) rather than an alternation of two: the regex engine skips
# ahead to a character of a leading class, not to either branch of an alternation.
_FAST_LEET = re.compile(
    r"[a-z0-9](?<![a-z0-9.@/:_\-][a-z0-9])(?:(?<=[a-z])[a-z]*[0-9]|(?<=[0-9])[0-9]*[a-z])"
    r"[a-z0-9]*(?![a-z0-9.@/:_\-])"
)


def normalize_text(text: str) -> str:
    """Normalise ``text`` (fast path, no offsets). Never raises on any ``str``."""
    return _after_char_map(text.translate(_CHAR_MAP))


def normalize_many(texts: Sequence[str]) -> list[str]:
    """``[normalize_text(t) for t in texts]``, with the character map applied to the whole batch.

    ``str.translate`` looks every character up in a dict (about 45 ns each); here the batch is
    mapped with one array gather through :data:`_ONE_TO_ONE`, which holds the image of every
    character seen so far that maps to exactly one character. A text with a character that maps to
    none or several (or one not seen yet, until it is filled in) takes ``str.translate``.
    """
    if len(texts) < 2:
        return [normalize_text(t) for t in texts]
    joined = "".join(texts)
    try:
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError:  # lone surrogates: leave them to str.translate
        return [normalize_text(t) for t in texts]
    mapped = _ONE_TO_ONE[codes]
    if not mapped.all():
        for cp in np.unique(codes[mapped == 0]).tolist():
            _fill_one_to_one(cp)
        mapped = _ONE_TO_ONE[codes]
    bad = mapped == _NOT_ONE
    bounds = list(accumulate((len(t) for t in texts), initial=0))
    bad_texts: set[int] = set()
    if bad.any():
        # The texts holding such a character are redone below; a space keeps the others aligned.
        bad_texts = set(np.searchsorted(bounds, np.flatnonzero(bad), side="right").tolist())
        mapped = np.where(bad, np.uint32(0x20), mapped)
    mapped_text = mapped.tobytes().decode("utf-32-le")
    out = []
    for i, text in enumerate(texts):
        if i + 1 in bad_texts:
            out.append(normalize_text(text))
        else:
            out.append(_after_char_map(mapped_text[bounds[i] : bounds[i + 1]]))
    return out


_NOT_ONE = np.uint32(0xFFFFFFFF)
_ONE_TO_ONE = np.zeros(0x110000, dtype=np.uint32)
"""Code point -> the code point it maps to when :data:`_CHAR_MAP` gives exactly one character;
:data:`_NOT_ONE` when it gives none or several; 0 when not filled yet (no character maps to NUL)."""
_one_to_one_lock = threading.Lock()


def _fill_one_to_one(cp: int) -> None:
    value = _CHAR_MAP[cp]
    with _one_to_one_lock:
        _ONE_TO_ONE[cp] = ord(value) if len(value) == 1 and value != "\0" else _NOT_ONE


def _after_char_map(out: str) -> str:
    """The steps of :func:`normalize_text` after the character map."""
    if "  " in out:
        out = _FAST_COLLAPSE.sub(" ", out)
    if "(" in out or "[" in out or "【" in out or "〔" in out:
        # Until nothing changes: removing one group can leave a Hanzi before another bracket
        # (``一[一[a】)`` -> ``一[一)``), and normalisation must be idempotent.
        while True:
            stripped = _FAST_PAREN.sub("", out)
            if stripped == out:
                break
            out = stripped
    out = _FAST_SEP.sub("", out)
    out = _FAST_RADICAL.sub(_radical, out)
    out = _FAST_NUMERALS.sub(_numerals, out)
    out = _FAST_LEET.sub(_leet, out)
    return out.strip(" ")


def _sub_tracked(
    pattern: re.Pattern[str], repl: Repl, text: str, starts: list[int], ends: list[int]
) -> tuple[str, list[int], list[int]]:
    pieces: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    pos = 0
    for m in pattern.finditer(text):
        a, b = m.span()
        if a == b:
            continue
        pieces.append(text[pos:a])
        new_starts.extend(starts[pos:a])
        new_ends.extend(ends[pos:a])
        r = repl(m)
        if len(r) == b - a:
            new_starts.extend(starts[a:b])
            new_ends.extend(ends[a:b])
        elif r:
            new_starts.extend([starts[a]] * len(r))
            new_ends.extend([ends[b - 1]] * len(r))
        pieces.append(r)
        pos = b
    pieces.append(text[pos:])
    new_starts.extend(starts[pos:])
    new_ends.extend(ends[pos:])
    return "".join(pieces), new_starts, new_ends


def normalize_tracked(text: str) -> tuple[str, list[int], list[int]]:
    """Normalise and return, for each output character, its original ``[start, end)`` span."""
    pieces = [_CHAR_MAP[ord(ch)] for ch in text]
    out = "".join(pieces)
    starts: list[int]
    ends: list[int]
    if len(out) == len(text) and all(len(p) == 1 for p in pieces):
        # The common case: every character maps to exactly one character.
        starts = list(range(len(text)))
        ends = list(range(1, len(text) + 1))
    else:
        starts = []
        ends = []
        for i, mapped in enumerate(pieces):
            if mapped:
                starts.extend([i] * len(mapped))
                ends.extend([i + 1] * len(mapped))
    for i, (pattern, repl) in enumerate(_STAGES):
        while True:
            before = out
            out, starts, ends = _sub_tracked(pattern, repl, out, starts, ends)
            if i != _PAREN_STAGE or out == before:
                break
    return out, starts, ends


class Normalized:
    """A normalised text that can map spans back to the original."""

    __slots__ = ("_ends", "_starts", "original", "text")

    def __init__(self, original: str, text: str | None = None) -> None:
        self.original = original
        self.text = normalize_text(original) if text is None else text
        self._starts: list[int] | None = None
        self._ends: list[int] | None = None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the normalised span ``[start, end)`` to the original text."""
        if self._starts is None or self._ends is None:
            text, self._starts, self._ends = normalize_tracked(self.original)
            if text != self.text:  # pragma: no cover - guarded by the property tests
                raise AssertionError("normalisation fast and tracked paths disagree")
        if not self._starts or end <= start:
            return (0, 0)
        start = max(0, min(start, len(self._starts) - 1))
        end = max(start + 1, min(end, len(self._ends)))
        return (self._starts[start], self._ends[end - 1])


# --- matching views -------------------------------------------------------------------------------

_COMPACT_DROP = re.compile(f"[^a-z0-9{CJK}]+")
_COMPACT_KEEP = re.compile(f"[a-z0-9{CJK}]+")


@lru_cache(maxsize=65536)
def pinyin_of(ch: str) -> str:
    """Toneless pinyin of one Hanzi (domain overrides for polyphones); the character itself otherwise."""
    if ch in _tables.PINYIN_OVERRIDES:
        return _tables.PINYIN_OVERRIDES[ch]
    if not _CJK_RE.match(ch):
        return ch
    out = lazy_pinyin(ch, style=Style.NORMAL, errors="default")
    syllable = out[0] if out else ch
    return syllable if syllable.isascii() and syllable.isalpha() else ch


class _SyllableMap(dict[int, str]):
    """``str.translate`` table from a Hanzi code point to its toneless syllable, filled lazily."""

    def __missing__(self, cp: int) -> str:
        value = pinyin_of(chr(cp))
        self[cp] = value
        return value


class _InitialMap(dict[int, str]):
    def __missing__(self, cp: int) -> str:
        value = _SYLLABLES[cp][0]
        self[cp] = value
        return value


_SYLLABLES = _SyllableMap({ord(c): c for c in "abcdefghijklmnopqrstuvwxyz0123456789"})
_INITIALS = _InitialMap({ord(c): c for c in "abcdefghijklmnopqrstuvwxyz0123456789"})


class Views:
    """Parallel matching views of a normalised text (D4-NORM-02).

    ``compact`` keeps only ASCII letters, digits and Hanzi; ``pinyin`` spells every Hanzi as its
    toneless syllable; ``initials`` keeps one letter per Hanzi (so it is aligned with ``compact``).
    Index maps back to the normalised text are built only when a match needs them.
    """

    __slots__ = ("_cum", "_runs", "compact", "initials", "normalized", "pinyin")

    def __init__(self, normalized: str) -> None:
        self.normalized = normalized
        self.compact = _COMPACT_DROP.sub("", normalized)
        self.pinyin = self.compact.translate(_SYLLABLES)
        self.initials = self.compact.translate(_INITIALS)
        self._runs: tuple[list[int], list[int]] | None = None
        self._cum: list[int] | None = None

    def compact_to_normalized(self, i: int) -> int:
        """Index in the normalised text of compact character ``i``."""
        if self._runs is None:
            cstarts: list[int] = []
            nstarts: list[int] = []
            clen = 0
            for m in _COMPACT_KEEP.finditer(self.normalized):
                cstarts.append(clen)
                nstarts.append(m.start())
                clen += m.end() - m.start()
            self._runs = (cstarts, nstarts)
        cstarts, nstarts = self._runs
        k = bisect_right(cstarts, i) - 1
        return nstarts[k] + (i - cstarts[k])

    def _cumulative(self) -> list[int]:
        if self._cum is None:
            self._cum = [0, *accumulate(len(_SYLLABLES[ord(c)]) for c in self.compact)]
        return self._cum

    def pinyin_to_compact(self, start: int, end: int) -> tuple[int, int] | None:
        """Compact span of the pinyin span ``[start, end)``, or None if it cuts a syllable."""
        cum = self._cumulative()
        a = bisect_left(cum, start)
        b = bisect_left(cum, end)
        if a >= len(cum) or b >= len(cum) or cum[a] != start or cum[b] != end:
            return None
        return a, b


def has_cjk(text: str) -> bool:
    """True when ``text`` contains at least one Hanzi."""
    return _CJK_RE.search(text) is not None


def pinyin_key(term: str) -> str:
    """Full toneless pinyin of a (normalised) term, matching :class:`Views`.pinyin."""
    return "".join(pinyin_of(c) if c > "\x7f" else c for c in _COMPACT_DROP.sub("", term))


def initials_key(term: str) -> str:
    """Pinyin initials of a (normalised) term, matching :class:`Views`.initials."""
    return "".join((pinyin_of(c) if c > "\x7f" else c)[0] for c in _COMPACT_DROP.sub("", term))


# --- batch matching streams -----------------------------------------------------------------------


class _CapSyllableMap(dict[int, str]):
    """Like ``_SYLLABLES`` but with the first letter of every syllable upper-case.

    One ``translate`` then gives both the pinyin stream (lower-cased) and where each syllable
    starts (the characters that are not lower-case ASCII letters).
    """

    def __missing__(self, cp: int) -> str:
        syllable = _SYLLABLES[cp]
        value = syllable[0].upper() + syllable[1:] if syllable.isascii() and syllable.isalpha() else syllable
        self[cp] = value
        return value


_CAP_SYLLABLES = _CapSyllableMap({ord("\n"): "\n"})

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _codes(text: str) -> npt.NDArray[np.uint32]:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _is_cjk(codes: npt.NDArray[np.uint32]) -> BoolArray:
    out: BoolArray = (
        ((codes >= 0x3400) & (codes <= 0x4DBF))
        | ((codes >= 0x4E00) & (codes <= 0x9FFF))
        | ((codes >= 0xF900) & (codes <= 0xFAFF))
        | ((codes >= 0x20000) & (codes <= 0x2FFFF))
    )
    return out


def _is_ascii_alnum(codes: npt.NDArray[np.uint32]) -> BoolArray:
    out: BoolArray = ((codes >= 0x61) & (codes <= 0x7A)) | ((codes >= 0x30) & (codes <= 0x39))
    return out


class Utf8:
    """A string's UTF-8 bytes and the map from byte offsets back to character offsets.

    The automata run on bytes: ahocorasick_rs's ``str`` interface converts offsets per match and
    costs several times more on CJK text than the matching itself.
    """

    __slots__ = ("data", "to_char")

    def __init__(self, text: str, codes: npt.NDArray[np.uint32]) -> None:
        self.data = text.encode("utf-8", "surrogatepass")
        self.to_char: IntArray | None = None
        if len(self.data) != codes.shape[0]:
            width = 1 + (codes >= 0x80).astype(np.int64) + (codes >= 0x800) + (codes >= 0x10000)
            starts = np.zeros(codes.shape[0] + 1, dtype=np.int64)
            np.cumsum(width, out=starts[1:])
            inv = np.full(len(self.data) + 1, -1, dtype=np.int64)
            inv[starts] = np.arange(codes.shape[0] + 1, dtype=np.int64)
            self.to_char = inv

    def chars(self, offsets: IntArray) -> IntArray:
        """Character offsets of byte offsets that fall on character boundaries."""
        return offsets if self.to_char is None else self.to_char[offsets]


class _PinyinTable:
    """The syllables of :data:`_SYLLABLES` as arrays, for spelling a whole batch without ``translate``.

    ``ids[cp]`` is the syllable id of code point ``cp`` (-1 until first seen; the compact views hold
    only ASCII letters and digits, Hanzi up to U+2FFFF and newlines); syllable ``k`` is
    ``codes[start[k]:start[k] + length[k]]``. Filled lazily under a lock: a reader takes ``ids``
    first and the packed arrays after, and a writer publishes the packed arrays before the ids, so a
    reader never sees an id whose syllable is missing.
    """

    def __init__(self) -> None:
        self.ids = np.full(0x30000, -1, dtype=np.int64)
        self._index: dict[str, int] = {}
        self._syllables: list[str] = []
        empty = np.zeros(0, dtype=np.int64)
        self.packed: tuple[IntArray, IntArray, npt.NDArray[np.uint32]] = (empty, empty, np.zeros(0, dtype=np.uint32))
        self._lock = threading.Lock()

    def lookup(self, codes: npt.NDArray[np.uint32]) -> tuple[IntArray, IntArray, IntArray, npt.NDArray[np.uint32]]:
        """``(ids, start, length, codes)`` for the characters ``codes``."""
        ids = self.ids[codes]
        if ids.shape[0] and int(ids.min()) < 0:
            with self._lock:
                new: list[tuple[int, int]] = []
                for cp in np.unique(codes[ids < 0]).tolist():
                    syllable = _SYLLABLES[cp]
                    k = self._index.get(syllable)
                    if k is None:
                        k = self._index[syllable] = len(self._syllables)
                        self._syllables.append(syllable)
                    new.append((cp, k))
                length = np.array([len(x) for x in self._syllables], dtype=np.int64)
                start = np.zeros(length.shape[0], dtype=np.int64)
                np.cumsum(length[:-1], out=start[1:])
                self.packed = (start, length, _codes("".join(self._syllables)))
                for cp, k in new:
                    self.ids[cp] = k
            ids = self.ids[codes]
        start, length, packed = self.packed
        return ids, start, length, packed


_PINYIN_TABLE = _PinyinTable()


class Streams:
    """The matching views of a batch of normalised texts, joined by newlines, with index maps.

    The batch counterpart of :class:`Views`: ``compact``, ``pinyin`` and ``initials`` are the views
    of every text joined with ``"\\n"`` (no lexicon key contains one, so no hit crosses texts).

    Attributes:
        compact_to_norm: Position in the joined normalised text of every compact character.
        norm_start: Where each text starts in the joined normalised text.
        pinyin_to_compact: For a pinyin position that starts a syllable (or the end), the compact
            index of its character; -1 inside a syllable.
        non_ascii_cum: Prefix counts of non-ASCII compact characters.
        initials_differ: Per text, whether its initials view differs from its compact view.
    """

    __slots__ = (
        "_alnum",
        "_newlines",
        "compact",
        "compact_to_norm",
        "compact_utf8",
        "initials",
        "initials_differ",
        "initials_utf8",
        "non_ascii_cum",
        "norm_start",
        "pinyin",
        "pinyin_to_compact",
        "pinyin_utf8",
    )

    def __init__(self, normalized: Sequence[str]) -> None:
        normalized = [t.replace("\n", " ") if "\n" in t else t for t in normalized]
        lengths = np.fromiter((len(t) for t in normalized), dtype=np.int64, count=len(normalized))
        self.norm_start = np.zeros(len(normalized), dtype=np.int64)
        if len(normalized) > 1:
            self.norm_start[1:] = np.cumsum(lengths[:-1] + 1)
        codes = _codes("\n".join(normalized))
        alnum = _is_ascii_alnum(codes)
        self._alnum = alnum
        keep = alnum | _is_cjk(codes) | (codes == 0x0A)
        self.compact_to_norm: IntArray = np.flatnonzero(keep).astype(np.int64)
        ccodes = codes[self.compact_to_norm]
        self.compact = ccodes.tobytes().decode("utf-32-le", "surrogatepass")
        self._newlines: IntArray = np.flatnonzero(ccodes == 0x0A).astype(np.int64)
        # The pinyin view spelled with array gathers (each compact character's syllable), not
        # ``str.translate``: several times cheaper on a batch; :class:`SingleStreams` translates.
        ids, syl_start, syl_length, syl_codes = _PINYIN_TABLE.lookup(ccodes)
        lengths_p = syl_length[ids]
        first = syl_start[ids]
        pcodes = syl_codes[ranges(first, lengths_p)]
        self.pinyin = pcodes.tobytes().decode("utf-32-le", "surrogatepass")
        starts = np.cumsum(lengths_p) - lengths_p
        inv = np.full(pcodes.shape[0] + 1, -1, dtype=np.int64)
        inv[starts] = np.arange(starts.shape[0], dtype=np.int64)
        inv[pcodes.shape[0]] = ccodes.shape[0]
        self.pinyin_to_compact = inv
        icodes = syl_codes[first]
        self.initials = icodes.tobytes().decode("utf-32-le", "surrogatepass")
        non_ascii = ccodes > 0x7F
        self.non_ascii_cum = np.zeros(ccodes.shape[0] + 1, dtype=np.int64)
        np.cumsum(non_ascii, out=self.non_ascii_cum[1:])
        self.compact_utf8 = Utf8(self.compact, ccodes)
        self.pinyin_utf8 = Utf8(self.pinyin, pcodes)
        self.initials_utf8 = Utf8(self.initials, icodes)
        differ = np.flatnonzero(icodes != ccodes)
        self.initials_differ = np.zeros(len(normalized), dtype=bool)
        self.initials_differ[self.text_of(differ)] = True

    def text_of(self, compact_index: IntArray) -> IntArray:
        """Which text each compact index belongs to."""
        out: IntArray = np.searchsorted(self._newlines, compact_index).astype(np.int64)
        return out

    def boundary_ok(self, cs: IntArray, ce: IntArray) -> BoolArray:
        """Whether the normalised spans of compact ``[cs, ce)`` sit on Latin word boundaries."""
        a = self.compact_to_norm[cs]
        b = self.compact_to_norm[ce - 1] + 1
        n = self._alnum.shape[0]
        before = self._alnum[np.maximum(a - 1, 0)] & (a > 0)
        after = self._alnum[np.minimum(b, n - 1)] & (b < n)
        out: BoolArray = ~(before | after)
        return out


def compact_streams(normalized: Sequence[str]) -> Streams:
    """The :class:`Streams` of a batch of normalised texts (none may contain a newline)."""
    return Streams(normalized)


class SingleStreams:
    """The matching views of one normalised text as plain lists (no per-batch array overhead).

    Attributes:
        compact, pinyin, initials: As in :class:`Views`.
        compact_to_norm: Position in the normalised text of every compact character.
        pinyin_to_compact: As in :class:`Streams`.
        initials_differ: Whether ``initials`` differs from ``compact``.
    """

    __slots__ = ("compact", "compact_to_norm", "initials", "initials_differ", "pinyin", "pinyin_to_compact")

    def __init__(self, normalized: str) -> None:
        c2n: list[int] = []
        for m in _COMPACT_KEEP.finditer(normalized):
            c2n.extend(range(m.start(), m.end()))
        self.compact_to_norm = c2n
        self.compact = compact = _COMPACT_DROP.sub("", normalized)
        capped = compact.translate(_CAP_SYLLABLES)
        self.pinyin = capped.lower()
        pcodes = _codes(capped)
        starts = np.flatnonzero(~((pcodes >= 0x61) & (pcodes <= 0x7A)))
        inv = np.full(pcodes.shape[0] + 1, -1, dtype=np.int64)
        inv[starts] = np.arange(starts.shape[0], dtype=np.int64)
        inv[pcodes.shape[0]] = starts.shape[0]
        self.pinyin_to_compact: list[int] = inv.tolist()
        icodes = pcodes[starts]
        upper = (icodes >= 0x41) & (icodes <= 0x5A)
        self.initials = np.where(upper, icodes | 0x20, icodes).astype(np.uint32).tobytes().decode("utf-32-le")
        self.initials_differ = self.initials != compact
