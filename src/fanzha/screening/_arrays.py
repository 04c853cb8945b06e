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
