"""MISP events (the MISP core format, JSON) for list entries, beside STIX 2.1. Pure: no database.

Going out, one event holds one Attribute per shared entry:

========================  ==================  ================  =========================================
list kind                 Attribute ``type``  ``category``      note
========================  ==================  ================  =========================================
domain                    domain              Network activity
url                       url                 Network activity
ip                        ip-dst              Network activity
email                     email-src           Payload delivery
phone                     phone-number        Financial fraud
payment_account           bank-account-nr     Financial fraud
account, device, keyword  text                Other             kind in the ``fanzha:kind`` tag
hashed phone/account/...  text                Other             ``fanzha:hashed="sha256"`` and
                                                                ``fanzha:sharing-group`` tags
========================  ==================  ================  =========================================

Every attribute carries ``fanzha:kind="<list kind>"`` and ``fanzha:confidence="<0-100>"`` tags,
``first_seen`` (when the entry was added), ``last_seen`` (the export time: it was still listed), and,
when it expires, ``fanzha:valid-until="<ISO time>"``. The event carries the TLP tag (``tlp:amber``...)
and the matching ``distribution`` (red 0, amber 1, green 2, white 3); ``Orgc`` is this instance's
sharing identity. An entry withdrawn here goes out as an attribute with ``deleted: true``.

Coming in, an event (``{"Event": {...}}``, or MISP's ``{"response": [{"Event": ...}, ...]}``) is
validated whole; attributes inside ``Object`` entries are read like top-level ones. The ``fanzha:kind``
tag decides the kind when present, else the type does (``ip-src``/``ip-dst``, ``domain``/``hostname``,
``url``, ``email``/``email-src``/``email-dst``, ``phone-number``/``prtn``, ``bank-account-nr``/``iban``);
other types are skipped and counted. A deleted attribute withdraws the entry the same organisation
shared earlier.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from fanzha.intel.indicators import IncomingIndicator, SharedIndicator, SharingIdentity
from fanzha.intel.stix import HASHABLE_KINDS, hashed_list_name, imported_list_name
from fanzha.kit.clock import ensure_utc
from fanzha.kit.errors import InvalidInput
from fanzha.kit.web import validation_details
from fanzha.lists.kinds import InvalidListValue, ListKind, normalize_value

__all__ = ["DISTRIBUTION", "MispEvent", "MispImport", "build_event", "map_events", "parse_events"]

DISTRIBUTION = {"red": "0", "amber": "1", "green": "2", "white": "3"}
"""MISP ``distribution`` for each TLP level: your organisation, this community, connected, all."""

_OUT_TYPES: dict[ListKind, tuple[str, str]] = {
    ListKind.domain: ("domain", "Network activity"),
    ListKind.url: ("url", "Network activity"),
    ListKind.ip: ("ip-dst", "Network activity"),
    ListKind.email: ("email-src", "Payload delivery"),
    ListKind.phone: ("phone-number", "Financial fraud"),
    ListKind.payment_account: ("bank-account-nr", "Financial fraud"),
}
_TEXT = ("text", "Other")

_IN_TYPES: dict[str, ListKind] = {
    "ip-dst": ListKind.ip,
    "ip-src": ListKind.ip,
    "domain": ListKind.domain,
    "hostname": ListKind.domain,
    "url": ListKind.url,
    "email": ListKind.email,
    "email-src": ListKind.email,
    "email-dst": ListKind.email,
    "phone-number": ListKind.phone,
    "prtn": ListKind.phone,
    "bank-account-nr": ListKind.payment_account,
    "iban": ListKind.payment_account,
}
_TLP_TAGS = {
    "tlp:white": "white",
    "tlp:clear": "white",
    "tlp:green": "green",
    "tlp:amber": "amber",
    "tlp:amber+strict": "amber",
    "tlp:red": "red",
}
_MACHINE_TAG = re.compile(r'^fanzha:([a-z-]+)="(.*)"$')
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_GROUP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _tag(name: str, value: object) -> dict[str, str]:
    return {"name": f'fanzha:{name}="{value}"'}


def _seen(moment: datetime) -> str:
    return ensure_utc(moment).isoformat(timespec="microseconds")


def build_event(
    identity: SharingIdentity,
    indicators: Sequence[SharedIndicator],
    *,
    list_names: Sequence[str],
    tlp: str,
    confidence: int,
    group: str | None,
    now: datetime,
) -> dict[str, Any]:
    """One MISP event (``{"Event": {...}}``) holding an attribute per shared (or withdrawn) entry."""
    timestamp = str(int(now.timestamp()))
    attributes = []
    for item in indicators:
        attribute_type, category = _TEXT if item.hashed else _OUT_TYPES.get(item.kind, _TEXT)
        tags = [_tag("kind", item.kind.value), _tag("confidence", confidence)]
        if item.hashed:
            tags.append(_tag("hashed", "sha256"))
        if group is not None:
            tags.append(_tag("sharing-group", group))
        if item.valid_until is not None:
            tags.append(_tag("valid-until", ensure_utc(item.valid_until).isoformat()))
        withdrawn = item.withdrawn_at is not None
        attributes.append(
            {
                "uuid": identity.indicator_uuid(item.pattern),
                "type": attribute_type,
                "category": category,
                "value": item.value,
                "to_ids": not withdrawn,
                "deleted": withdrawn,
                "distribution": "5",  # inherit the event's
                "comment": item.withdrawn_reason if withdrawn else f"{item.kind.value} on {item.list_name}",
                "timestamp": timestamp,
                "first_seen": _seen(item.first_seen),
                "last_seen": _seen(item.withdrawn_at if item.withdrawn_at is not None else now),
                "Tag": tags,
            }
        )
    return {
        "Event": {
            "uuid": str(uuid.uuid4()),
            "info": f"fanzha indicators: {', '.join(list_names)}",
            "date": ensure_utc(now).date().isoformat(),
            "threat_level_id": "2",
            "analysis": "2",
            "distribution": DISTRIBUTION[tlp],
            "published": True,
            "timestamp": timestamp,
            "publish_timestamp": timestamp,
            "Orgc": {"name": identity.name, "uuid": identity.uuid},
            "Tag": [{"name": f"tlp:{tlp}"}],
            "Attribute": attributes,
        }
    }


# ---- import -----------------------------------------------------------------------------------------

MAX_VALUE = 2048
"""The longest list entry value (``list_entries.value``)."""
Text = Annotated[str, StringConstraints(max_length=2048)]


class MispTag(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]


class MispAttribute(BaseModel):
    model_config = ConfigDict(extra="ignore")

    uuid: UUID | None = None
    type: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    value: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    category: str | None = None
    comment: Text = ""
    deleted: bool = False
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    Tag: list[MispTag] = Field(default_factory=list, max_length=100)


class MispObject(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = ""
    deleted: bool = False
    Attribute: list[MispAttribute] = Field(default_factory=list, max_length=1000)


class MispOrg(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    uuid: UUID | None = None


class MispEvent(BaseModel):
    """The parts of a MISP event that fanzha reads; anything else is ignored."""

    model_config = ConfigDict(extra="ignore")

    uuid: UUID
    info: Text = ""
    Orgc: MispOrg | None = None
    Tag: list[MispTag] = Field(default_factory=list, max_length=100)
    Attribute: list[MispAttribute] = Field(default_factory=list, max_length=200_000)
    Object: list[MispObject] = Field(default_factory=list, max_length=100_000)


class _Wrapped(BaseModel):
    model_config = ConfigDict(extra="ignore")

    Event: MispEvent


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore")

    response: list[_Wrapped] = Field(min_length=1, max_length=1000)


def parse_events(raw: bytes) -> list[MispEvent]:
    """The events of a MISP JSON document, validated whole.

    Raises:
        InvalidInput: not JSON, not ``{"Event": ...}`` or ``{"response": [...]}``, or a field of the
            wrong shape (the details name it).
    """
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise InvalidInput(
            f"not a valid MISP event: not JSON ({error})",
            details=[{"field": "body"}],
            zh=f"不是有效的 MISP 事件：不是 JSON（{error}）",
        ) from None
    try:
        if isinstance(document, dict) and "response" in document:
            return [item.Event for item in _Response.model_validate(document).response]
        return [_Wrapped.model_validate(document).Event]
    except ValidationError as error:
        details = validation_details(error)
        first = details[0] if details else {"field": "(body)", "message": "invalid"}
        raise InvalidInput(
            f"not a valid MISP event: {first['field']}: {first['message']}",
            details=details[:50],
            zh=f"不是有效的 MISP 事件：{first['field']}: {first['message']}",
        ) from None


@dataclass
class MispImport:
    """What mapping a MISP document gave: checked indicators, and the attributes skipped with why."""

    event_ids: list[str]
    organisations: list[str]
    indicators: list[IncomingIndicator]


def _machine_tags(tags: Sequence[MispTag]) -> dict[str, str]:
    found: dict[str, str] = {}
    for tag in tags:
        match = _MACHINE_TAG.match(tag.name)
        if match is not None:
            found[match.group(1)] = match.group(2)
    return found


def _tlp(tags: Sequence[MispTag]) -> str | None:
    for tag in tags:
        level = _TLP_TAGS.get(tag.name.strip().lower())
        if level is not None:
            return level
    return None


def map_events(events: Sequence[MispEvent], *, now: datetime, skip: Callable[[str, str], None]) -> MispImport:
    """Check every attribute of ``events`` and map it to the list it goes on.

    Raises:
        InvalidInput: an attribute's value is not valid for its kind (nothing is stored then).
    """
    result = MispImport(event_ids=[], organisations=[], indicators=[])
    for event in events:
        organisation = event.Orgc.name if event.Orgc is not None else "unknown"
        result.event_ids.append(str(event.uuid))
        if organisation not in result.organisations:
            result.organisations.append(organisation)
        event_tlp = _tlp(event.Tag) or "unmarked"
        attributes = list(event.Attribute)
        for item in event.Object:
            attributes.extend(
                attribute.model_copy(update={"deleted": True}) if item.deleted else attribute
                for attribute in item.Attribute
            )
        for attribute in attributes:
            mapped = _map(attribute, organisation, _tlp(attribute.Tag) or event_tlp, now, skip)
            if mapped is not None:
                result.indicators.append(mapped)
    return result


def _map(
    attribute: MispAttribute, organisation: str, tlp: str, now: datetime, skip: Callable[[str, str], None]
) -> IncomingIndicator | None:
    attribute_id = str(attribute.uuid) if attribute.uuid is not None else f"{attribute.type}:{attribute.value[:64]}"
    tags = _machine_tags(attribute.Tag)
    kind: ListKind | None = None
    if "kind" in tags:
        try:
            kind = ListKind(tags["kind"])
        except ValueError:
            skip(attribute_id, f"unknown fanzha:kind {tags['kind']!r}")
            return None
    else:
        kind = _IN_TYPES.get(attribute.type)
        if kind is None:
            skip(attribute_id, f"attribute type {attribute.type!r} is not imported")
            return None
    expires_at = None
    if "valid-until" in tags:
        try:
            expires_at = ensure_utc(datetime.fromisoformat(tags["valid-until"]))
        except ValueError:
            raise InvalidInput(
                f"attribute {attribute_id}: fanzha:valid-until is not an ISO 8601 time",
                details=[{"field": "Tag", "id": attribute_id}],
                zh=f"属性 {attribute_id}：fanzha:valid-until 不是 ISO 8601 时间",
            ) from None
        if expires_at <= now and not attribute.deleted:
            skip(attribute_id, "expired (fanzha:valid-until has passed)")
            return None
    if tags.get("hashed") == "sha256":
        group = tags.get("sharing-group", "")
        value = attribute.value.strip().lower()
        if kind not in HASHABLE_KINDS or not _GROUP.match(group) or not _SHA256.match(value):
            skip(attribute_id, "a hashed attribute needs a hashable kind, fanzha:sharing-group and a SHA-256")
            return None
        list_name, list_kind = hashed_list_name(kind, group), ListKind.account
    else:
        try:
            value = normalize_value(kind, attribute.value)
        except InvalidListValue as error:
            raise InvalidInput(
                f"attribute {attribute_id}: {error}",
                details=[{"field": "value", "id": attribute_id}],
                zh=f"属性 {attribute_id}：{error.message_zh or error}",
            ) from None
        if len(value) > MAX_VALUE:
            # Normalising can lengthen a value (a "/" path, punycode): it must still fit a list entry.
            raise InvalidInput(
                f"attribute {attribute_id}: the value is longer than {MAX_VALUE} characters once normalised",
                details=[{"field": "value", "id": attribute_id}],
                zh=f"属性 {attribute_id}：值规范化后超过 {MAX_VALUE} 个字符",
            )
        list_name, list_kind = imported_list_name(kind), kind
    confidence = tags.get("confidence")
    reason = f"MISP {attribute_id}" + ("" if confidence is None else f" (confidence {confidence})")
    source = f"misp:{organisation}; tlp:{tlp}"[:200]
    return IncomingIndicator(list_name, list_kind, value, source, reason, expires_at, attribute.deleted)
