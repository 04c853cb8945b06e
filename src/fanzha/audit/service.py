"""Append to the hash-chained audit log. Every service function that changes state calls :func:`record`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.orm import Session

from fanzha.audit.models import AuditEntry
from fanzha.audit.repository import AuditRepository
from fanzha.kit.clock import utcnow

GENESIS_HASH = "0" * 64


def entry_digest(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the entry's canonical JSON (sorted keys, UTC ISO times)."""
    canonical = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z)
    return hashlib.sha256(prev_hash.encode("ascii") + canonical).hexdigest()


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
    }


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    before: Any = None,
    after: Any = None,
    reason: str | None = None,
) -> AuditEntry:
    """Append one entry chained to the current head, in the caller's transaction."""
    repository = AuditRepository(session)
    repository.lock_chain_head()
    prev_hash = repository.last_hash() or GENESIS_HASH
    at = utcnow()
    fields = {
        "at": at.isoformat(),
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "before": before,
        "after": after,
        "reason": reason,
    }
    entry = AuditEntry(
        at=at,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        reason=reason,
        prev_hash=prev_hash,
        hash=entry_digest(prev_hash, fields),
    )
    repository.add(entry)
    return entry


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of re-walking the chain: how many entries were checked and the first bad one."""

    checked: int
    head_hash: str
    bad_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.bad_seq is None


def verify_chain(session: Session) -> ChainReport:
    """Recompute every entry's hash in sequence order and check it links to the one before.

    A changed row fails its own hash; a deleted or re-ordered row breaks the next row's link to
    its predecessor; a row inserted out of order breaks the link either side of it. Removing the
    newest rows cannot be seen from inside the chain: compare ``head_hash`` with a copy kept
    elsewhere for that.
    """
    previous = GENESIS_HASH
    checked = 0
    for entry in AuditRepository(session).iter_in_order():
        if entry.prev_hash != previous:
            return ChainReport(checked, previous, entry.seq, "does not link to the entry before it")
        if entry_digest(entry.prev_hash, _fields(entry)) != entry.hash:
            return ChainReport(checked, previous, entry.seq, "its content does not match its hash")
        previous = entry.hash
        checked += 1
    return ChainReport(checked, previous)


def search(
    session: Session,
    *,
    limit: int,
    before_seq: int | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
) -> list[AuditEntry]:
    return AuditRepository(session).search(
        limit=limit,
        before_seq=before_seq,
        object_type=object_type,
        object_id=object_id,
        actor=actor,
        action=action,
    )
