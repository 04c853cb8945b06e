"""Indicator lists: every list with its kind and size, entries with search, add and remove with a reason,
and CSV export. Adding and removing call the same service functions as ``/v1/lists`` and tell this
process's membership index at once, as the API does.

Phone numbers and payment accounts are masked unless a role with ``personal_data:reveal`` asks to see
them (a POST that is recorded in the audit log first). Entries are removed by id, so a masked page never
has to carry the unmasked value in a form.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from fanzha.auth.masking import PERSONAL_TYPES, mask, mask_digit_runs
from fanzha.auth.roles import Permission
from fanzha.cases import service as cases_service
from fanzha.console.exports import csv_response, csv_text
from fanzha.console.i18n import error_texts
from fanzha.console.web import Console, ConsoleAction, ConsolePage
from fanzha.kit.clock import ensure_utc, iso_or_none
from fanzha.kit.errors import FanzhaError, InvalidInput, NotFound
from fanzha.kit.web import runtime_of, unit_of_work
from fanzha.lists import service as lists_service
from fanzha.lists.kinds import InvalidListValue, ListKind, normalize_value
from fanzha.lists.models import IndicatorList, ListEntry
from fanzha.lists.repository import ListRepository

router = APIRouter()

PAGE_SIZE = 50
DONE = frozenset({"added", "removed"})
ListName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,99}$")]
Reason = Annotated[str, Form(max_length=2000)]


def _entry_row(entry: ListEntry, kind: str, *, reveal: bool) -> dict[str, Any]:
    return {
        "id": entry.id,
        "value": entry.value if reveal else mask(kind, entry.value),
        "reason": entry.reason if reveal else mask_digit_runs(entry.reason),
        "source": entry.source,
        "expires_at": entry.expires_at,
        "created_at": entry.created_at,
        "created_by": entry.created_by,
    }


def _find_everywhere(session: Session, lists: list[IndicatorList], value: str) -> list[tuple[IndicatorList, ListEntry]]:
    """The lists ``value`` is on (normalised for each list's kind; one keyed look-up per list)."""
    found: list[tuple[IndicatorList, ListEntry]] = []
    for indicator_list in lists:
        try:
            entry = lists_service.find_entry(session, list_name=indicator_list.name, value=value)
        except (NotFound, InvalidInput):
            continue
        found.append((indicator_list, entry))
    return found


@router.get("/lists", include_in_schema=False)
def lists_page(request: Request, console: ConsolePage, q: Annotated[str, Query(max_length=2048)] = "") -> HTMLResponse:
    console.require(Permission.lists_read)
    query = q.strip()
    with unit_of_work(request) as session:
        lists = lists_service.all_lists(session)
        hits = [
            (indicator_list, _entry_row(entry, indicator_list.kind, reveal=False))
            for indicator_list, entry in (_find_everywhere(session, lists, query) if query else [])
        ]
        return console.render(
            "lists/index.html",
            lists=lists,
            q=query,
            hits=hits,
            personal_kinds=PERSONAL_TYPES,
        )


def _exact_search(indicator_list: IndicatorList, q: str) -> str | None:
    """The normalised value to match whole on a personal-data list (``""`` matches nothing); None elsewhere."""
    if indicator_list.kind not in PERSONAL_TYPES:
        return None
    try:
        return normalize_value(ListKind(indicator_list.kind), q)
    except (InvalidListValue, ValueError):
        return ""


def _list_page(
    console: Console,
    request: Request,
    name: str,
    *,
    q: str,
    page: int,
    reveal: bool = False,
    done: str = "",
    form: dict[str, str] | None = None,
    error: FanzhaError | None = None,
) -> HTMLResponse:
    with unit_of_work(request) as session:
        indicator_list = lists_service.get_list(session, name=name)
        # Search is a prefix of the stored (normalised) value: a phone is searched as +86138...
        # Personal data is searched whole for a role that may not reveal it: a prefix search would let
        # it rebuild a masked number one digit at a time.
        exact = _exact_search(indicator_list, q) if q and not console.can(Permission.personal_data_reveal) else None
        rows = lists_service.entries(
            session,
            list_name=name,
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
            prefix=(exact if exact is not None else q) or None,
        )
        if exact is not None:
            rows = [row for row in rows if row.value == exact]
        entries = [_entry_row(entry, indicator_list.kind, reveal=reveal) for entry in rows[:PAGE_SIZE]]
        base = {"q": q} if q else {}
        return console.render(
            "lists/list.html",
            status_code=error.status_code if error is not None else 200,
            indicator_list=indicator_list,
            personal=indicator_list.kind in PERSONAL_TYPES,
            entries=entries,
            q=q,
            page=page,
            revealed=reveal,
            done=done if done in DONE else "",
            form=form or {},
            error=error,
            previous_url=f"/console/lists/{name}?{urlencode({**base, 'page': page - 1})}" if page > 1 else None,
            next_url=f"/console/lists/{name}?{urlencode({**base, 'page': page + 1})}"
            if len(rows) > PAGE_SIZE
            else None,
            export_url=f"/console/lists/{name}/export.csv",
        )


@router.get("/lists/{name}", include_in_schema=False)
def list_page(
    name: ListName,
    request: Request,
    console: ConsolePage,
    q: Annotated[str, Query(max_length=2048)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    done: Annotated[str, Query(max_length=30)] = "",
) -> HTMLResponse:
    console.require(Permission.lists_read)
    return _list_page(console, request, name, q=q.strip(), page=page, done=done)


@router.post("/lists/{name}/reveal", include_in_schema=False)
def reveal(
    name: ListName,
    request: Request,
    console: ConsoleAction,
    q: Annotated[str, Form(max_length=2048)] = "",
    page: Annotated[int, Form(ge=1, le=100_000)] = 1,
    reason: Reason = "",
) -> HTMLResponse:
    """The same page with the values unmasked, once; the reveal is recorded in the audit log first."""
    console.require(Permission.lists_read)
    console.require(Permission.personal_data_reveal)
    with unit_of_work(request) as session:
        lists_service.get_list(session, name=name)
        cases_service.record_reveal(
            session, actor=console.actor, object_type="list", object_id=name, reason=reason.strip() or None
        )
    return _list_page(console, request, name, q=q.strip(), page=page, reveal=True)


def _expiry(value: str) -> datetime | None:
    """A ``datetime-local`` field (read as UTC, as the page says) or nothing."""
    if not value.strip():
        return None
    try:
        return ensure_utc(datetime.fromisoformat(value.strip()))
    except ValueError:
        raise InvalidInput(
            f"not a date and time: {value!r}", details=[{"field": "expires_at"}], zh=f"不是有效的日期时间：{value!r}"
        ) from None


@router.post("/lists/{name}/entries", include_in_schema=False)
def add_entry(
    name: ListName,
    request: Request,
    console: ConsoleAction,
    value: Annotated[str, Form(max_length=2048)] = "",
    reason: Reason = "",
    expires_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    console.require(Permission.lists_write)
    form = {"value": value, "reason": reason, "expires_at": expires_at}
    try:
        if not value.strip():
            english, chinese = error_texts("lists.value_required")
            raise InvalidInput(english, details=[{"field": "value"}], zh=chinese)
        reason = console.required_reason(reason, "lists.reason_required")
        with unit_of_work(request) as session:
            _entry, change = lists_service.add_entry(
                session,
                list_name=name,
                value=value,
                reason=reason,
                source=f"console:{console.user.username}",
                expires_at=_expiry(expires_at),
                actor=console.actor,
            )
    except InvalidInput as error:
        return _list_page(console, request, name, q="", page=1, form=form, error=error)
    runtime_of(request).lists.apply(change)
    return console.redirect(f"/console/lists/{name}?done=added")


@router.post("/lists/{name}/entries/{entry_id}/remove", include_in_schema=False)
def remove_entry(
    name: ListName, entry_id: int, request: Request, console: ConsoleAction, reason: Reason = ""
) -> Response:
    console.require(Permission.lists_write)
    reason = console.required_reason(reason, "lists.reason_required")
    with unit_of_work(request) as session:
        entry = session.get(ListEntry, entry_id)
        if entry is None or entry.list_name != name:
            raise NotFound(f"list {name!r} has no entry {entry_id}", zh=f"名单 {name!r} 中没有条目 {entry_id}")
        change = lists_service.remove_entry(
            session, list_name=name, value=entry.value, actor=console.actor, reason=reason
        )
    runtime_of(request).lists.apply(change)
    return console.redirect(f"/console/lists/{name}?done=removed")


def _export(session: Session, indicator_list: IndicatorList, *, reveal: bool) -> str:
    """The list as the CLI exports it (``value,reason,source,expires_at``), values masked unless ``reveal``."""
    if reveal:
        out = io.StringIO()
        lists_service.export_csv(session, list_name=indicator_list.name, out=out)
        return out.getvalue()
    return csv_text(
        ["value", "reason", "source", "expires_at"],
        (
            [mask(indicator_list.kind, value), mask_digit_runs(reason or ""), source, iso_or_none(expires_at)]
            for value, reason, source, expires_at in ListRepository(session).iter_entries(indicator_list.name)
        ),
    )


@router.get("/lists/{name}/export.csv", include_in_schema=False)
def export(name: ListName, request: Request, console: ConsolePage) -> Response:
    """The whole list as CSV; personal data masked (a role that may reveal it uses the POST form)."""
    console.require(Permission.lists_read)
    with unit_of_work(request) as session:
        indicator_list = lists_service.get_list(session, name=name)
        text = _export(session, indicator_list, reveal=False)
    return csv_response(text, f"list-{name}.csv")


@router.post("/lists/{name}/export.csv", include_in_schema=False)
def export_revealed(name: ListName, request: Request, console: ConsoleAction, reason: Reason = "") -> Response:
    """The whole list with personal data unmasked, for a role that may reveal it (recorded in the audit log)."""
    console.require(Permission.lists_read)
    console.require(Permission.personal_data_reveal)
    with unit_of_work(request) as session:
        indicator_list = lists_service.get_list(session, name=name)
        cases_service.record_reveal(
            session,
            actor=console.actor,
            object_type="list",
            object_id=name,
            reason=reason.strip() or "CSV export",
        )
        text = _export(session, indicator_list, reveal=True)
    return csv_response(text, f"list-{name}.csv")
