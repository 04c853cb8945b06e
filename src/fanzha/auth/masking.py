"""Masking of personal data (phone numbers, ID numbers, payment accounts) for roles that do not need it.

Masked values keep enough to tell two apart in a list (the first and last few characters) and
nothing that identifies the person. Types not listed here are not personal data and are shown.
"""

from __future__ import annotations

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


def mask(kind: str, value: str) -> str:
    """``value`` masked when ``kind`` is personal data, else unchanged."""
    return mask_value(value) if kind in PERSONAL_TYPES else value


def require_reveal(principal: Principal, reveal: bool) -> None:
    """Unmasked personal data only for roles with ``personal_data:reveal`` (the read is then audited)."""
    if reveal and not principal.can(Permission.personal_data_reveal):
        raise Forbidden(f"role {principal.role.value!r} may not read unmasked personal data")
