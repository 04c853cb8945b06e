"""The shapes indicator sharing works with, whatever the format (STIX 2.1 or MISP), and who is sharing.

Pure: no database and no format library. An export gathers :class:`SharedIndicator` records from the
lists and hands them to a format; an import turns a partner's bundle or event into
:class:`IncomingIndicator` records, checks every one of them, and only then stores them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from fanzha.lists.kinds import ListKind

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/fanzha/fanzha/intel")
_IDENTITY_ID = re.compile(r"^identity--([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")

TLP_LEVELS = ("white", "green", "amber", "red")
"""The TLP levels an export can be marked with (TLP 1.0 names, as STIX 2.1 defines them)."""


@dataclass(frozen=True, slots=True)
class SharingIdentity:
    """This instance as a sharing partner: the STIX Identity every export is created by, the MISP ``Orgc``.

    Indicator ids are derived from the identity (a UUIDv5 of the pattern in the identity's namespace), so
    one instance gives the same indicator the same id in every export (a later revocation names it) and two
    instances never collide.
    """

    name: str
    identity_id: str

    @classmethod
    def of(cls, name: str, identity_id: str | None) -> SharingIdentity:
        """The identity from settings; without an id, one derived from the name (stable across restarts)."""
        if identity_id is None:
            identity_id = f"identity--{uuid.uuid5(_NAMESPACE, f'identity:{name}')}"
        if not _IDENTITY_ID.match(identity_id):
            raise ValueError(f"not a STIX identity id: {identity_id!r}")
        return cls(name, identity_id)

    @property
    def uuid(self) -> str:
        """The UUID part of the identity id (the MISP organisation's ``uuid``)."""
        return self.identity_id.removeprefix("identity--")

    def indicator_uuid(self, pattern: str) -> str:
        """The stable UUID of the indicator this instance shares for ``pattern``."""
        return str(uuid.uuid5(uuid.UUID(self.uuid), pattern))


def valid_identity_id(value: str) -> bool:
    return _IDENTITY_ID.match(value) is not None


@dataclass(frozen=True, slots=True)
class SharedIndicator:
    """One list entry going out: live (``withdrawn_at`` None) or withdrawn here since it was shared.

    ``value`` is the normalised value, or its salted SHA-256 when ``hashed``; ``pattern`` is its STIX
    pattern, which also keys the indicator's id in every format.
    """

    list_name: str
    kind: ListKind
    value: str
    hashed: bool
    pattern: str
    first_seen: datetime
    valid_until: datetime | None
    withdrawn_at: datetime | None = None
    withdrawn_reason: str = ""


@dataclass(frozen=True, slots=True)
class IncomingIndicator:
    """One checked indicator from a partner: which list it goes on, its value, provenance and expiry.

    ``revoked`` ones withdraw the entry that the same source shared earlier instead of adding one.
    """

    list_name: str
    list_kind: ListKind
    value: str
    source: str
    reason: str
    expires_at: datetime | None
    revoked: bool


def source_owner(source: str) -> str:
    """``stix:<who>`` of a source ``stix:<who>; tlp:<level>``: the part that must match to withdraw."""
    return source.split("; tlp:", 1)[0]
