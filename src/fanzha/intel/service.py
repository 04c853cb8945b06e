"""Indicator sharing: list entries out as a STIX 2.1 bundle, a partner's bundle in as list entries.

Nothing here writes SQL: entries are read and written through :mod:`fanzha.lists.service`, which bumps
list revisions and writes the audit log; the bundle itself (who sent it, under which TLP, what it did)
is recorded in the audit log too, as ``intel.stix.export`` and ``intel.stix.import``.

Imported indicators land in lists named by kind (``intel_domain``, ``intel_phone``, ...; hashed values
in ``intel_<kind>_sha256_<group>``), each entry's ``source`` being ``stix:<identity name>; tlp:<level>``
and its expiry the indicator's ``valid_until``. A revoked indicator withdraws the entry that the same
source put there (a partner's false-positive feedback); entries from other sources are left alone.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import stix2
from sqlalchemy.orm import Session

from fanzha.audit import service as audit
from fanzha.intel.stix import (
    HASHABLE_KINDS,
    hashed_list_name,
    imported_list_name,
    parse_pattern,
    pattern_for,
    salted_hash,
)
from fanzha.kit.clock import ensure_utc, utcnow
from fanzha.kit.errors import InvalidInput, NotFound
from fanzha.lists import service as lists_service
from fanzha.lists.kinds import InvalidListValue, ListKind, normalize_value
from fanzha.lists.runtime import ListBook

MAX_BUNDLE_BYTES = 4 * 1024 * 1024
"""Largest bundle ``POST /v1/intel/stix`` accepts."""

MAX_EXPORT_INDICATORS = 100_000
_PAGE = 1_000
_MAX_SKIPPED_SHOWN = 100

INSTANCE_NAME = "fanzha"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/fanzha/fanzha/intel")
INSTANCE_IDENTITY_ID = f"identity--{uuid.uuid5(_NAMESPACE, 'instance')}"

TLP_MARKINGS: dict[str, Any] = {
    "white": stix2.TLP_WHITE,
    "green": stix2.TLP_GREEN,
    "amber": stix2.TLP_AMBER,
    "red": stix2.TLP_RED,
}
_TLP_BY_ID = {marking.id: level for level, marking in TLP_MARKINGS.items()}
_HASHED_LIST = re.compile(r"^intel_[a-z_]+_sha256_")
_GROUP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _identity() -> Any:
    return stix2.Identity(
        id=INSTANCE_IDENTITY_ID,
        name=INSTANCE_NAME,
        identity_class="system",
        created="2026-01-01T00:00:00Z",
        modified="2026-01-01T00:00:00Z",
    )


def _salt(salts: Mapping[str, str], group: str) -> str:
    salt = salts.get(group)
    if salt is None:
        raise InvalidInput(
            f"no salt for sharing group {group!r}; set it in FANZHA_SHARING_SALTS",
            details=[{"field": "group", "value": group}],
        )
    return salt


def export_bundle(
    session: Session,
    *,
    list_names: list[str],
    tlp: str,
    group: str | None,
    salts: Mapping[str, str],
    confidence: int,
    actor: str,
) -> str:
    """The entries of ``list_names`` as a serialised STIX 2.1 bundle, one Indicator per live entry.

    With a sharing ``group``, phone numbers, accounts and payment accounts are shared as salted
    SHA-256 hashes (the group's salt), and each indicator carries ``x_fanzha_sharing_group``.

    Raises:
        InvalidInput: an unknown TLP level or sharing group, a hashed list, or too many entries.
        NotFound: a list does not exist.
    """
    marking = TLP_MARKINGS.get(tlp)
    if marking is None:
        raise InvalidInput(f"unknown TLP level {tlp!r}", details=[{"field": "tlp"}])
    salt = None if group is None else _salt(salts, group)
    identity = _identity()
    now = utcnow()
    indicators: list[Any] = []
    for name in list_names:
        indicator_list = lists_service.get_list(session, name=name)
        if _HASHED_LIST.match(name):
            raise InvalidInput(f"list {name!r} holds hashes and is not shared again", details=[{"field": "lists"}])
        kind = ListKind(indicator_list.kind)
        offset = 0
        while True:
            page = lists_service.entries(session, list_name=name, limit=_PAGE, offset=offset, prefix=None)
            for entry in page:
                valid_from = ensure_utc(entry.created_at)
                valid_until = None if entry.expires_at is None else ensure_utc(entry.expires_at)
                if valid_until is not None and (valid_until <= now or valid_until <= valid_from):
                    continue
                hashed = salt is not None and kind in HASHABLE_KINDS
                value = salted_hash(salt, entry.value) if hashed and salt is not None else entry.value
                pattern = pattern_for(kind, value, hashed=hashed)
                extra: dict[str, Any] = {}
                if group is not None:
                    extra["x_fanzha_sharing_group"] = group
                if valid_until is not None:
                    extra["valid_until"] = valid_until
                indicators.append(
                    stix2.Indicator(
                        id=f"indicator--{uuid.uuid5(_NAMESPACE, pattern)}",
                        created=valid_from,
                        modified=valid_from,
                        name=f"{kind.value} on {name}",
                        indicator_types=["malicious-activity"],
                        pattern=pattern,
                        pattern_type="stix",
                        valid_from=valid_from,
                        confidence=confidence,
                        created_by_ref=identity.id,
                        object_marking_refs=[marking.id],
                        allow_custom=True,
                        **extra,
                    )
                )
                if len(indicators) > MAX_EXPORT_INDICATORS:
                    raise InvalidInput(
                        f"more than {MAX_EXPORT_INDICATORS} indicators; export fewer lists at a time",
                        details=[{"field": "lists"}],
                    )
            if len(page) < _PAGE:
                break
            offset += _PAGE
    bundle = stix2.Bundle(identity, marking, *indicators, allow_custom=True)
    audit.record(
        session,
        actor=actor,
        action="intel.stix.export",
        object_type="stix_bundle",
        object_id=str(bundle.id),
        after={"lists": list_names, "tlp": tlp, "group": group, "indicators": len(indicators)},
    )
    return str(bundle.serialize())


@dataclass
class ImportSummary:
    """What importing one bundle did."""

    bundle_id: str
    imported: dict[str, int] = field(default_factory=dict)
    withdrawn: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    skipped_count: int = 0

    def skip(self, indicator_id: str, reason: str) -> None:
        self.skipped_count += 1
        if len(self.skipped) < _MAX_SKIPPED_SHOWN:
            self.skipped.append({"id": indicator_id, "reason": reason})


@dataclass(frozen=True, slots=True)
class _Mapped:
    list_name: str
    list_kind: ListKind
    value: str
    source: str
    reason: str
    expires_at: datetime | None
    revoked: bool


def _parse(raw: bytes) -> Any:
    try:
        bundle = stix2.parse(raw.decode("utf-8"), allow_custom=True, version="2.1")
    except Exception as error:  # stix2 raises STIXError, ValueError, TypeError, KeyError...
        raise InvalidInput(f"not a valid STIX 2.1 bundle: {error}", details=[{"field": "body"}]) from None
    if not isinstance(bundle, stix2.Bundle):
        raise InvalidInput("not a valid STIX 2.1 bundle: the top-level object is not a bundle")
    return bundle


def _source(indicator: Any, identities: Mapping[str, str]) -> str:
    creator = indicator.get("created_by_ref")
    who = identities.get(str(creator), str(creator)) if creator else "unknown"
    levels = [_TLP_BY_ID[ref] for ref in indicator.get("object_marking_refs", []) if ref in _TLP_BY_ID]
    tlp = levels[0] if levels else "unmarked"
    return f"stix:{who}; tlp:{tlp}"[:200]


def _map(indicator: Any, identities: Mapping[str, str], now: datetime, summary: ImportSummary) -> _Mapped | None:
    indicator_id = str(indicator.id)
    if indicator.get("pattern_type") != "stix":
        summary.skip(indicator_id, f"pattern type {indicator.get('pattern_type')!r} is not imported")
        return None
    parsed = parse_pattern(str(indicator.pattern))
    if parsed is None:
        summary.skip(indicator_id, "only single comparisons of a known observable are imported")
        return None
    revoked = bool(indicator.get("revoked", False))
    expires_at = None
    if indicator.get("valid_until") is not None:
        expires_at = ensure_utc(datetime.fromisoformat(indicator.valid_until.isoformat()))
        if expires_at <= now and not revoked:
            summary.skip(indicator_id, "expired (valid_until has passed)")
            return None
    if parsed.hashed:
        group = indicator.get("x_fanzha_sharing_group")
        if not isinstance(group, str) or not _GROUP.match(group):
            summary.skip(indicator_id, "a hashed indicator needs x_fanzha_sharing_group")
            return None
        list_name, list_kind, value = hashed_list_name(parsed.kind, group), ListKind.account, parsed.value
    else:
        try:
            value = normalize_value(parsed.kind, parsed.value)
        except InvalidListValue as error:
            raise InvalidInput(
                f"indicator {indicator_id}: {error}", details=[{"field": "pattern", "id": indicator_id}]
            ) from None
        list_name, list_kind = imported_list_name(parsed.kind), parsed.kind
    confidence = indicator.get("confidence")
    reason = f"STIX {indicator_id}" + ("" if confidence is None else f" (confidence {confidence})")
    return _Mapped(list_name, list_kind, value, _source(indicator, identities), reason, expires_at, revoked)


def import_bundle(session: Session, *, raw: bytes, actor: str) -> ImportSummary:
    """Validate a whole bundle, then store its indicators and withdraw its revoked ones.

    Raises:
        InvalidInput: the bundle is not valid STIX 2.1, or an indicator's value is invalid for its
            kind; nothing is stored then.
    """
    bundle = _parse(raw)
    summary = ImportSummary(bundle_id=str(bundle.id))
    objects = list(bundle.get("objects", []))
    identities = {str(obj.id): str(obj.name) for obj in objects if obj.get("type") == "identity"}
    # Several versions of one indicator: the latest (by modified) counts.
    latest: dict[str, Any] = {}
    for obj in objects:
        if obj.get("type") != "indicator":
            continue
        seen = latest.get(str(obj.id))
        if seen is None or obj.modified >= seen.modified:
            latest[str(obj.id)] = obj
    now = utcnow()
    mapped = [item for item in (_map(obj, identities, now, summary) for obj in latest.values()) if item is not None]

    withdrawals = {(item.list_name, item.value): item for item in mapped if item.revoked}
    additions: dict[str, list[lists_service.ImportRow]] = {}
    kinds: dict[str, ListKind] = {}
    for item in mapped:
        if item.revoked or (item.list_name, item.value) in withdrawals:
            continue
        kinds[item.list_name] = item.list_kind
        additions.setdefault(item.list_name, []).append(
            lists_service.ImportRow(item.value, item.reason, item.source, item.expires_at)
        )
    for list_name, rows in additions.items():
        lists_service.create_list(
            session,
            name=list_name,
            kind=kinds[list_name],
            description=f"Indicators imported from STIX bundles ({kinds[list_name].value})",
            actor=actor,
        )
        summary.imported[list_name] = lists_service.import_entries(
            session, list_name=list_name, rows=rows, actor=actor, source="stix"
        )
    for (list_name, value), item in withdrawals.items():
        try:
            entry = lists_service.find_entry(session, list_name=list_name, value=value)
        except NotFound:
            continue
        if entry.source != item.source:
            continue  # only the source that shared an indicator can withdraw it
        lists_service.remove_entry(
            session, list_name=list_name, value=value, actor=actor, reason=f"revoked by {item.source} ({item.reason})"
        )
        summary.withdrawn += 1
    audit.record(
        session,
        actor=actor,
        action="intel.stix.import",
        object_type="stix_bundle",
        object_id=summary.bundle_id,
        after={
            "identities": sorted(identities.values()),
            "imported": summary.imported,
            "withdrawn": summary.withdrawn,
            "skipped": summary.skipped_count,
        },
    )
    return summary


def matches_hashed(
    book: ListBook, *, kind: ListKind, group: str, value: str, salts: Mapping[str, str], at: float
) -> bool:
    """Whether ``value`` (a phone, account or payment account in clear) is on the group's hashed list.

    The value is normalised as for its kind, hashed with the group's salt and looked up in
    ``intel_<kind>_sha256_<group>``; an invalid value is on no list.
    """
    try:
        normalized = normalize_value(kind, value)
    except InvalidListValue:
        return False
    digest = salted_hash(_salt(salts, group), normalized)
    return book.contains(hashed_list_name(kind, group), digest, at, normalized=True)
