"""STIX 2.1 patterns for list entries, and the salted hashes that let partners share phones and accounts.

Pure functions, no database. The mapping between list kinds and STIX patterns:

- domain -> ``[domain-name:value = '...']``, url -> ``[url:value = '...']``,
  ip -> ``[ipv4-addr:value = '...']`` or ``[ipv6-addr:value = '...']``, email -> ``[email-addr:value = '...']``;
- phone, account, payment_account, device, keyword have no STIX Cyber-observable type, so they use
  custom observable types ``x-fanzha-phone``, ``x-fanzha-account``, ``x-fanzha-payment-account``,
  ``x-fanzha-device`` and ``x-fanzha-keyword`` with a ``value`` property;
- hashed phones, accounts and payment accounts: ``[x-fanzha-phone:hashes.'SHA-256' = '<hex>']``, the
  hash of ``salt + ":" + normalised value`` with the sharing group's salt (see :func:`salted_hash`).

Only single comparisons of this shape are imported; anything else is reported as skipped.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fanzha.kit.errors import InvalidInput
from fanzha.lists.kinds import InvalidListValue, ListKind
from fanzha.lists.runtime import normalized_cached

__all__ = [
    "HASHABLE_KINDS",
    "ParsedPattern",
    "hashed_list_hashers",
    "hashed_list_name",
    "imported_list_name",
    "parse_pattern",
    "pattern_for",
    "salted_hash",
]

HASHABLE_KINDS = frozenset({ListKind.phone, ListKind.account, ListKind.payment_account})
"""Kinds whose values are shared as salted hashes when the export names a sharing group."""

_OBJECT_TYPES: dict[ListKind, str] = {
    ListKind.domain: "domain-name",
    ListKind.url: "url",
    ListKind.email: "email-addr",
    ListKind.phone: "x-fanzha-phone",
    ListKind.account: "x-fanzha-account",
    ListKind.payment_account: "x-fanzha-payment-account",
    ListKind.device: "x-fanzha-device",
    ListKind.keyword: "x-fanzha-keyword",
}
_KINDS_BY_TYPE: dict[str, ListKind] = {
    **{object_type: kind for kind, object_type in _OBJECT_TYPES.items()},
    "ipv4-addr": ListKind.ip,
    "ipv6-addr": ListKind.ip,
}
_PATTERN = re.compile(r"^\[([a-z0-9-]+):(value|hashes\.'SHA-256') = '((?:[^'\\]|\\.)*)'\]$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class ParsedPattern:
    """What one supported STIX pattern names: a list kind and a value, or a salted hash of one."""

    kind: ListKind
    value: str
    hashed: bool


def salted_hash(salt: str, normalized_value: str) -> str:
    """The lower-case hex SHA-256 of ``salt:value``; both partners of a sharing group use the same salt."""
    return hashlib.sha256(f"{salt}:{normalized_value}".encode()).hexdigest()


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def pattern_for(kind: ListKind, value: str, *, hashed: bool = False) -> str:
    """The STIX pattern for a normalised list value (or, with ``hashed``, for its salted hash)."""
    if kind is ListKind.ip:
        object_type = "ipv6-addr" if ":" in value else "ipv4-addr"
    else:
        object_type = _OBJECT_TYPES[kind]
    if hashed:
        return f"[{object_type}:hashes.'SHA-256' = '{value}']"
    return f"[{object_type}:value = '{_quote(value)}']"


def parse_pattern(pattern: str) -> ParsedPattern | None:
    """The kind and value of a supported pattern; ``None`` for any other pattern."""
    match = _PATTERN.match(pattern.strip())
    if match is None:
        return None
    kind = _KINDS_BY_TYPE.get(match.group(1))
    if kind is None:
        return None
    value = _unquote(match.group(3))
    if match.group(2) == "value":
        return ParsedPattern(kind, value, False)
    value = value.lower()
    if kind not in HASHABLE_KINDS or not _SHA256.match(value):
        return None
    return ParsedPattern(kind, value, True)


def _group_slug(group: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", group.lower())


def imported_list_name(kind: ListKind) -> str:
    """Where imported indicators of ``kind`` land: ``intel_phone``, ``intel_domain``, ..."""
    return f"intel_{kind.value}"


def hashed_list_name(kind: ListKind, group: str) -> str:
    """The list of salted hashes of ``kind`` shared in ``group``: ``intel_phone_sha256_partner_a``.

    Hashed lists have kind ``account`` (values are kept as given, stripped), and the name says what
    was hashed and with which group's salt.
    """
    return f"intel_{kind.value}_sha256_{_group_slug(group)}"[:100]


def _hasher(kind: ListKind, salt: str) -> Callable[[str], str | None]:
    # The same phone or account recurs event after event: normalise (sharing the plain lists' cache)
    # and hash each value once.
    @functools.lru_cache(maxsize=65_536)
    def digest(value: str) -> str | None:
        try:
            return salted_hash(salt, normalized_cached(kind, value))
        except InvalidListValue:
            return None

    return digest


def hashed_list_hashers(salts: Mapping[str, str]) -> Callable[[str], Callable[[str], str | None] | None]:
    """For a list name, the function that turns a clear value into what that list holds; None for others.

    Hashed lists (``intel_<kind>_sha256_<group>``) of a group this instance has a salt for hold salted
    hashes: the value is normalised as for its kind and hashed with the group's salt, so rules match
    them with the clear phone or account (``in_list``). Lists of other groups, and every other list,
    get None and are looked up as they are.
    """
    hashers: dict[str, Callable[[str], str | None]] = {}
    slugs: dict[str, str] = {}
    for group, salt in salts.items():
        other = slugs.setdefault(_group_slug(group), group)
        if other != group and salts[other] != salt:
            # Both groups' hashes would land on one list, matched with only one of the two salts.
            raise InvalidInput(
                f"sharing groups {other!r} and {group!r} name the same lists (intel_*_sha256_{_group_slug(group)})"
                " but have different salts; rename one in FANZHA_SHARING_SALTS",
                zh=f"共享组 {other!r} 与 {group!r} 对应同一组名单（intel_*_sha256_{_group_slug(group)}），"
                "但盐值不同；请在 FANZHA_SHARING_SALTS 中重命名其中一个",
            )
        for kind in HASHABLE_KINDS:
            hashers[hashed_list_name(kind, group)] = _hasher(kind, salt)
    return hashers.get
