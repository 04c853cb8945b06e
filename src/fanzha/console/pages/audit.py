"""The audit log: filters (actor, action, object, time range), paging, CSV export, and the chain check.

The log is read newest first and paged by sequence number, as ``/v1/audit`` pages it. Entries name
objects by their values, and a list entry's value may be a phone number or a payment account, so long
digit runs (phones, ID numbers, card numbers) are masked unless a role with ``personal_data:reveal``
asks to see the page unmasked (which is itself recorded). "Verify the chain" re-walks the whole log
with the same function as ``GET /v1/audit/verify`` and ``fanzha audit verify``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanzha.audit import service as audit_service
from fanzha.audit.models import AuditEntry
from fanzha.auth.masking import mask_digit_runs
from fanzha.auth.roles import Permission
from fanzha.cases import service as cases_service
from fanzha.console.exports import csv_response, csv_text
from fanzha.console.web import Console, ConsoleAction, ConsolePage
from fanzha.kit.clock import ensure_utc
from fanzha.kit.errors import InvalidInput
from fanzha.kit.web import unit_of_work

router = APIRouter()

PAGE_SIZE = 50
EXPORT_LIMIT = 10_000
Text = Annotated[str, Query(max_length=300)]

# Where the console shows an object, by its audit object type.
OBJECT_PAGES = {
    "case": "/console/cases/{id}",
    "notice": "/console/notices/{id}",
    "report": "/console/reports/{id}",
    "list": "/console/lists/{id}",
    "appeal": "/console/appeals/{id}",
}


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What the log is narrowed to: a prefix of the actor and the object id (the whole id for a role that
    may not reveal personal data), the exact action and object type, a time range."""

    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: str = ""
    until: str = ""

    def query(self) -> dict[str, str]:
        """The filters that are set, as query parameters."""
        return {item.name: getattr(self, item.name) for item in fields(self) if getattr(self, item.name)}

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        return _moment(self.since, "since"), _moment(self.until, "until")


def _moment(value: str, field: str) -> datetime | None:
    """A ``datetime-local`` (or ISO) value, read as UTC."""
    if not value:
        return None
    try:
        return ensure_utc(datetime.fromisoformat(value))
    except ValueError:
        raise InvalidInput(
            f"{field}: not a date and time: {value!r}",
            details=[{"field": field}],
            zh=f"{field}：不是有效的日期时间：{value!r}",
        ) from None


def search(
    session: Session,
    wanted: AuditFilter,
    *,
    limit: int,
    before_seq: int | None = None,
    object_id_prefix: bool = True,
) -> list[AuditEntry]:
    """Newest first; ``seq`` is the primary key, so paging walks it backwards.

    ``object_id_prefix=False`` matches the object id whole: object ids can hold personal data
    (``blocked_phones:+86...``), and a prefix search would rebuild a masked one digit by digit.
    """
    since, until = wanted.bounds()
    statement = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if before_seq is not None:
        statement = statement.where(AuditEntry.seq < before_seq)
    if wanted.actor:
        statement = statement.where(AuditEntry.actor.startswith(wanted.actor, autoescape=True))
    if wanted.action:
        statement = statement.where(AuditEntry.action == wanted.action)
    if wanted.object_type:
        statement = statement.where(AuditEntry.object_type == wanted.object_type)
    if wanted.object_id and object_id_prefix:
        statement = statement.where(AuditEntry.object_id.startswith(wanted.object_id, autoescape=True))
    elif wanted.object_id:
        statement = statement.where(AuditEntry.object_id == wanted.object_id)
    if since is not None:
        statement = statement.where(AuditEntry.at >= since)
    if until is not None:
        statement = statement.where(AuditEntry.at < until)
    return list(session.execute(statement).scalars())


def known_actions(session: Session) -> list[str]:
    """Every action in the log, for the filter's suggestions (read off the ``action`` index)."""
    return list(session.execute(select(AuditEntry.action).distinct().order_by(AuditEntry.action).limit(500)).scalars())


def _json(value: Any) -> str:
    if value is None:
        return ""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()


def _hide_reporter(value: Any) -> Any:
    """A filed report's audit entry names who reported it; that is kept from roles that may not reveal it."""
    if isinstance(value, dict) and "reporter" in value:
        return {**value, "reporter": "***"}
    return value


def _row(entry: AuditEntry, *, reveal: bool) -> dict[str, Any]:
    shown = (lambda text: text) if reveal else mask_digit_runs
    page = OBJECT_PAGES.get(entry.object_type)
    return {
        "seq": entry.seq,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": shown(entry.object_id),
        "object_url": page.format(id=entry.object_id) if page and "/" not in entry.object_id else None,
        "reason": shown(entry.reason or ""),
        "before": shown(_json(entry.before if reveal else _hide_reporter(entry.before))),
        "after": shown(_json(entry.after if reveal else _hide_reporter(entry.after))),
        "hash": entry.hash,
    }


def _render(
    console: Console,
    request: Request,
    wanted: AuditFilter,
    *,
    before_seq: int | None,
    reveal: bool = False,
    chain: audit_service.ChainReport | None = None,
    mark: int | None = None,
) -> HTMLResponse:
    with unit_of_work(request) as session:
        rows = search(
            session,
            wanted,
            limit=PAGE_SIZE + 1,
            before_seq=before_seq,
            object_id_prefix=console.can(Permission.personal_data_reveal),
        )
        entries = [_row(entry, reveal=reveal) for entry in rows[:PAGE_SIZE]]
        actions = known_actions(session)
    query = wanted.query()
    return console.render(
        "audit/index.html",
        entries=entries,
        wanted=wanted,
        actions=actions,
        revealed=reveal,
        chain=chain,
        mark=mark,
        before_seq=before_seq,
        next_url=(
            f"/console/audit?{urlencode({**query, 'before_seq': entries[-1]['seq']})}"
            if len(rows) > PAGE_SIZE
            else None
        ),
        newest_url=f"/console/audit?{urlencode(query)}" if before_seq is not None else None,
        export_url=f"/console/audit/export.csv?{urlencode(query)}",
        query_fields=query,
    )


@router.get("/audit", include_in_schema=False)
def audit_page(
    request: Request,
    console: ConsolePage,
    actor: Text = "",
    action: Text = "",
    object_type: Text = "",
    object_id: Text = "",
    since: Annotated[str, Query(max_length=40)] = "",
    until: Annotated[str, Query(max_length=40)] = "",
    before_seq: Annotated[int | None, Query(ge=1)] = None,
    mark: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    console.require(Permission.audit_read)
    wanted = AuditFilter(actor.strip(), action.strip(), object_type.strip(), object_id.strip(), since, until)
    return _render(console, request, wanted, before_seq=before_seq, mark=mark)


@router.post("/audit/reveal", include_in_schema=False)
def reveal(
    request: Request,
    console: ConsoleAction,
    actor: Annotated[str, Form(max_length=300)] = "",
    action: Annotated[str, Form(max_length=300)] = "",
    object_type: Annotated[str, Form(max_length=300)] = "",
    object_id: Annotated[str, Form(max_length=300)] = "",
    since: Annotated[str, Form(max_length=40)] = "",
    until: Annotated[str, Form(max_length=40)] = "",
    before_seq: Annotated[int | None, Form(ge=1)] = None,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    """This page of the log unmasked, once; the reveal is recorded first (in the log it reveals)."""
    console.require(Permission.audit_read)
    console.require(Permission.personal_data_reveal)
    wanted = AuditFilter(actor, action, object_type, object_id, since, until)
    with unit_of_work(request) as session:
        cases_service.record_reveal(
            session,
            actor=console.actor,
            object_type="audit_log",
            object_id=urlencode({**wanted.query(), **({"before_seq": before_seq} if before_seq else {})}) or "latest",
            reason=reason.strip() or None,
        )
    return _render(console, request, wanted, before_seq=before_seq, reveal=True)


@router.get("/audit/verify", include_in_schema=False)
def verify(request: Request, console: ConsolePage) -> HTMLResponse:
    """Re-walk the chain; htmx swaps the verdict into the page, a plain request gets the whole page."""
    console.require(Permission.audit_read)
    with unit_of_work(request) as session:
        report = audit_service.verify_chain(session)
    if request.headers.get("hx-request"):
        return console.render("audit/_chain.html", chain=report)
    return _render(console, request, AuditFilter(), before_seq=None, chain=report)


@router.get("/audit/export.csv", include_in_schema=False)
def export(
    request: Request,
    console: ConsolePage,
    actor: Text = "",
    action: Text = "",
    object_type: Text = "",
    object_id: Text = "",
    since: Annotated[str, Query(max_length=40)] = "",
    until: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """The filtered log (newest :data:`EXPORT_LIMIT` entries), masked as the page is, formula-safe."""
    console.require(Permission.audit_read)
    wanted = AuditFilter(actor.strip(), action.strip(), object_type.strip(), object_id.strip(), since, until)
    with unit_of_work(request) as session:
        found = search(
            session, wanted, limit=EXPORT_LIMIT, object_id_prefix=console.can(Permission.personal_data_reveal)
        )
        rows = [_row(entry, reveal=False) for entry in found]
    header = ["seq", "at", "actor", "action", "object_type", "object_id", "reason", "before", "after", "hash"]
    text = csv_text(
        header,
        (
            [
                row["seq"],
                ensure_utc(row["at"]).isoformat(),
                row["actor"],
                row["action"],
                row["object_type"],
                row["object_id"],
                row["reason"],
                row["before"].replace("\n", " "),
                row["after"].replace("\n", " "),
                row["hash"],
            ]
            for row in rows
        ),
    )
    return csv_response(text, "audit-log.csv")
