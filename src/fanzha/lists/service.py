"""Indicator lists: create lists, add and remove entries (one by one or from CSV), with audit.

Every change bumps the list's revision in the same transaction, so the in-memory membership
indexes of every running process (see :mod:`fanzha.lists.runtime`) learn about it.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy.orm import Session

from fanzha.audit import service as audit
from fanzha.kit.clock import ensure_utc, iso_or_none, utcnow
from fanzha.kit.errors import InvalidInput, NotFound
from fanzha.kit.revisions.repository import RevisionRepository
from fanzha.kit.spreadsheets import formula_safe
from fanzha.lists.kinds import InvalidListValue, ListKind, normalize_value
from fanzha.lists.models import IndicatorList, ListEntry
from fanzha.lists.repository import ListRepository

# The lists the default rule pack consults; `fanzha init` creates them empty.
DEFAULT_LISTS: dict[str, tuple[ListKind, str]] = {
    "blocked_phones": (ListKind.phone, "Phone numbers used for fraud / 涉诈电话号码"),
    "blocked_domains": (ListKind.domain, "Fraud domains / 涉诈域名"),
    "blocked_urls": (ListKind.url, "Fraud URLs / 涉诈网址"),
    "blocked_devices": (ListKind.device, "Devices used for fraud / 涉诈设备"),
    "blocked_accounts": (ListKind.account, "Accounts used for fraud / 涉诈账号"),
    "blocked_payment_accounts": (ListKind.payment_account, "Payment accounts used for fraud / 涉诈收款账户"),
    "blocked_ips": (ListKind.ip, "IP addresses used for fraud / 涉诈IP"),
    "allowed_accounts": (ListKind.account, "Accounts never blocked by rules / 白名单账号"),
}

IMPORT_CHUNK = 5_000


def revision_name(list_name: str) -> str:
    return f"list:{list_name}"


@dataclass(frozen=True, slots=True)
class EntryChange:
    """What a committed change did to one list, for the in-process index to apply at once."""

    list_name: str
    value: str
    expires_at: datetime | None
    removed: bool
    revision: int


def get_list(session: Session, *, name: str) -> IndicatorList:
    indicator_list = ListRepository(session).get_list(name)
    if indicator_list is None:
        raise NotFound(
            f"no list named {name!r}; create it first with PUT /v1/lists/{name}",
            zh=f"名单 {name!r} 不存在；请先用 PUT /v1/lists/{name} 创建",
        )
    return indicator_list


def create_list(session: Session, *, name: str, kind: ListKind, description: str, actor: str) -> IndicatorList:
    """Create a list, or return the existing one when it has the same kind."""
    repository = ListRepository(session)
    existing = repository.get_list(name)
    if existing is not None:
        if existing.kind != kind.value:
            raise InvalidInput(
                f"list {name!r} already exists with kind {existing.kind!r}",
                details=[{"field": "kind"}],
                zh=f"名单 {name!r} 已存在，类型为 {existing.kind!r}",
            )
        return existing
    indicator_list = IndicatorList(
        name=name, kind=kind.value, description=description, created_at=utcnow(), entry_count=0
    )
    repository.add_list(indicator_list)
    RevisionRepository(session).bump(revision_name(name))
    audit.record(
        session,
        actor=actor,
        action="list.create",
        object_type="list",
        object_id=name,
        after={"kind": kind.value, "description": description},
    )
    return indicator_list


def ensure_default_lists(session: Session, *, actor: str) -> None:
    for name, (kind, description) in DEFAULT_LISTS.items():
        create_list(session, name=name, kind=kind, description=description, actor=actor)


def normalize_for_list(indicator_list: IndicatorList, value: str) -> str:
    try:
        return normalize_value(ListKind(indicator_list.kind), value)
    except InvalidListValue as error:
        raise InvalidInput(str(error), details=[{"field": "value", "value": value}], zh=error.message_zh) from None


def add_entry(
    session: Session,
    *,
    list_name: str,
    value: str,
    reason: str,
    source: str,
    expires_at: datetime | None,
    actor: str,
) -> tuple[ListEntry, EntryChange]:
    indicator_list = get_list(session, name=list_name)
    normalized = normalize_for_list(indicator_list, value)
    if expires_at is not None and ensure_utc(expires_at) <= utcnow():
        raise InvalidInput(
            "expires_at is in the past", details=[{"field": "expires_at"}], zh="expires_at 已是过去的时间"
        )
    repository = ListRepository(session)
    before = repository.get_entry(list_name, normalized)
    before_state = None if before is None else {"reason": before.reason, "expires_at": iso_or_none(before.expires_at)}
    repository.upsert_entries(
        [
            {
                "list_name": list_name,
                "value": normalized,
                "reason": reason,
                "source": source or actor,
                "expires_at": expires_at,
                "created_at": utcnow(),
                "created_by": actor,
            }
        ]
    )
    session.expire_all()
    entry = repository.get_entry(list_name, normalized)
    assert entry is not None
    indicator_list.entry_count = repository.refresh_count(list_name)
    revision = RevisionRepository(session).bump(revision_name(list_name))
    audit.record(
        session,
        actor=actor,
        action="list.entry.add",
        object_type="list_entry",
        object_id=f"{list_name}:{normalized}",
        before=before_state,
        after={"reason": reason, "source": entry.source, "expires_at": iso_or_none(expires_at)},
        reason=reason or None,
    )
    return entry, EntryChange(list_name, normalized, expires_at, False, revision)


def find_entry(session: Session, *, list_name: str, value: str) -> ListEntry:
    indicator_list = get_list(session, name=list_name)
    normalized = normalize_for_list(indicator_list, value)
    entry = ListRepository(session).get_entry(list_name, normalized)
    if entry is None:
        raise NotFound(f"{normalized!r} is not on list {list_name!r}", zh=f"{normalized!r} 不在名单 {list_name!r} 上")
    return entry


def all_lists(session: Session) -> list[IndicatorList]:
    return ListRepository(session).all_lists()


def entries(session: Session, *, list_name: str, limit: int, offset: int, prefix: str | None) -> list[ListEntry]:
    get_list(session, name=list_name)
    return ListRepository(session).entries(list_name, limit=limit, offset=offset, prefix=prefix)


def remove_entry(session: Session, *, list_name: str, value: str, actor: str, reason: str | None = None) -> EntryChange:
    indicator_list = get_list(session, name=list_name)
    normalized = normalize_for_list(indicator_list, value)
    repository = ListRepository(session)
    entry = repository.get_entry(list_name, normalized)
    if entry is None:
        raise NotFound(f"{normalized!r} is not on list {list_name!r}", zh=f"{normalized!r} 不在名单 {list_name!r} 上")
    before = {"reason": entry.reason, "source": entry.source, "expires_at": iso_or_none(entry.expires_at)}
    repository.delete_entry(list_name, normalized)
    repository.refresh_count(list_name)
    revision = RevisionRepository(session).bump(revision_name(list_name))
    audit.record(
        session,
        actor=actor,
        action="list.entry.remove",
        object_type="list_entry",
        object_id=f"{list_name}:{normalized}",
        before=before,
        reason=reason,
    )
    return EntryChange(list_name, normalized, None, True, revision)


@dataclass(frozen=True, slots=True)
class ImportRow:
    value: str
    reason: str
    source: str
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.message}"


def parse_csv(
    indicator_list: IndicatorList, stream: TextIO, *, max_errors: int = 50
) -> tuple[list[ImportRow], list[RowError]]:
    """Read and validate a whole CSV (header ``value[,reason,source,expires_at]``) before storing anything."""
    reader = csv.DictReader(stream)
    if reader.fieldnames is None or "value" not in reader.fieldnames:
        return [], [RowError(1, "header", "the first line must name the columns and include 'value'")]
    unknown = set(reader.fieldnames) - {"value", "reason", "source", "expires_at"}
    if unknown:
        return [], [RowError(1, "header", f"unknown columns: {', '.join(sorted(unknown))}")]
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    kind = ListKind(indicator_list.kind)
    now = utcnow()
    for number, record in enumerate(reader, start=2):
        if len(errors) >= max_errors:
            break
        try:
            value = normalize_value(kind, record.get("value") or "")
        except InvalidListValue as error:
            errors.append(RowError(number, "value", str(error)))
            continue
        expires_at = None
        raw_expiry = (record.get("expires_at") or "").strip()
        if raw_expiry:
            try:
                expires_at = ensure_utc(datetime.fromisoformat(raw_expiry))
            except ValueError:
                errors.append(RowError(number, "expires_at", f"not an ISO 8601 time: {raw_expiry!r}"))
                continue
            if expires_at <= now:
                continue  # already expired: nothing to import
        rows.append(
            ImportRow(value, (record.get("reason") or "").strip(), (record.get("source") or "").strip(), expires_at)
        )
    return rows, errors


def import_entries(
    session: Session,
    *,
    list_name: str,
    rows: Iterable[ImportRow],
    actor: str,
    source: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Store validated rows in chunks inside the caller's transaction; return how many."""
    indicator_list = get_list(session, name=list_name)
    repository = ListRepository(session)
    now = utcnow()
    count = 0
    for chunk in _chunks(rows, IMPORT_CHUNK):
        # The last row wins when the same value appears twice in one file.
        unique = {row.value: row for row in chunk}
        repository.upsert_entries(
            [
                {
                    "list_name": list_name,
                    "value": row.value,
                    "reason": row.reason,
                    "source": row.source or source,
                    "expires_at": row.expires_at,
                    "created_at": now,
                    "created_by": actor,
                }
                for row in unique.values()
            ]
        )
        count += len(chunk)
        if progress is not None:
            progress(len(chunk))
    indicator_list.entry_count = repository.refresh_count(list_name)
    RevisionRepository(session).bump(revision_name(list_name))
    audit.record(
        session,
        actor=actor,
        action="list.import",
        object_type="list",
        object_id=list_name,
        after={"rows": count, "source": source},
    )
    return count


def export_csv(session: Session, *, list_name: str, out: TextIO) -> int:
    get_list(session, name=list_name)
    writer = csv.writer(out)
    writer.writerow(["value", "reason", "source", "expires_at"])
    count = 0
    for value, reason, source, expires_at in ListRepository(session).iter_entries(list_name):
        writer.writerow(
            [formula_safe(value), formula_safe(reason), formula_safe(source), iso_or_none(expires_at) or ""]
        )
        count += 1
    return count


def _chunks(rows: Iterable[ImportRow], size: int) -> Iterator[list[ImportRow]]:
    chunk: list[ImportRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def entry_to_dict(entry: ListEntry) -> dict[str, Any]:
    return {
        "list": entry.list_name,
        "value": entry.value,
        "reason": entry.reason,
        "source": entry.source,
        "expires_at": entry.expires_at,
        "created_at": entry.created_at,
        "created_by": entry.created_by,
    }
