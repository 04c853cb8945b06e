"""Masking personal data inside free text (audit entries, report narratives) for console pages.

Structured values are masked by kind with :func:`fanzha.auth.masking.mask`; free text has no kind, so
long digit runs (phone, ID-card and bank-card numbers) are masked wherever they appear.
"""

from __future__ import annotations

import re

from fanzha.auth.masking import mask_value

_LONG_NUMBER = re.compile(r"\+?\d{9,}")
"""Nine digits or more: every mobile number (11), ID number (17 + check digit) and card number (16-19)."""


def mask_digits(text: str) -> str:
    """``text`` with each long digit run masked as :func:`~fanzha.auth.masking.mask_value` masks it."""
    return _LONG_NUMBER.sub(lambda found: mask_value(found.group(0)), text)
