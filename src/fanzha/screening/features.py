"""Feature extraction shared by training (scripts/screening) and run-time scoring.

Two blocks:

* hashed character n-grams (1..4) of the normalised text, computed vectorised in numpy with a
  multiply-shift hash so that scoring is a gather-and-sum over a weight table;
* a small dense block: lexicon category weights, indicator counts and flags, and a few
  co-occurrence products (``co:*``) of those: a linear model cannot express "money request AND
  urgency AND channel switch" from the separate columns, and that conjunction, not any one word,
  is what marks a scam across typologies (domain-requirements §5, cross-type tells); likewise
  scam words inside anti-fraud warnings or news reports.

The definition here is the contract between the training scripts and the shipped weights; change it
only together with a retrain (``FEATURE_VERSION``).
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from fanzha.screening._arrays import member_of, ranges, unique_ints
from fanzha.screening.lexicon import BatchHits, Term

FEATURE_VERSION = 2
NGRAM_MAX = 4
HASH_BITS = 18
NGRAM_SCALE_KNEE = 800
"""N-gram count (about 200 characters) above which the n-gram sum is averaged rather than divided by
its square root: a sum over ``n`` n-grams divided by ``sqrt(n)`` keeps growing with the length, so
long articles (news reports about fraud quote many scam words) drifted towards "fraud" whatever
they said. Below the knee the scale is ``1/sqrt(n)`` as before; above it ``sqrt(knee)/n`` (continuous)."""
LENGTH_CAP = 200
DENSITY_KNEE = 400
"""Texts longer than this many characters have their lexicon sums scaled by ``sqrt(knee/len)``: a
1,500-character news report that quotes a dozen scam phrases is not as dense in them as a 100-character
message with five, and counting every hit alike made long articles about fraud look like fraud."""
"""The ``len:log`` feature stops growing at this many characters (longer texts than the training
messages must not extrapolate a length weight)."""

_MULT = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93],
    dtype=np.uint64,
)
_MIX = np.uint64(0xFF51AFD7ED558CCD)

INDICATOR_TYPES = (
    "phone",
    "url",
    "domain",
    "email",
    "wechat",
    "qq",
    "telegram",
    "whatsapp",
    "bank_card",
    "payment_qr",
    "crypto_address",
)
_HAN = re.compile("[\u4e00-\u9fff]")
INDICATOR_FLAGS = ("virtual_operator", "data_or_iot", "iot", "punycode", "risky_tld", "shortener", "lookalike")
COOCCURRENCE = (
    "co:contact*money",
    "co:urgency*money",
    "co:contact*urgency*money",
    "co:money*scheme",
    "co:link*urgency",
    "co:warning*scheme",
    "co:news*scheme",
    "co:notice*scheme",
    "co:contact*scheme",
)
"""Products of the capped (0..1) presence of: a channel switch (lexicon or messenger handle), a money
request, urgency, a link, a typology script (any ``T*`` category), anti-fraud warning wording, news
wording and genuine-notice wording. ``contact*scheme`` separates "I am an officer of the anti-fraud
centre, add my WeChat" (a script) from a warning that uses the same words."""
_CONTACT_TYPES = ("wechat", "qq", "telegram", "whatsapp")


def ngram_hashes(text: str, bits: int = HASH_BITS) -> npt.NDArray[np.int64]:
    """Bucket indices of every character 1..NGRAM_MAX-gram of `` text `` (padded with spaces)."""
    padded = f" {text} "
    codes = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = codes.shape[0]
    parts: list[npt.NDArray[np.uint64]] = []
    acc = codes * _MULT[0]
    parts.append(acc)
    for k in range(1, NGRAM_MAX):
        if n - k <= 0:
            break
        acc = (acc[:-1] ^ (codes[k:] * _MULT[k])) * _MIX
        parts.append(acc)
    allh = np.concatenate(parts)
    allh ^= allh >> np.uint64(31)
    allh *= _MULT[1]
    return (allh >> np.uint64(64 - bits)).astype(np.int64)


def batch_ngram_hashes(
    texts: Sequence[str], bits: int = HASH_BITS
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Hashes of many texts at once: ``(indices, offsets)`` with text ``i`` at ``offsets[i]:offsets[i+1]``.

    Text ``i``'s block equals ``ngram_hashes(texts[i])`` element for element: the padded texts are
    concatenated, every order is hashed over the whole buffer in one pass, and the windows that
    lie inside one padded text are gathered back in per-text, order-by-order layout.
    """
    n_texts = len(texts)
    offsets = np.zeros(n_texts + 1, dtype=np.int64)
    if not n_texts:
        return np.zeros(0, dtype=np.int64), offsets
    if n_texts == 1:
        one = ngram_hashes(texts[0], bits)
        offsets[1] = one.shape[0]
        return one, offsets
    padded_len = np.fromiter((len(t) + 2 for t in texts), dtype=np.int64, count=n_texts)
    starts = np.zeros(n_texts, dtype=np.int64)
    np.cumsum(padded_len[:-1], out=starts[1:])
    joined = "".join([f" {t} " for t in texts])
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    total = codes.shape[0]
    acc = codes * _MULT[0]
    parts = [acc]
    for k in range(1, NGRAM_MAX):
        acc = (acc[:-1] ^ (codes[k:] * _MULT[k])) * _MIX
        parts.append(acc)
    allh = np.concatenate(parts)
    allh ^= allh >> np.uint64(31)
    allh *= _MULT[1]
    allh >>= np.uint64(64 - bits)
    # Order k+1 starts at base[k] in allh; text i has max(0, n_i - k) windows of that order.
    base = np.array([k * total - k * (k - 1) // 2 for k in range(NGRAM_MAX)], dtype=np.int64)
    orders = np.arange(NGRAM_MAX, dtype=np.int64)
    lengths = np.maximum(padded_len[:, None] - orders[None, :], 0)
    idx = ranges((starts[:, None] + base[None, :]).ravel(), lengths.ravel())
    np.cumsum(lengths.sum(axis=1), out=offsets[1:])
    return allh[idx].astype(np.int64), offsets


def lexicon_density(length: int) -> float:
    """The factor on a text's lexicon sums (1 up to ``DENSITY_KNEE`` characters)."""
    return 1.0 if length <= DENSITY_KNEE else math.sqrt(DENSITY_KNEE / length)


def ngram_scale(counts: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
    """Per-text factor applied to the summed n-gram weights (see ``NGRAM_SCALE_KNEE``)."""
    n = np.maximum(counts, 1).astype(np.float64)
    scale = np.where(n <= NGRAM_SCALE_KNEE, 1.0 / np.sqrt(n), math.sqrt(NGRAM_SCALE_KNEE) / n)
    out: npt.NDArray[np.float32] = scale.astype(np.float32)
    return out


def dense_names(categories: Sequence[str]) -> list[str]:
    """Names of the dense features, in order."""
    names = [f"lex:{c}" for c in categories]
    names += [f"ind:{t}" for t in INDICATOR_TYPES]
    names += [f"flag:{f}" for f in INDICATOR_FLAGS]
    names += ["len:log", "script:cjk_share", "lex:distinct_categories"]
    names += list(COOCCURRENCE)
    return names


@lru_cache(maxsize=32)
def _cooc_columns(categories: tuple[str, ...]) -> tuple[tuple[int, ...], ...]:
    """Columns of the dense block that feed :func:`_cooccurrence` (-1: absent from ``categories``)."""
    index = {c: i for i, c in enumerate(categories)}
    base = len(categories)

    def lex(name: str) -> tuple[int, ...]:
        return (index.get(name, -1),)

    scheme = tuple(i for c, i in index.items() if len(c) > 2 and c[0] == "T" and c[1:3].isdigit())
    contact = lex("contact_diversion") + tuple(base + INDICATOR_TYPES.index(t) for t in _CONTACT_TYPES)
    link = tuple(base + INDICATOR_TYPES.index(t) for t in ("url", "domain"))
    return (
        contact,
        lex("money_request"),
        lex("urgency"),
        link,
        scheme or (-1,),
        lex("warning_context"),
        lex("news_report"),
        lex("legit_notice"),
    )


def _cooccurrence(block: npt.NDArray[np.float32], categories: Sequence[str]) -> npt.NDArray[np.float32]:
    """The ``co:*`` products of a dense block's first columns (``(N, D0)`` -> ``(N, 8)``), in float32.

    One function for the batch and the one-text path, so both give the same bits.
    """
    n = block.shape[0]
    padded = np.concatenate([block, np.zeros((n, 1), dtype=np.float32)], axis=1)  # column -1 reads 0
    one = np.float32(1.0)
    contact, money, urgency, link, scheme, warning, news, notice = (
        np.minimum(padded[:, list(cols)].max(axis=1), one) for cols in _cooc_columns(tuple(categories))
    )
    out = np.empty((n, len(COOCCURRENCE)), dtype=np.float32)
    out[:, 0] = contact * money
    out[:, 1] = urgency * money
    out[:, 2] = contact * urgency * money
    out[:, 3] = money * scheme
    out[:, 4] = link * urgency
    out[:, 5] = warning * scheme
    out[:, 6] = news * scheme
    out[:, 7] = notice * scheme
    out[:, 8] = contact * scheme
    return out


def _cooccurrence_row(values: Sequence[float], categories: Sequence[str]) -> list[float]:
    """:func:`_cooccurrence` of one row on plain floats (numpy's per-call cost dominates for one).

    ``values`` must already be float32 values. A product of two of them is exact in float64, so
    rounding it once to float32 (``array('f')``) gives numpy's float32 product bit for bit; the
    triple product is rounded after each step, as numpy evaluates it.
    """
    groups = [min(max([values[c] if c >= 0 else 0.0 for c in cols]), 1.0) for cols in _cooc_columns(tuple(categories))]
    contact, money, urgency, link, scheme, warning, news, notice = groups
    contact_urgency = array("f", [contact * urgency])[0]
    return array(
        "f",
        [
            contact * money,
            urgency * money,
            contact_urgency * money,
            money * scheme,
            link * urgency,
            warning * scheme,
            news * scheme,
            notice * scheme,
            contact * scheme,
        ],
    ).tolist()


def dense_features(
    text: str,
    categories: Sequence[str],
    matches: Sequence[tuple[Term, int, int, str]],
    indicators: Sequence[tuple[str, tuple[str, ...]]],
) -> npt.NDArray[np.float32]:
    """The dense block for one normalised text; ``indicators`` are ``(type, flags)`` pairs.

    The one-text path of :func:`dense_block` (the tests check that both agree).
    """
    index = {c: i for i, c in enumerate(categories)}
    matches = [m for m in matches if m[0].category in index]
    n_cat = len(categories)
    out = np.zeros(n_cat + len(INDICATOR_TYPES) + len(INDICATOR_FLAGS) + 3 + len(COOCCURRENCE), dtype=np.float32)
    seen_terms: set[tuple[str, str]] = set()
    for term, _a, _b, via in matches:
        key = (term.term, term.category)
        if key in seen_terms:
            continue
        seen_terms.add(key)
        factor = 1.0 if via == "text" else 0.8
        out[index[term.category]] += abs(term.weight) * factor
    out[:n_cat] *= np.float32(lexicon_density(len(text)))
    np.minimum(out[:n_cat], 3.0, out=out[:n_cat])
    base = n_cat
    for kind, flags in indicators:
        if kind in INDICATOR_TYPES:
            out[base + INDICATOR_TYPES.index(kind)] += 1.0
        for flag in flags:
            name = flag.split(":", 1)[0]
            if name in INDICATOR_FLAGS:
                out[base + len(INDICATOR_TYPES) + INDICATOR_FLAGS.index(name)] = 1.0
    np.minimum(out[base : base + len(INDICATOR_TYPES)], 2.0, out=out[base : base + len(INDICATOR_TYPES)])
    tail = base + len(INDICATOR_TYPES) + len(INDICATOR_FLAGS)
    out[tail] = math.log1p(min(len(text), LENGTH_CAP)) / 5.0
    if text:
        out[tail + 1] = len(_HAN.findall(text)) / len(text)
    out[tail + 2] = min(len({k[1] for k in seen_terms}), 6) / 3.0
    out[tail + 3 :] = _cooccurrence_row(out[: tail + 3].tolist(), categories)
    return out


@lru_cache(maxsize=32)
def _columns(categories: tuple[str, ...], lexicon_categories: tuple[str, ...]) -> tuple[int, ...]:
    """For every lexicon category, its column in a model's dense block (-1: not a model feature)."""
    column = {c: i for i, c in enumerate(categories)}
    return tuple(column.get(c, -1) for c in lexicon_categories)


_TYPE_INDEX = {t: i for i, t in enumerate(INDICATOR_TYPES)}
_FLAG_INDEX = {f: i for i, f in enumerate(INDICATOR_FLAGS)}


def dense_one(
    text: str,
    categories: Sequence[str],
    lexicon_categories: Sequence[str],
    terms: Sequence[int],
    vias: Sequence[int],
    term_category: Sequence[int],
    term_weight: Sequence[float],
    indicators: Sequence[tuple[str, tuple[str, ...]]],
) -> npt.NDArray[np.float32]:
    """:func:`dense_block` of one text on plain lists (numpy's per-call overhead dominates for one).

    ``terms``/``vias`` are the text's lexicon hits (term ids, ``VIA`` indices). The lexicon sums are
    taken in term-id order in float64 and cast once, as ``dense_block``'s ``bincount`` does, so the
    two agree bit for bit (the tests check it).
    """
    n_cat = len(categories)
    to_column = _columns(tuple(categories), tuple(lexicon_categories))
    direct: dict[int, bool] = {}
    for t, v in zip(terms, vias, strict=True):
        if to_column[term_category[t]] >= 0:
            direct[t] = direct.get(t, False) or v == 0
    lex = [0.0] * n_cat
    columns: set[int] = set()
    for t in sorted(direct):
        col = to_column[term_category[t]]
        lex[col] += abs(term_weight[t]) * (1.0 if direct[t] else 0.8)
        columns.add(col)
    types = [0.0] * len(INDICATOR_TYPES)
    flags = [0.0] * len(INDICATOR_FLAGS)
    for kind, found in indicators:
        j = _TYPE_INDEX.get(kind)
        if j is not None:
            types[j] += 1.0
        for flag in found:
            f = _FLAG_INDEX.get(flag.split(":", 1)[0])
            if f is not None:
                flags[f] = 1.0
    n = len(text)
    han = 0
    if n:
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        han = int(np.count_nonzero((codes >= 0x4E00) & (codes <= 0x9FFF)))
    density = lexicon_density(len(text))
    values = [min(x * density, 3.0) for x in lex] + [min(x, 2.0) for x in types] + flags
    values += [math.log1p(min(n, LENGTH_CAP)) / 5.0, han / max(n, 1), min(len(columns), 6) / 3.0]
    values = array("f", values).tolist()  # float32 values, as the batch block holds them
    values += _cooccurrence_row(values, categories)
    return np.array(values, dtype=np.float32)


def dense_block(
    normalized: Sequence[str],
    categories: Sequence[str],
    lexicon_categories: Sequence[str],
    hits: BatchHits,
    term_category: npt.NDArray[np.int64],
    term_weight: npt.NDArray[np.float64],
    indicators: Sequence[Sequence[tuple[str, tuple[str, ...]]]],
) -> npt.NDArray[np.float32]:
    """:func:`dense_features` for a whole batch, computed on arrays (``(N, D)``).

    ``indicators[i]`` lists ``(type, flags)`` of text ``i``; ``term_category`` indexes
    ``lexicon_categories``; the lexicon columns follow ``categories`` (the model's order).
    """
    n = len(normalized)
    n_cat = len(categories)
    out = np.zeros((n, n_cat + len(INDICATOR_TYPES) + len(INDICATOR_FLAGS) + 3 + len(COOCCURRENCE)), dtype=np.float32)
    column = {c: i for i, c in enumerate(categories)}
    to_column = np.array([column.get(c, -1) for c in lexicon_categories], dtype=np.int64)
    n_distinct = np.zeros(n, dtype=np.float32)
    if hits.term.shape[0]:
        col = to_column[term_category[hits.term]]
        known = col >= 0
        text, term, col, via = hits.text[known], hits.term[known], col[known], hits.via[known]
        # One contribution per distinct term and text; a homophone-only term counts 0.8.
        n_terms = np.int64(term_weight.shape[0])
        pair = text * n_terms + term
        pairs = unique_ints(pair)
        direct = member_of(pairs, pair[via == 0])
        p_text = pairs // n_terms
        p_term = pairs % n_terms
        weight = np.abs(term_weight[p_term]) * np.where(direct, 1.0, 0.8)
        cell = p_text * n_cat + to_column[term_category[p_term]]
        lex = np.bincount(cell, weights=weight, minlength=n * n_cat).reshape(n, n_cat)
        density = np.fromiter((lexicon_density(len(t)) for t in normalized), dtype=np.float64, count=n)
        out[:, :n_cat] = np.minimum(lex * density[:, None], 3.0)
        cats = unique_ints(text * n_cat + col)
        n_distinct = np.bincount(cats // n_cat, minlength=n).astype(np.float32)
    base = n_cat
    type_index = {t: i for i, t in enumerate(INDICATOR_TYPES)}
    flag_index = {f: i for i, f in enumerate(INDICATOR_FLAGS)}
    for i, found in enumerate(indicators):
        for kind, flags in found:
            j = type_index.get(kind)
            if j is not None:
                out[i, base + j] += 1.0
            for flag in flags:
                f = flag_index.get(flag.split(":", 1)[0])
                if f is not None:
                    out[i, base + len(INDICATOR_TYPES) + f] = 1.0
    np.minimum(out[:, base : base + len(INDICATOR_TYPES)], 2.0, out=out[:, base : base + len(INDICATOR_TYPES)])
    tail = base + len(INDICATOR_TYPES) + len(INDICATOR_FLAGS)
    lengths = np.fromiter((len(t) for t in normalized), dtype=np.float64, count=n)
    out[:, tail] = np.log1p(np.minimum(lengths, LENGTH_CAP)) / 5.0
    out[:, tail + 1] = _han_counts(normalized) / np.maximum(lengths, 1.0)
    out[:, tail + 2] = np.minimum(n_distinct, 6.0) / 3.0
    out[:, tail + 3 :] = _cooccurrence(out[:, : tail + 3], categories)
    return out


def _han_counts(texts: Sequence[str]) -> npt.NDArray[np.float64]:
    """Characters in U+4E00..U+9FFF per text (the ``script:cjk_share`` numerator)."""
    joined = "".join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cum = np.zeros(codes.shape[0] + 1, dtype=np.float64)
    np.cumsum((codes >= 0x4E00) & (codes <= 0x9FFF), out=cum[1:])
    ends = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts)), out=ends[1:])
    out: npt.NDArray[np.float64] = cum[ends[1:]] - cum[ends[:-1]]
    return out
