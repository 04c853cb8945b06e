"""Featurisation and fitting shared by train.py and evaluate.py (training-time only: uses sklearn)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from fanzha.screening.features import HASH_BITS, dense_names, ngram_scale  # noqa: E402
from fanzha.screening.lexicon import get_lexicon  # noqa: E402
from fanzha.screening.model import LinearModel  # noqa: E402
from fanzha.screening.pipeline import Features, featurise, logits  # noqa: E402

SEED = 20261129
_CHUNK = 512


def analyse_all(texts: Sequence[str]) -> list[Features]:
    """Run-time features of ``texts``, in batches (the same code path as ``screen_many``)."""
    return [featurise(texts[i : i + _CHUNK]) for i in range(0, len(texts), _CHUNK)]


def matrix(batches: Sequence[Features], categories: Sequence[str]) -> sp.csr_matrix:
    """``[hashed n-gram counts * ngram_scale(#ngrams) | dense block]`` exactly as the run-time scorer sees it."""
    n_hash = 1 << HASH_BITS
    blocks = []
    for f in batches:
        counts = np.diff(f.offsets)
        data = np.repeat(ngram_scale(counts), counts)
        hashed = sp.csr_matrix((data, f.hashes.copy(), f.offsets.copy()), shape=(len(f.normalized), n_hash))
        hashed.sum_duplicates()
        blocks.append(sp.hstack([hashed, sp.csr_matrix(f.dense(categories))], format="csr"))
    return sp.vstack(blocks, format="csr")


def fit(
    name: str,
    x: sp.csr_matrix,
    y: Sequence[int] | Sequence[str],
    classes: Sequence[str] | None,
    c: float,
    meta: dict[str, object],
    sample_weight: np.ndarray | None = None,
) -> LinearModel:
    """Fit a logistic regression and export it as a :class:`LinearModel` (threshold set later)."""
    categories = get_lexicon().categories
    n_hash = 1 << HASH_BITS
    clf = LogisticRegression(
        C=c,
        max_iter=2000,
        class_weight="balanced",
        random_state=SEED,
        solver="liblinear" if classes is None else "lbfgs",
    )
    clf.fit(x, np.asarray(y), sample_weight=sample_weight)
    coef = clf.coef_.astype(np.float32)
    if classes is None:
        names: tuple[str, ...] = ("positive",)
    else:
        names = tuple(str(k) for k in clf.classes_)
    weights = coef[:, :n_hash].T.copy()
    dense_w = coef[:, n_hash:].T.copy()
    return LinearModel(
        name=name,
        classes=names,
        weights=np.ascontiguousarray(weights),
        dense_weights=np.ascontiguousarray(dense_w),
        bias=clf.intercept_.astype(np.float32),
        dense_names=tuple(dense_names(categories)),
        categories=tuple(categories),
        threshold=0.5,
        bits=HASH_BITS,
        meta=meta,
    )


def probs(model: LinearModel, batches: Sequence[Features]) -> np.ndarray:
    """Run-time scoring path (numpy, no sklearn) on featurised batches."""
    from fanzha.screening.pipeline import _sigmoid, _softmax

    out = np.concatenate([logits(model, f) for f in batches])
    return _sigmoid(out[:, 0]) if model.binary else _softmax(out)


def best_threshold(p: np.ndarray, y: np.ndarray) -> float:
    """Threshold maximising F1 on validation rows."""
    grid = np.linspace(0.05, 0.95, 91)
    scores = []
    for t in grid:
        pred = p >= t
        tp = float(np.sum(pred & (y == 1)))
        fp = float(np.sum(pred & (y == 0)))
        fn = float(np.sum(~pred & (y == 1)))
        scores.append(2 * tp / max(1.0, 2 * tp + fp + fn))
    best = max(scores)
    # A quarter into the best plateau: on synthetic validation text the plateau is wide, and fresh
    # text scores lower than the generator's own phrasings, so stay near its lower edge.
    ties = [float(t) for t, f in zip(grid, scores, strict=True) if f >= best - 1e-9]
    return ties[len(ties) // 4]
