"""Feature extraction shared by training (scripts/screening) and run-time scoring.

Two blocks:

* hashed character n-grams (1..4) of the normalised text, computed vectorised in numpy with a
  multiply-shift hash so that scoring is a gather-and-sum over a weight table;
* a small dense block: lexicon category weights, indicator counts and flags.

The definition here is the contract between the training scripts and the shipped weights; change it
only together with a retrain (``FEATURE_VERSION``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from fanzha.screening.indicators import Indicator
from fanzha.screening.lexicon import Term

FEATURE_VERSION = 1
NGRAM_MAX = 4
HASH_BITS = 18

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
    """Hashes of many texts at once: ``(indices, offsets)`` with text ``i`` at ``offsets[i]:offsets[i+1]``."""
    chunks = [ngram_hashes(t, bits) for t in texts]
    offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
    if chunks:
        offsets[1:] = np.cumsum([c.shape[0] for c in chunks])
        return np.concatenate(chunks), offsets
    return np.zeros(0, dtype=np.int64), offsets


def dense_names(categories: Sequence[str]) -> list[str]:
    """Names of the dense features, in order."""
    names = [f"lex:{c}" for c in categories]
    names += [f"ind:{t}" for t in INDICATOR_TYPES]
    names += [f"flag:{f}" for f in INDICATOR_FLAGS]
    names += ["len:log", "script:cjk_share", "lex:distinct_categories"]
    return names


def dense_features(
    text: str,
    categories: Sequence[str],
    matches: Sequence[tuple[Term, int, int, str]],
    indicators: Sequence[Indicator],
) -> npt.NDArray[np.float32]:
    """The dense block for one normalised text."""
    index = {c: i for i, c in enumerate(categories)}
    n_cat = len(categories)
    out = np.zeros(n_cat + len(INDICATOR_TYPES) + len(INDICATOR_FLAGS) + 3, dtype=np.float32)
    seen_terms: set[tuple[str, str]] = set()
    for term, _a, _b, via in matches:
        key = (term.term, term.category)
        if key in seen_terms:
            continue
        seen_terms.add(key)
        factor = 1.0 if via == "text" else 0.8
        out[index[term.category]] += abs(term.weight) * factor
    np.minimum(out[:n_cat], 3.0, out=out[:n_cat])
    base = n_cat
    for ind in indicators:
        if ind.type in INDICATOR_TYPES:
            out[base + INDICATOR_TYPES.index(ind.type)] += 1.0
        for flag in ind.flags:
            name = flag.split(":", 1)[0]
            if name in INDICATOR_FLAGS:
                out[base + len(INDICATOR_TYPES) + INDICATOR_FLAGS.index(name)] = 1.0
    np.minimum(out[base : base + len(INDICATOR_TYPES)], 2.0, out=out[base : base + len(INDICATOR_TYPES)])
    tail = base + len(INDICATOR_TYPES) + len(INDICATOR_FLAGS)
    out[tail] = math.log1p(len(text)) / 5.0
    if text:
        out[tail + 1] = len(_HAN.findall(text)) / len(text)
    out[tail + 2] = min(len({k[1] for k in seen_terms}), 6) / 3.0
    return out
