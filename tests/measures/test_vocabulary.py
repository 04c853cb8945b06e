from __future__ import annotations

import pytest
from pydantic import ValidationError

from fanzha.measures import vocabulary
from fanzha.measures.schemas import MeasureSpec


@pytest.fixture
def restore_functions() -> object:
    saved = set(vocabulary._DECLARED_FUNCTIONS)
    yield None
    vocabulary._DECLARED_FUNCTIONS.clear()
    vocabulary._DECLARED_FUNCTIONS.update(saved)


def test_a_declared_function_can_be_restricted(restore_functions: object) -> None:
    with pytest.raises(ValidationError, match="unknown functions"):
        MeasureSpec(kind="restrict", account_id="a", functions=["book_rides"])
    vocabulary.declare_functions(["book_rides", " "])
    spec = MeasureSpec(kind="restrict", account_id="a", functions=["book_rides", "transfer"])
    assert spec.functions == ["book_rides", "transfer"]
    assert "book_rides" in vocabulary.known_functions()
    assert " " not in vocabulary.known_functions()
