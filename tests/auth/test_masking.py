"""Masking personal data in free text: digit runs, however they are spaced."""

from __future__ import annotations

import pytest

from fanzha.auth.masking import FRAUD_TEXT_MIN_DIGITS, digit_run_spans, mask_digit_runs


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("call 13800138000 now", "call 138****8000 now"),
        ("call +86 138 0013 8000 now", "call +86**********8000 now"),
        ("card 6222-0212-3456-7890", "card 622************7890"),
        ("on 2026-11-30 at 14:00", "on 2026-11-30 at 14:00"),
        ("case 1234567 closed", "case 1234567 closed"),
        ("amount 12,000,000", "amount 12,000,000"),
    ],
    ids=["plain", "spaced", "dashed", "date", "seven-digits", "amount"],
)
def test_long_digit_runs_are_masked_and_dates_are_not(text: str, masked: str) -> None:
    assert mask_digit_runs(text) == masked


def test_fraud_texts_mask_shorter_runs() -> None:
    text = "加QQ 1234567 领返利"
    assert digit_run_spans(text) == []
    assert digit_run_spans(text, min_digits=FRAUD_TEXT_MIN_DIGITS) == [(4, 11)]
    assert "1234567" not in mask_digit_runs(text, min_digits=FRAUD_TEXT_MIN_DIGITS)
