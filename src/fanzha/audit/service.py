"""Append to the hash-chained audit log. Every service function that changes state calls :func:`record`."""

from __future__ import annotations

import hashlib
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
