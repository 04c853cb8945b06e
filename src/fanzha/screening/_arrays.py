"""Small numpy helpers shared by the batch code."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def ranges(starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``concatenate([arange(s, s + n) for s, n in zip(starts, lengths)])`` without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shift = np.cumsum(lengths) - lengths
    out: npt.NDArray[np.int64] = np.repeat(starts - shift, lengths) + np.arange(total, dtype=np.int64)
    return out


def unique_ints(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``np.unique(values)`` of a 1-D integer array, by sorting.

    The same sorted distinct values; numpy 2's hash-based ``np.unique`` costs several times more on
    the few-thousand-element arrays of a batch.
    """
    out = np.sort(values)
    if out.shape[0] > 1:
        keep = np.empty(out.shape[0], dtype=bool)
        keep[0] = True
        np.not_equal(out[1:], out[:-1], out=keep[1:])
        out = out[keep]
    return out


def member_of(values: npt.NDArray[np.int64], pool: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """``np.isin(values, pool)`` for integer arrays, by a binary search in the sorted distinct ``pool``."""
    sorted_pool = unique_ints(pool)
    if sorted_pool.shape[0] == 0:
        return np.zeros(values.shape[0], dtype=bool)
    at = np.minimum(np.searchsorted(sorted_pool, values), sorted_pool.shape[0] - 1)
    out: npt.NDArray[np.bool_] = sorted_pool[at] == values
    return out
