"""Masking of personal data (phone numbers, ID numbers, payment accounts) for roles that do not need it.

Masked values keep enough to tell two apart in a list (the first and last few characters) and
nothing that identifies the person. Types not listed here are not personal data and are shown.
"""

from __future__ import annotations

import functools
import re

from fanzha.auth.roles import Permission
from fanzha.auth.service import Principal
from fanzha.kit.errors import Forbidden

PERSONAL_TYPES = frozenset({"phone", "id_number", "id_hash", "payment_account"})


def mask_value(value: str, *, keep_start: int = 3, keep_end: int = 4) -> str:
    """``+8613800138000`` -> ``+86*******8000``: the ends stay, the middle is starred."""
    if len(value) <= keep_end + 2:
        return "*" * len(value)
    start = min(keep_start, max(len(value) - keep_end - 4, 0))
    return value[:start] + "*" * (len(value) - start - keep_end) + value[len(value) - keep_end :]


FRAUD_TEXT_MIN_DIGITS = 7
"""Digit runs masked in texts screened or referred as fraud: seven digits and more (QQ numbers too)."""


@functools.cache
def _digit_run(min_digits: int) -> re.Pattern[str]:
    # Digits, each perhaps after one space or dash: "13800138000", "138 0013 8000", "138-0013-8000".
    return re.compile(rf"\+?\d(?:[ \-]?\d){{{min_digits - 1},}}")


def digit_run_spans(text: str, *, min_digits: int = 9) -> list[tuple[int, int]]:
    """Where ``text`` has a run of at least ``min_digits`` digits (perhaps spaced or dashed).

    Nine digits catch every mobile number (11), ID number (17 + check digit) and card number (16-19)
    without masking dates; fraud texts use :data:`FRAUD_TEXT_MIN_DIGITS`.
    """
    return [match.span() for match in _digit_run(min_digits).finditer(text)]


def mask_digit_runs(text: str, *, min_digits: int = 9) -> str:
    """``text`` with each run of :func:`digit_run_spans` masked as :func:`mask_value` masks it: the
    personal data in free text (reasons, narratives, audit entries), which has no kind to mask by."""
    return _digit_run(min_digits).sub(lambda found: mask_value(found.group(0)), text)


def mask(kind: str, value: str) -> str:
    """``value`` masked when ``kind`` is personal data, else unchanged."""
    return mask_value(value) if kind in PERSONAL_TYPES else value


def require_reveal(principal: Principal, reveal: bool) -> None:
    """Unmasked personal data only for roles with ``personal_data:reveal`` (the read is then audited)."""
    if reveal and not principal.can(Permission.personal_data_reveal):
        raise Forbidden(
            f"role {principal.role.value!r} may not read unmasked personal data",
            zh=f"角色 {principal.role.value!r} 无权查看未脱敏的个人信息",
        )
