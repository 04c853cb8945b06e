"""The numpy helpers of the batch code against the numpy functions they replace."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fanzha.screening._arrays import member_of, unique_ints

_INTS = st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=60)
_SMALL = st.lists(st.integers(min_value=-5, max_value=20), max_size=60)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_INTS, _SMALL))
def test_unique_ints_equals_np_unique(values: list[int]) -> None:
    a = np.array(values, dtype=np.int64)
    got = unique_ints(a)
    assert got.dtype == np.int64
    assert np.array_equal(got, np.unique(a))


@settings(max_examples=300, deadline=None)
@given(_SMALL, _SMALL)
def test_member_of_equals_np_isin(values: list[int], pool: list[int]) -> None:
    a = np.array(values, dtype=np.int64)
    b = np.array(pool, dtype=np.int64)
    got = member_of(a, b)
    assert got.dtype == np.bool_
    assert np.array_equal(got, np.isin(a, b))


def test_helpers_on_edge_cases() -> None:
    assert unique_ints(np.array([3, 1, 3, 3, -2, 1], dtype=np.int64)).tolist() == [-2, 1, 3]
    assert unique_ints(np.zeros(0, dtype=np.int64)).tolist() == []
    assert member_of(np.array([1, 5, 9], dtype=np.int64), np.array([9, 1, 1], dtype=np.int64)).tolist() == [
        True,
        False,
        True,
    ]
    assert member_of(np.array([1], dtype=np.int64), np.zeros(0, dtype=np.int64)).tolist() == [False]
    assert member_of(np.array([10], dtype=np.int64), np.array([3], dtype=np.int64)).tolist() == [False]
