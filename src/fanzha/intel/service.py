"""Indicator sharing: list entries out as a STIX 2.1 bundle or a MISP event, a partner's in as list entries.

Nothing here writes SQL: entries are read and written through :mod:`fanzha.lists.service`, which bumps
list revisions and writes the audit log; the exchange itself (who sent it, under which TLP, what it
did) is recorded in the audit log too, as ``intel.stix.export``/``intel.misp.export`` and
``intel.stix.import``/``intel.misp.import``.

Imported indicators land in lists named by kind (``intel_domain``, ``intel_phone``, ...; hashed values
in ``intel_<kind>_sha256_<group>``), each entry's ``source`` being ``stix:<identity name>; tlp:<level>``
(or ``misp:<organisation>; tlp:<level>``) and its expiry the indicator's ``valid_until``. A revoked
indicator (a deleted MISP attribute) withdraws the entry that the same partner put there, through the
same API key (a partner's false-positive feedback); entries from other sources are left alone.

Exports carry this instance's sharing identity (``FANZHA_SHARING_IDENTITY_NAME``/``_ID``) and, besides
the live entries, the entries removed here within the last ``withdrawn_days`` as revoked indicators, so
partners withdraw what this instance no longer stands by. Removals are read from the audit log
(``list.entry.remove``), the one record of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
import stix2
from sqlalchemy.orm import Session

from fanzha.audit import service as audit
from fanzha.intel import misp
from fanzha.intel.indicators import IncomingIndicator, SharedIndicator, SharingIdentity, source_owner
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
"""Largest bundle or event ``POST /v1/intel/stix`` and ``POST /v1/intel/misp`` accept."""

MAX_EXPORT_INDICATORS = 100_000
_PAGE = 1_000
_MAX_SKIPPED_SHOWN = 100

TLP_MARKINGS: dict[str, Any] = {
    "white": stix2.TLP_WHITE,
    "green": stix2.TLP_GREEN,
    "amber": stix2.TLP_AMBER,
    "red": stix2.TLP_RED,
}
_TLP_BY_ID = {marking.id: level for level, marking in TLP_MARKINGS.items()}
_HASHED_LIST = re.compile(r"^intel_[a-z_]+_sha256_")
_GROUP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _identity_object(identity: SharingIdentity) -> Any:
    return stix2.Identity(
        id=identity.identity_id,
        name=identity.name,
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
            zh=f"共享组 {group!r} 没有盐值；请在 FANZHA_SHARING_SALTS 中设置",
        )
    return salt


# ---- export -----------------------------------------------------------------------------------------


Removals = dict[str, dict[str, tuple[datetime, str]]]
"""Per list name, per removed value: when it was removed and why."""


def _removals(session: Session, list_names: Sequence[str], since: datetime) -> Removals:
    """Per list, the values removed since ``since`` (newest removal each): time and reason."""
    wanted = set(list_names)
    found: Removals = {name: {} for name in list_names}
    before_seq: int | None = None
    while True:
        page = audit.search(
            session, limit=_PAGE, before_seq=before_seq, object_type="list_entry", action="list.entry.remove"
        )
        for entry in page:
            if ensure_utc(entry.at) < since:
                return found
            list_name, _, value = entry.object_id.partition(":")
            if list_name in wanted and value not in found[list_name]:
                found[list_name][value] = (ensure_utc(entry.at), entry.reason or "")
        if len(page) < _PAGE:
            return found
        before_seq = page[-1].seq


def _still_listed(session: Session, list_name: str, value: str) -> bool:
    try:
        lists_service.find_entry(session, list_name=list_name, value=value)
    except (NotFound, InvalidInput):
        return False
    return True


def gather(
    session: Session,
    *,
    list_names: Sequence[str],
    group: str | None,
    salts: Mapping[str, str],
    withdrawn_days: int,
) -> list[SharedIndicator]:
    """The live entries of ``list_names``, and those removed in the last ``withdrawn_days``, to share.

    With a sharing ``group``, phone numbers, accounts and payment accounts go out as salted SHA-256
    hashes (the group's salt).

    Raises:
        InvalidInput: an unknown sharing group, a hashed list, or too many entries.
        NotFound: a list does not exist.
    """
    salt = None if group is None else _salt(salts, group)
    now = utcnow()
    kinds: dict[str, ListKind] = {}
    for name in list_names:
        indicator_list = lists_service.get_list(session, name=name)
        if _HASHED_LIST.match(name):
            raise InvalidInput(
                f"list {name!r} holds hashes and is not shared again",
                details=[{"field": "lists"}],
                zh=f"名单 {name!r} 存放的是哈希值，不再对外共享",
            )
        kinds[name] = ListKind(indicator_list.kind)

    shared: list[SharedIndicator] = []

    def share(name: str, value: str, **fields: Any) -> None:
        kind = kinds[name]
        hashed = salt is not None and kind in HASHABLE_KINDS
        out = salted_hash(salt, value) if hashed and salt is not None else value
        shared.append(SharedIndicator(name, kind, out, hashed, pattern_for(kind, out, hashed=hashed), **fields))
        if len(shared) > MAX_EXPORT_INDICATORS:
            raise InvalidInput(
                f"more than {MAX_EXPORT_INDICATORS} indicators; export fewer lists at a time",
                details=[{"field": "lists"}],
                zh=f"指标超过 {MAX_EXPORT_INDICATORS} 条；请分批导出较少的名单",
            )

    for name in list_names:
        offset = 0
        while True:
            page = lists_service.entries(session, list_name=name, limit=_PAGE, offset=offset, prefix=None)
            for entry in page:
                valid_from = ensure_utc(entry.created_at)
                valid_until = None if entry.expires_at is None else ensure_utc(entry.expires_at)
                if valid_until is not None and (valid_until <= now or valid_until <= valid_from):
                    continue
                share(name, entry.value, first_seen=valid_from, valid_until=valid_until)
            if len(page) < _PAGE:
                break
            offset += _PAGE
    if withdrawn_days > 0:
        for name, removed in _removals(session, list_names, now - timedelta(days=withdrawn_days)).items():
            for value, (at, reason) in removed.items():
                if not _still_listed(session, name, value):
                    share(
                        name,
                        value,
                        first_seen=at,
                        valid_until=None,
                        withdrawn_at=at,
                        withdrawn_reason=f"withdrawn: {reason}" if reason else "withdrawn",
                    )
    return shared


def export_bundle(
    session: Session,
    *,
    list_names: list[str],
    tlp: str,
    group: str | None,
    salts: Mapping[str, str],
    confidence: int,
    identity: SharingIdentity,
    withdrawn_days: int,
    actor: str,
) -> str:
    """The entries of ``list_names`` as a serialised STIX 2.1 bundle, one Indicator per entry.

    Live entries become Indicators created by this instance's Identity; entries removed here in the
    last ``withdrawn_days`` become revoked Indicators (same id as when they were shared). With a
    sharing ``group`` each indicator carries ``x_fanzha_sharing_group``.

    Raises:
        InvalidInput: an unknown TLP level or sharing group, a hashed list, or too many entries.
        NotFound: a list does not exist.
    """
    marking = TLP_MARKINGS.get(tlp)
    if marking is None:
        raise InvalidInput(f"unknown TLP level {tlp!r}", details=[{"field": "tlp"}], zh=f"未知的 TLP 等级 {tlp!r}")
    shared = gather(session, list_names=list_names, group=group, salts=salts, withdrawn_days=withdrawn_days)
    identity_object = _identity_object(identity)
    indicators: list[Any] = []
    for item in shared:
        extra: dict[str, Any] = {}
        if group is not None:
            extra["x_fanzha_sharing_group"] = group
        if item.valid_until is not None:
            extra["valid_until"] = item.valid_until
        if item.withdrawn_at is not None:
            extra["revoked"] = True
            extra["description"] = item.withdrawn_reason
        indicators.append(
            stix2.Indicator(
                id=f"indicator--{identity.indicator_uuid(item.pattern)}",
                created=item.first_seen,
                modified=item.first_seen,
                name=f"{item.kind.value} on {item.list_name}",
                indicator_types=["malicious-activity"],
                pattern=item.pattern,
                pattern_type="stix",
                valid_from=item.first_seen,
                confidence=confidence,
                created_by_ref=identity.identity_id,
                object_marking_refs=[marking.id],
                allow_custom=True,
                **extra,
            )
        )
    bundle = stix2.Bundle(identity_object, marking, *indicators, allow_custom=True)
    audit.record(
        session,
        actor=actor,
        action="intel.stix.export",
        object_type="stix_bundle",
        object_id=str(bundle.id),
        after={
            "lists": list_names,
            "tlp": tlp,
            "group": group,
            "indicators": len(indicators),
            "withdrawn": sum(1 for item in shared if item.withdrawn_at is not None),
        },
    )
    return str(bundle.serialize())


def export_misp(
    session: Session,
    *,
    list_names: list[str],
    tlp: str,
    group: str | None,
    salts: Mapping[str, str],
    confidence: int,
    identity: SharingIdentity,
    withdrawn_days: int,
    actor: str,
) -> bytes:
    """The entries of ``list_names`` as one MISP event (JSON); see :mod:`fanzha.intel.misp` for the mapping.

    Raises:
        InvalidInput: an unknown TLP level or sharing group, a hashed list, or too many entries.
        NotFound: a list does not exist.
    """
    if tlp not in TLP_MARKINGS:
        raise InvalidInput(f"unknown TLP level {tlp!r}", details=[{"field": "tlp"}], zh=f"未知的 TLP 等级 {tlp!r}")
    shared = gather(session, list_names=list_names, group=group, salts=salts, withdrawn_days=withdrawn_days)
    event = misp.build_event(
        identity, shared, list_names=list_names, tlp=tlp, confidence=confidence, group=group, now=utcnow()
    )
    audit.record(
        session,
        actor=actor,
        action="intel.misp.export",
        object_type="misp_event",
        object_id=event["Event"]["uuid"],
        after={
            "lists": list_names,
            "tlp": tlp,
            "group": group,
            "attributes": len(shared),
            "withdrawn": sum(1 for item in shared if item.withdrawn_at is not None),
        },
    )
    return orjson.dumps(event)


# ---- import -----------------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    """What importing one bundle (or MISP document) did."""

    bundle_id: str
    imported: dict[str, int] = field(default_factory=dict)
    withdrawn: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    skipped_count: int = 0

    def skip(self, indicator_id: str, reason: str) -> None:
        self.skipped_count += 1
        if len(self.skipped) < _MAX_SKIPPED_SHOWN:
            self.skipped.append({"id": indicator_id, "reason": reason})


def _parse(raw: bytes) -> Any:
    try:
        bundle = stix2.parse(raw.decode("utf-8"), allow_custom=True, version="2.1")
    except Exception as error:  # stix2 raises STIXError, ValueError, TypeError, KeyError...
        raise InvalidInput(
            f"not a valid STIX 2.1 bundle: {error}",
            details=[{"field": "body"}],
            zh=f"不是有效的 STIX 2.1 情报包：{error}",
        ) from None
    if not isinstance(bundle, stix2.Bundle):
        raise InvalidInput(
            "not a valid STIX 2.1 bundle: the top-level object is not a bundle",
            zh="不是有效的 STIX 2.1 情报包：顶层对象不是 bundle",
        )
    return bundle


def _source(indicator: Any, identities: Mapping[str, str]) -> str:
    creator = indicator.get("created_by_ref")
    who = identities.get(str(creator), str(creator)) if creator else "unknown"
    levels = [_TLP_BY_ID[ref] for ref in indicator.get("object_marking_refs", []) if ref in _TLP_BY_ID]
    tlp = levels[0] if levels else "unmarked"
    return f"stix:{who}; tlp:{tlp}"[:200]


def _map(
    indicator: Any, identities: Mapping[str, str], now: datetime, summary: ImportSummary
) -> IncomingIndicator | None:
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
                f"indicator {indicator_id}: {error}",
                details=[{"field": "pattern", "id": indicator_id}],
                zh=f"指标 {indicator_id}：{error.message_zh or error}",
            ) from None
        list_name, list_kind = imported_list_name(parsed.kind), parsed.kind
    confidence = indicator.get("confidence")
    reason = f"STIX {indicator_id}" + ("" if confidence is None else f" (confidence {confidence})")
    return IncomingIndicator(list_name, list_kind, value, _source(indicator, identities), reason, expires_at, revoked)


def _store(
    session: Session, items: Sequence[IncomingIndicator], summary: ImportSummary, *, fmt: str, actor: str
) -> None:
    """Put checked indicators on their lists and withdraw the revoked ones (their source's only)."""
    withdrawals = {(item.list_name, item.value): item for item in items if item.revoked}
    additions: dict[str, list[lists_service.ImportRow]] = {}
    kinds: dict[str, ListKind] = {}
    for item in items:
        if item.revoked or (item.list_name, item.value) in withdrawals:
            continue
        kinds[item.list_name] = item.list_kind
        additions.setdefault(item.list_name, []).append(
            lists_service.ImportRow(item.value, item.reason, item.source, item.expires_at)
        )
    label = "STIX bundles" if fmt == "stix" else "MISP events"
    for list_name, rows in additions.items():
        lists_service.create_list(
            session,
            name=list_name,
            kind=kinds[list_name],
            description=f"Indicators imported from {label} ({kinds[list_name].value})",
            actor=actor,
        )
        summary.imported[list_name] = lists_service.import_entries(
            session, list_name=list_name, rows=rows, actor=actor, source=fmt
        )
    for (list_name, value), item in withdrawals.items():
        try:
            entry = lists_service.find_entry(session, list_name=list_name, value=value)
        except NotFound:
            continue
        # Only the partner that shared an indicator can withdraw it, under whatever TLP it does so. The
        # name in the document is the sender's own claim, so the withdrawal must also come through the
        # key the indicator came in by: another partner's key cannot withdraw it by writing that name.
        if source_owner(entry.source) != source_owner(item.source) or entry.created_by != actor:
            continue
        lists_service.remove_entry(
            session, list_name=list_name, value=value, actor=actor, reason=f"revoked by {item.source} ({item.reason})"
        )
        summary.withdrawn += 1


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
    _store(session, mapped, summary, fmt="stix", actor=actor)
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


def import_misp(session: Session, *, raw: bytes, actor: str) -> ImportSummary:
    """Validate a whole MISP document (one event or a ``response`` list), then store it like a bundle.

    Raises:
        InvalidInput: the document is not a MISP event of the expected shape, or an attribute's value
            is invalid for its kind; nothing is stored then.
    """
    events = misp.parse_events(raw)
    summary = ImportSummary(bundle_id=",".join(str(event.uuid) for event in events)[:300])
    mapped = misp.map_events(events, now=utcnow(), skip=summary.skip)
    _store(session, mapped.indicators, summary, fmt="misp", actor=actor)
    audit.record(
        session,
        actor=actor,
        action="intel.misp.import",
        object_type="misp_event",
        object_id=summary.bundle_id,
        after={
            "organisations": mapped.organisations,
            "events": mapped.event_ids[:100],
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
    ``intel_<kind>_sha256_<group>``; an invalid value is on no list. (Rules need none of this:
    ``in_list`` on a hashed list hashes the value itself, see :func:`fanzha.intel.stix.hashed_list_hashers`.)
    """
    try:
        normalized = normalize_value(kind, value)
    except InvalidListValue:
        return False
    digest = salted_hash(_salt(salts, group), normalized)
    return book.contains(hashed_list_name(kind, group), digest, at, normalized=True)
