"""User reports: the list with filters (category, state, subject) and CSV export, and the report page with
its subjects, evidence, outcome and the case it was clustered into.

Who reported is kept from everyone by default: the list has no reporter column, and the report page
shows the reporter's track record (how many reports, how many founded) but not who they are. A role
with ``personal_data:reveal`` may ask to see the reporter and the unmasked subjects; the reveal is
recorded in the audit log first. Phone numbers and payment accounts are masked by kind; long numbers
typed into the narrative are masked too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanzha.auth.masking import mask, mask_digit_runs
from fanzha.auth.roles import Permission
from fanzha.cases import service as cases_service
from fanzha.cases.states import SubjectType
from fanzha.console.exports import csv_response, csv_text
from fanzha.console.web import Console, ConsoleAction, ConsolePage
from fanzha.kit.clock import ensure_utc
from fanzha.kit.errors import NotFound
from fanzha.kit.web import runtime_of, unit_of_work
from fanzha.reports import evidence as evidence_files
from fanzha.reports import service as reports_service
from fanzha.reports.models import Report, ReportSubject
from fanzha.reports.schemas import FraudCategory, ReportStatus
from fanzha.reports.vocabulary import CATEGORY_LABELS, SUBJECT_LABELS, label

router = APIRouter()

PAGE_SIZE = 50
EXPORT_LIMIT = 10_000
SUBJECT_TYPES = [kind.value for kind in SubjectType]
Text = Annotated[str, Query(max_length=256)]


# ---- queries (the reports domain has no search yet) -----------------------------------------------


def search(
    session: Session,
    *,
    category: str | None,
    state: str | None,
    subject: tuple[str, str] | None,
    limit: int,
    offset: int,
) -> list[Report]:
    """Newest first. A subject filter goes through ``ix_report_subjects_type_value``; category and state have
    no index of their own, so on a large table they read reports newest first until the page is full."""
    statement = select(Report).order_by(Report.id.desc()).limit(limit).offset(offset)
    if category:
        statement = statement.where(Report.category == category)
    if state:
        statement = statement.where(Report.state == state)
    if subject is not None:
        naming = select(ReportSubject.report_id).where(
            ReportSubject.type == subject[0], ReportSubject.value == subject[1]
        )
        statement = statement.where(Report.id.in_(naming))
    return list(session.execute(statement).scalars())


def subjects_of(session: Session, report_ids: Sequence[int]) -> dict[int, list[ReportSubject]]:
    """The subjects of several reports in one query (``ix_report_subjects_report_id``)."""
    found: dict[int, list[ReportSubject]] = {report_id: [] for report_id in report_ids}
    if not report_ids:
        return found
    rows = session.execute(
        select(ReportSubject).where(ReportSubject.report_id.in_(list(report_ids))).order_by(ReportSubject.id)
    ).scalars()
    for row in rows:
        found[row.report_id].append(row)
    return found


def reports_in_case(session: Session, case_id: int, *, limit: int = 20) -> list[Report]:
    return list(
        session.execute(
            select(Report).where(Report.case_id == case_id).order_by(Report.id.desc()).limit(limit)
        ).scalars()
    )


# ---- the pages ------------------------------------------------------------------------------------


def _subject(row: ReportSubject, locale: str, *, reveal: bool) -> dict[str, str]:
    labels = SUBJECT_LABELS.get(SubjectType(row.type)) if row.type in SUBJECT_TYPES else None
    return {
        "type": row.type,
        "type_label": label(labels, locale) if labels else row.type,
        "value": row.value if reveal else mask(row.type, row.value),
    }


def _category_label(code: str, locale: str) -> str:
    try:
        return label(CATEGORY_LABELS[FraudCategory(code)], locale)
    except (KeyError, ValueError):
        return code


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """What the list is narrowed to (unknown categories, states and subject types are dropped)."""

    category: str | None = None
    state: str | None = None
    subject: tuple[str, str] | None = None
    typed: str = ""
    """The subject as it was typed (the filter uses its canonical spelling)."""

    @classmethod
    def of(cls, category: str, state: str, subject_type: str, subject: str) -> ReportFilter:
        found = None
        if subject.strip() and subject_type in SUBJECT_TYPES:
            kind = SubjectType(subject_type)
            found = (kind.value, cases_service.normalise_subject(kind, subject))
        return cls(
            category=category if category in {item.value for item in FraudCategory} else None,
            state=state if state in {item.value for item in ReportStatus} else None,
            subject=found,
            typed=subject.strip() if found else "",
        )

    def query(self) -> dict[str, str]:
        """The query string that reproduces the filter."""
        values = {
            "category": self.category or "",
            "state": self.state or "",
            "subject_type": self.subject[0] if self.subject else "",
            "subject": self.typed,
        }
        return {key: value for key, value in values.items() if value}

    def rows(self, session: Session, *, limit: int, offset: int) -> list[Report]:
        return search(
            session, category=self.category, state=self.state, subject=self.subject, limit=limit, offset=offset
        )


@router.get("/reports", include_in_schema=False)
def reports_page(
    request: Request,
    console: ConsolePage,
    category: Text = "",
    state: Text = "",
    subject_type: Text = "",
    subject: Text = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    console.require(Permission.cases_read)
    wanted = ReportFilter.of(category, state, subject_type, subject)
    query = wanted.query()
    locale = console.locale.value
    with unit_of_work(request) as session:
        rows = wanted.rows(session, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        shown = rows[:PAGE_SIZE]
        subjects = subjects_of(session, [report.id for report in shown])
        reports = [
            {
                "id": report.id,
                "ref": f"R{report.id:08d}",
                "received_at": report.received_at,
                "category": _category_label(report.category, locale),
                "state": report.state,
                "case_id": report.case_id,
                "outcome": report.outcome,
                "subjects": [_subject(row, locale, reveal=False) for row in subjects[report.id]],
            }
            for report in shown
        ]
    return console.render(
        "reports/index.html",
        reports=reports,
        categories=[(item.value, _category_label(item.value, locale)) for item in FraudCategory],
        states=[item.value for item in ReportStatus],
        subject_types=[
            (kind, label(SUBJECT_LABELS[SubjectType(kind)], locale) if SubjectType(kind) in SUBJECT_LABELS else kind)
            for kind in SUBJECT_TYPES
        ],
        category=wanted.category or "",
        state=wanted.state or "",
        subject_type=wanted.subject[0] if wanted.subject else "account",
        subject=wanted.typed,
        filtered=bool(query),
        page=page,
        previous_url=f"/console/reports?{urlencode({**query, 'page': page - 1})}" if page > 1 else None,
        next_url=f"/console/reports?{urlencode({**query, 'page': page + 1})}" if len(rows) > PAGE_SIZE else None,
        export_url=f"/console/reports/export.csv?{urlencode(query)}",
    )


@router.get("/reports/export.csv", include_in_schema=False)
def export(
    request: Request,
    console: ConsolePage,
    category: Text = "",
    state: Text = "",
    subject_type: Text = "",
    subject: Text = "",
) -> Response:
    """The filtered reports (newest :data:`EXPORT_LIMIT`), subjects masked, no reporter, no narrative."""
    console.require(Permission.cases_read)
    wanted = ReportFilter.of(category, state, subject_type, subject)
    with unit_of_work(request) as session:
        rows = wanted.rows(session, limit=EXPORT_LIMIT, offset=0)
        subjects = subjects_of(session, [report.id for report in rows])
    text = csv_text(
        ["report", "received_at", "category", "state", "subjects", "case_id", "outcome", "outcome_at"],
        (
            [
                f"R{report.id:08d}",
                ensure_utc(report.received_at).isoformat(),
                report.category,
                report.state,
                "; ".join(f"{mask(row.type, row.value)} ({row.type})" for row in subjects[report.id]),
                report.case_id,
                report.outcome or "",
                ensure_utc(report.outcome_at).isoformat() if report.outcome_at else "",
            ]
            for report in rows
        ),
    )
    return csv_response(text, "reports.csv")


def _render_report(console: Console, request: Request, report_id: int, *, reveal: bool = False) -> HTMLResponse:
    locale = console.locale.value
    with unit_of_work(request) as session:
        report = reports_service.get(session, report_id)
        try:
            track = reports_service.reporter(session, report.reporter_id)
        except NotFound:
            track = None
        case = None if report.case_id is None else cases_service.get(session, report.case_id)
        siblings = [] if case is None else [item for item in reports_in_case(session, case.id) if item.id != report.id]
        subjects = [_subject(row, locale, reveal=reveal) for row in subjects_of(session, [report.id])[report.id]]
        return console.render(
            "reports/page.html",
            report=report,
            ref=f"R{report.id:08d}",
            category=_category_label(report.category, locale),
            narrative=report.text if reveal else mask_digit_runs(report.text),
            subjects=subjects,
            # The reporter types the descriptions: numbers in them are masked as in the narrative.
            evidence=[
                item if reveal else {**item, "description": mask_digit_runs(str(item.get("description") or ""))}
                for item in report.evidence or []
            ],
            track=track,
            can_open_evidence=console.can(Permission.personal_data_reveal),
            reporter=report.reporter_id if reveal else None,
            revealed=reveal,
            case=case,
            case_reports=reports_service.case_report_count(session, report),
            siblings=siblings,
            outcome_text=report.outcome_text_zh if locale == "zh" else report.outcome_text_en,
        )


@router.get("/reports/{report_id}", include_in_schema=False)
def report_page(report_id: int, request: Request, console: ConsolePage) -> HTMLResponse:
    console.require(Permission.cases_read)
    return _render_report(console, request, report_id)


@router.post("/reports/{report_id}/reveal", include_in_schema=False)
def reveal(
    report_id: int, request: Request, console: ConsoleAction, reason: Annotated[str, Form(max_length=2000)] = ""
) -> HTMLResponse:
    """The report with its reporter and unmasked subjects, once; the reveal is recorded in the audit log first."""
    console.require(Permission.cases_read)
    console.require(Permission.personal_data_reveal)
    with unit_of_work(request) as session:
        reports_service.get(session, report_id)
        cases_service.record_reveal(
            session, actor=console.actor, object_type="report", object_id=str(report_id), reason=reason.strip() or None
        )
    return _render_report(console, request, report_id, reveal=True)


_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "text/plain": "txt",
}


@router.post("/reports/{report_id}/evidence/{sha256}", include_in_schema=False)
def evidence_file(
    report_id: int,
    sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")],
    request: Request,
    console: ConsoleAction,
) -> Response:
    """A file the reporter uploaded, as a download; it may show anyone, so opening it is a recorded reveal."""
    console.require(Permission.cases_read)
    console.require(Permission.personal_data_reveal)
    with unit_of_work(request) as session:
        report = reports_service.get(session, report_id)
        item = next(
            (
                entry
                for entry in report.evidence or []
                if entry.get("sha256") == sha256 and str(entry.get("uri", "")).startswith(evidence_files.URI_PREFIX)
            ),
            None,
        )
        if item is None:
            raise NotFound(
                f"report {report_id} has no uploaded file {sha256}", zh=f"举报 {report_id} 没有上传文件 {sha256}"
            )
        stored = runtime_of(request).settings.data_dir / evidence_files.EVIDENCE_DIR / "sha256" / sha256[:2] / sha256
        if not stored.is_file():
            raise NotFound(f"the file {sha256} is not in the evidence store", zh=f"证据库中没有文件 {sha256}")
        cases_service.record_reveal(
            session, actor=console.actor, object_type="report_evidence", object_id=f"{report_id}:{sha256}", reason=None
        )
    media_type = str(item.get("type") or "application/octet-stream")
    filename = f"evidence-{sha256[:12]}.{_EXTENSIONS.get(media_type, 'bin')}"
    return Response(
        stored.read_bytes(),
        media_type=media_type,
        headers={
            # Always a download, never rendered in the console's origin.
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
