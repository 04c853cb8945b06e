"""Append to the hash-chained audit log. Every service function that changes state calls :func:`record`
(or :func:`record_many` for a batch: the same entries, chained in Python and inserted together)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
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
class Draft:
    """One entry to append with :func:`record_many`: what :func:`record` takes, less the session."""

    actor: str
    action: str
    object_type: str
    object_id: str
    before: Any = None
    after: Any = None
    reason: str | None = None


class ChainOrderError(RuntimeError):
    """The database numbered a batch of entries out of chain order (never expected; the batch is refused)."""


def record_many(session: Session, drafts: Sequence[Draft]) -> None:
    """Append ``drafts`` in order, each chained to the one before, in the caller's transaction.

    The entries are exactly what one :func:`record` call per draft would write (same fields, same
    hashes given the same times; they share one ``at``), so ``verify_chain`` checks them like any
    other, but the chain head is locked and read once and the rows go in as one batch.
    """
    if not drafts:
        return
    repository = AuditRepository(session)
    repository.lock_chain_head()
    session.flush()  # an entry recorded one by one and not flushed yet is part of the head
    prev_hash = repository.last_hash() or GENESIS_HASH
    at = utcnow()
    rows: list[dict[str, Any]] = []
    for draft in drafts:
        fields = {
            "at": at.isoformat(),
            "actor": draft.actor,
            "action": draft.action,
            "object_type": draft.object_type,
            "object_id": draft.object_id,
            "before": draft.before,
            "after": draft.after,
            "reason": draft.reason,
        }
        digest = entry_digest(prev_hash, fields)
        rows.append({**fields, "at": at, "prev_hash": prev_hash, "hash": digest})
        prev_hash = digest
    # The chain is walked in sequence order: refuse (and so roll back) a batch the database numbered
    # in any other order rather than leave a chain that no longer verifies.
    if repository.add_many(rows) != [row["hash"] for row in rows]:
        raise ChainOrderError("audit entries were numbered out of chain order; nothing was recorded")


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
