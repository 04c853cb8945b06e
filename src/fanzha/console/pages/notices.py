"""Police and authority notices: the list with filters, the notice page with per-identifier progress
against the deadline, the feedback downloads, marking a notice answered, and importing a notice file.

Importing and answering call the same service functions as ``/v1/notices``; the feedback downloads are
the API's CSV and XLSX, byte for byte. Identifiers (phones, payment accounts) are masked on the page
unless the user asks to reveal them, and every unmasked read (a reveal, a feedback download) is
recorded in the audit log first.

A notice is handled at import: each identifier is looked up, linked to accounts and the requested
measures proposed at once. What can still be outstanding is approval: an irreversible measure waits
for a second person. So an identifier is *done* when it was not found, or when none of the measures
proposed for its accounts still waits for approval; the notice is done when it is answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from fanzha.auth.masking import mask
from fanzha.auth.roles import Permission
from fanzha.cases import service as cases_service
from fanzha.console.charts import time_bar
from fanzha.console.exports import csv_response
from fanzha.console.i18n import Translator
from fanzha.console.web import Console, ConsoleAction, ConsolePage
from fanzha.kit.clock import ensure_utc, utcnow
from fanzha.kit.errors import Conflict, InvalidInput
from fanzha.kit.web import runtime_of, unit_of_work
from fanzha.measures.models import Measure
from fanzha.measures.runtime import apply_list_changes
from fanzha.measures.vocabulary import MeasureState
from fanzha.notices import files
from fanzha.notices import service as notices_service
from fanzha.notices.models import Notice, NoticeIdentifier
from fanzha.notices.schemas import IdentifierOutcome, IdentifierType, NoticeState

router = APIRouter()

PAGE_SIZE = 50
IDENTIFIER_PAGE = 200
DUE_SOON = timedelta(hours=24)
DUE_FILTERS = ("overdue", "soon", "later")
DONE = frozenset({"imported", "answered"})
Text = Annotated[str, Query(max_length=200)]


# ---- queries ---------------------------------------------------------------------------------------


def search(
    session: Session,
    *,
    state: str | None,
    due: str | None,
    unit: str,
    number: str,
    now: datetime,
    limit: int,
    offset: int,
) -> list[Notice]:
    """By deadline, soonest first. ``due`` narrows to open notices overdue, due within 24 hours or later
    (``ix_notices_state_deadline``); ``unit`` and ``number`` (document or police case number) are prefixes."""
    statement = select(Notice).order_by(Notice.deadline, Notice.id).limit(limit).offset(offset)
    if due in DUE_FILTERS:
        state = NoticeState.open.value
        statement = statement.where(
            {
                "overdue": Notice.deadline < now,
                "soon": and_(Notice.deadline >= now, Notice.deadline < now + DUE_SOON),
                "later": Notice.deadline >= now + DUE_SOON,
            }[due]
        )
    if state:
        statement = statement.where(Notice.state == state)
    if unit:
        statement = statement.where(Notice.issuing_unit.startswith(unit, autoescape=True))
    if number:
        statement = statement.where(
            or_(
                Notice.document_no.startswith(number, autoescape=True),
                Notice.case_no.startswith(number, autoescape=True),
            )
        )
    return list(session.execute(statement).scalars())


def identifiers(
    session: Session, notice_id: int, *, outcome: str | None, kind: str | None, limit: int, offset: int
) -> tuple[list[NoticeIdentifier], int]:
    """One page of a notice's identifiers in file order, and how many match (a notice may name 100,000)."""
    conditions = [NoticeIdentifier.notice_id == notice_id]
    if outcome:
        conditions.append(NoticeIdentifier.outcome == outcome)
    if kind:
        conditions.append(NoticeIdentifier.type == kind)
    rows = session.execute(
        select(NoticeIdentifier).where(*conditions).order_by(NoticeIdentifier.position).limit(limit).offset(offset)
    ).scalars()
    total = session.execute(select(func.count()).select_from(NoticeIdentifier).where(*conditions)).scalar_one()
    return list(rows), int(total)


def measure_states(session: Session, measure_ids: Sequence[int]) -> dict[int, str]:
    """The state each measure is in now (the feedback rows keep the state at import)."""
    if not measure_ids:
        return {}
    rows = session.execute(select(Measure.id, Measure.state).where(Measure.id.in_(sorted(set(measure_ids))))).all()
    return {int(row[0]): str(row[1]) for row in rows}


# ---- presentation ----------------------------------------------------------------------------------


def _duration(delta: timedelta, t: Translator) -> str:
    hours = abs(delta.total_seconds()) / 3600
    if hours >= 48:
        return t("notices.days", n=f"{hours / 24:.0f}")
    if hours >= 1:
        return t("notices.hours", n=f"{hours:.0f}")
    return t("notices.minutes", n=f"{hours * 60:.0f}")


@dataclass(frozen=True, slots=True)
class Deadline:
    """Where a notice stands against its deadline, for a badge and a time bar."""

    status: str  # answered, overdue, soon, later
    text: str
    fraction: float


def deadline_of(notice: Notice, now: datetime, t: Translator) -> Deadline:
    received, deadline = ensure_utc(notice.received_at), ensure_utc(notice.deadline)
    span = max((deadline - received).total_seconds(), 1.0)
    fraction = (now - received).total_seconds() / span
    if notice.state == NoticeState.answered.value:
        return Deadline("answered", t("notices.answered"), fraction)
    left = deadline - now
    if left.total_seconds() < 0:
        return Deadline("overdue", t("notices.overdue_by", time=_duration(left, t)), fraction)
    status = "soon" if left < DUE_SOON else "later"
    return Deadline(status, t("notices.left", time=_duration(left, t)), fraction)


def _measure_id(text: str) -> int | None:
    """``restrict#12:active`` (as the feedback keeps it) -> 12."""
    try:
        return int(text.split("#", 1)[1].split(":", 1)[0])
    except (IndexError, ValueError):
        return None


def identifier_rows(
    rows: Sequence[NoticeIdentifier], states: dict[int, str], deadline: datetime, *, reveal: bool
) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = []
    for row in rows:
        accounts = []
        waiting = 0
        for item in row.accounts or []:
            measures = []
            for text in item.get("measures", []):
                measure_id = _measure_id(text)
                kind = text.split("#", 1)[0]
                state = states.get(measure_id, text.rsplit(":", 1)[-1]) if measure_id is not None else text
                waiting += state == MeasureState.pending_approval.value
                measures.append({"id": measure_id, "kind": kind, "state": state})
            accounts.append({"account_id": item.get("account_id", ""), "measures": measures})
        processed = ensure_utc(row.processed_at)
        # Stages: looked up; linked (or nothing to link); every proposed measure in force or settled.
        done = 3 - (1 if waiting else 0)
        shown.append(
            {
                "position": row.position + 1,
                "type": row.type,
                "value": row.value if reveal else mask(row.type, row.value),
                "found": row.outcome == IdentifierOutcome.found.value,
                "accounts": accounts,
                "waiting": waiting,
                "done": done,
                "note": row.note,
                "processed_at": processed,
                "in_time": processed <= deadline,
            }
        )
    return shown


def _notice_row(notice: Notice, now: datetime, t: Translator) -> dict[str, Any]:
    return {"notice": notice, "deadline": deadline_of(notice, now, t)}


# ---- the list ----------------------------------------------------------------------------------------


@router.get("/notices", include_in_schema=False)
def notices_page(
    request: Request,
    console: ConsolePage,
    state: Text = "",
    due: Text = "",
    unit: Text = "",
    number: Text = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    console.require(Permission.notices_read)
    now = utcnow()
    state = state if state in {item.value for item in NoticeState} else ""
    due = due if due in DUE_FILTERS else ""
    query = {
        key: value
        for key, value in {"state": state, "due": due, "unit": unit.strip(), "number": number.strip()}.items()
        if value
    }
    with unit_of_work(request) as session:
        rows = search(
            session,
            state=state or None,
            due=due or None,
            unit=unit.strip(),
            number=number.strip(),
            now=now,
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
    return console.render(
        "notices/index.html",
        notices=[_notice_row(notice, now, console.t) for notice in rows[:PAGE_SIZE]],
        state=state,
        due=due,
        unit=unit.strip(),
        number=number.strip(),
        filtered=bool(query),
        states=[item.value for item in NoticeState],
        dues=DUE_FILTERS,
        page=page,
        previous_url=f"/console/notices?{urlencode({**query, 'page': page - 1})}" if page > 1 else None,
        next_url=f"/console/notices?{urlencode({**query, 'page': page + 1})}" if len(rows) > PAGE_SIZE else None,
    )


# ---- one notice --------------------------------------------------------------------------------------


def _render_notice(
    console: Console,
    request: Request,
    notice_id: int,
    *,
    outcome: str = "",
    kind: str = "",
    page: int = 1,
    reveal: bool = False,
    done: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = utcnow()
    t = console.t
    outcome = outcome if outcome in {item.value for item in IdentifierOutcome} else ""
    kind = kind if kind in {item.value for item in IdentifierType} else ""
    with unit_of_work(request) as session:
        notice = notices_service.get(session, notice_id)
        rows, matching = identifiers(
            session,
            notice_id,
            outcome=outcome or None,
            kind=kind or None,
            limit=IDENTIFIER_PAGE,
            offset=(page - 1) * IDENTIFIER_PAGE,
        )
        ids = [
            measure_id
            for row in rows
            for item in row.accounts or []
            for text in item.get("measures", [])
            if (measure_id := _measure_id(text)) is not None
        ]
        states = measure_states(session, ids)
        case = None if notice.case_id is None else cases_service.get(session, notice.case_id)
        case_measures: dict[str, int] = {}
        if case is not None:
            for measure_state in session.execute(select(Measure.state).where(Measure.case_id == case.id)).scalars():
                case_measures[measure_state] = case_measures.get(measure_state, 0) + 1
    deadline = deadline_of(notice, now, t)
    shown = identifier_rows(rows, states, ensure_utc(notice.deadline), reveal=reveal)
    color = {"overdue": "#b4232a", "soon": "#d08a12", "later": "#1f5fbf", "answered": "#1f7a4d"}[deadline.status]
    query = {key: value for key, value in {"outcome": outcome, "kind": kind}.items() if value}
    base = f"/console/notices/{notice_id}"
    return console.render(
        "notices/page.html",
        status_code=status_code,
        notice=notice,
        deadline=deadline,
        deadline_chart=time_bar(
            deadline.fraction,
            ident="deadline-bar",
            title=t("notices.time_used"),
            description=deadline.text,
            start_label=t("notices.received_at", time=notice.received_at.strftime("%m-%d %H:%M")),
            end_label=t("notices.deadline_at", time=notice.deadline.strftime("%m-%d %H:%M")),
            marker_label=deadline.text,
            color=color,
            width=1100,
        ),
        identifiers=shown,
        matching=matching,
        pending_total=case_measures.get(MeasureState.pending_approval.value, 0),
        case=case,
        case_measures=case_measures,
        outcome=outcome,
        kind=kind,
        kinds=[item.value for item in IdentifierType],
        page=page,
        first_position=(page - 1) * IDENTIFIER_PAGE,
        previous_url=f"{base}?{urlencode({**query, 'page': page - 1})}" if page > 1 else None,
        next_url=f"{base}?{urlencode({**query, 'page': page + 1})}" if page * IDENTIFIER_PAGE < matching else None,
        revealed=reveal,
        done=done if done in DONE else "",
        error=error,
        personal=any(item["type"] in ("phone", "payment_account") for item in shown),
    )


@router.get("/notices/import", include_in_schema=False)
def import_form(request: Request, console: ConsolePage) -> HTMLResponse:
    console.require(Permission.notices_write)
    return console.render("notices/import.html", problems=[], message=None, filename="", columns=files.CSV_COLUMNS)


def _problems(error: InvalidInput, rows: list[int] | None) -> list[str]:
    """One line per problem, naming the file's row where the service named the identifier's index."""
    problems: list[str] = []
    for detail in error.details if isinstance(error.details, list) else []:
        if isinstance(detail, dict):
            index = detail.get("index")
            where = (
                f"row {rows[index]}"
                if rows is not None and isinstance(index, int) and index < len(rows)
                else f"identifier {index + 1}"
                if isinstance(index, int)
                else str(detail.get("field", ""))
            )
            value = f" {detail['value']!r}" if "value" in detail else ""
            problems.append(f"{where}:{value} {detail.get('message', '')}".strip())
        else:
            problems.append(str(detail))
    return problems


@router.post("/notices/import", include_in_schema=False)
def import_notice(request: Request, console: ConsoleAction, file: Annotated[UploadFile, File()]) -> Response:
    """Check the file whole and import it through the notices service; any problem imports nothing and is
    shown row by row."""
    console.require(Permission.notices_write)
    runtime = runtime_of(request)
    name = file.filename or "notice"
    data = file.file.read()
    rows: list[int] | None = None
    try:
        if not data:
            raise InvalidInput("the file is empty; nothing was imported", zh="文件为空，未导入任何内容")
        body, rows = files.parse_file(data, name=name)
        with unit_of_work(request) as session:
            imported = notices_service.import_notice(
                session,
                body=body,
                actor=console.actor,
                allowed_units=runtime.settings.notice_issuing_units,
                binding_lookback=timedelta(days=runtime.settings.notice_binding_lookback_days),
            )
            notice_id = imported.notice.id
    except InvalidInput as error:
        return console.render(
            "notices/import.html",
            status_code=422,
            problems=_problems(error, rows),
            message=console.error_text(error),
            filename=name,
            columns=files.CSV_COLUMNS,
        )
    except Conflict as error:
        return console.render(
            "notices/import.html",
            status_code=409,
            problems=[],
            message=console.error_text(error),
            filename=name,
            columns=files.CSV_COLUMNS,
        )
    apply_list_changes(runtime.lists, imported.list_changes)
    return console.redirect(f"/console/notices/{notice_id}?done=imported")


@router.get("/notices/{notice_id}", include_in_schema=False)
def notice_page(
    notice_id: int,
    request: Request,
    console: ConsolePage,
    outcome: Text = "",
    kind: Text = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    done: Annotated[str, Query(max_length=30)] = "",
) -> HTMLResponse:
    console.require(Permission.notices_read)
    return _render_notice(console, request, notice_id, outcome=outcome, kind=kind, page=page, done=done)


@router.post("/notices/{notice_id}/reveal", include_in_schema=False)
def reveal(
    notice_id: int,
    request: Request,
    console: ConsoleAction,
    outcome: Annotated[str, Form(max_length=30)] = "",
    kind: Annotated[str, Form(max_length=30)] = "",
    page: Annotated[int, Form(ge=1, le=100_000)] = 1,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    """The same page with the identifiers unmasked, once; the reveal is recorded in the audit log first."""
    console.require(Permission.notices_read)
    console.require(Permission.personal_data_reveal)
    with unit_of_work(request) as session:
        notices_service.get(session, notice_id)
        cases_service.record_reveal(
            session, actor=console.actor, object_type="notice", object_id=str(notice_id), reason=reason.strip() or None
        )
    return _render_notice(console, request, notice_id, outcome=outcome, kind=kind, page=page, reveal=True)


@router.post("/notices/{notice_id}/feedback.{fmt}", include_in_schema=False)
def feedback(notice_id: int, fmt: str, request: Request, console: ConsoleAction) -> Response:
    """The feedback for the issuing unit, exactly as ``GET /v1/notices/{id}/feedback?format=csv|xlsx``.

    It names every identifier unmasked, so it needs ``personal_data:reveal`` and is recorded first."""
    console.require(Permission.notices_read)
    console.require(Permission.personal_data_reveal)
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput(
            "the feedback comes as csv or xlsx",
            details=[{"field": "format", "value": fmt}],
            zh="反馈文件格式只能是 csv 或 xlsx",
        )
    with unit_of_work(request) as session:
        notices_service.get(session, notice_id)
        cases_service.record_reveal(
            session, actor=console.actor, object_type="notice", object_id=str(notice_id), reason=f"feedback {fmt}"
        )
        rows = notices_service.feedback(session, notice_id)
    filename = f"notice-{notice_id}-feedback.{fmt}"
    if fmt == "csv":
        return csv_response(notices_service.feedback_csv(rows), filename)
    return Response(
        content=files.feedback_xlsx(rows, columns=notices_service.FEEDBACK_COLUMNS),
        media_type=files.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/notices/{notice_id}/answered", include_in_schema=False)
def answered(
    notice_id: int, request: Request, console: ConsoleAction, note: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    """The feedback went back to the issuing unit (the same service call as ``POST /v1/notices/{id}/answered``)."""
    console.require(Permission.notices_write)
    if len(note.strip()) < 3:
        return _render_notice(console, request, notice_id, error="notices.answer_note_needed", status_code=422)
    with unit_of_work(request) as session:
        notices_service.mark_answered(session, notice_id=notice_id, actor=console.actor, note=note.strip())
    return console.redirect(f"/console/notices/{notice_id}?done=answered")
