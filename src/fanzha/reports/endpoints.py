"""User reports over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request

from fanzha.auth.deps import CasesRead, CasesWrite, ReportsSubmit
from fanzha.kit.clock import utcnow
from fanzha.kit.web import runtime_of, unit_of_work
from fanzha.reports import service as reports_service
from fanzha.reports import signing
from fanzha.reports.models import Report
from fanzha.reports.schemas import (
    Acknowledgement,
    FormLinkIn,
    FormLinkOut,
    OutcomeNotice,
    ReporterOut,
    ReportIn,
    ReportOut,
    ResolutionIn,
)

router = APIRouter(tags=["reports"])

ReporterId = Annotated[str, Path(min_length=1, max_length=256)]


def _out(report: Report, *, count: int, reliability: float, flagged: list[str]) -> ReportOut:
    return ReportOut(
        id=report.id,
        state=report.state,
        category=report.category,
        case_id=report.case_id,
        case_report_count=count,
        reporter_reliability=reliability,
        flagged_subjects=flagged,
        acknowledgement=Acknowledgement.model_validate(reports_service.acknowledgement(report)),
        outcome=report.outcome,
        outcome_at=report.outcome_at,
        outcome_notice=(
            OutcomeNotice(zh=report.outcome_text_zh, en=report.outcome_text_en)
            if report.outcome_text_zh is not None and report.outcome_text_en is not None
            else None
        ),
    )


@router.post("/v1/reports", response_model=ReportOut, status_code=201, summary="File a user report")
def file_report(body: ReportIn, request: Request, principal: ReportsSubmit) -> ReportOut:
    """Store a report and acknowledge it; reports about the same subject share one case.

    A reporter may file at most ``RATE_LIMIT`` reports an hour (429 beyond). Accounts and payment
    accounts reported by enough reliable users go on ``reported_accounts`` / ``reported_payment_accounts``.
    """
    with unit_of_work(request) as session:
        filed = reports_service.file_report(session, body=body, actor=principal.actor)
        out = _out(filed.report, count=filed.case_report_count, reliability=filed.reliability, flagged=filed.flagged)
    if filed.list_changes:
        # A reported list may have been created by this very request: reload what moved rather than
        # apply entries to a list this process has not loaded yet.
        runtime_of(request).lists.refresh()
    return out


@router.post("/v1/reports/form-link", response_model=FormLinkOut, summary="A signed link to the report form")
def form_link(body: FormLinkIn, request: Request, principal: ReportsSubmit) -> FormLinkOut:
    """For the platform's backend: a link that opens the HTML report form as one of its signed-in users.

    The link carries a reporter token signed with ``FANZHA_REPORT_FORM_SECRET`` that expires after
    ``ttl_minutes``; the same token may instead be sent in the ``X-Fanzha-Reporter`` header.
    """
    expires_at = utcnow().replace(microsecond=0) + timedelta(minutes=body.ttl_minutes)
    key = signing.form_key(runtime_of(request).settings)
    token = signing.sign_reporter(key, body.reporter_id, expires_at=int(expires_at.timestamp()))
    query = {"reporter": token} | ({"lang": body.lang} if body.lang else {})
    return FormLinkOut(url=f"/report?{urlencode(query)}", token=token, expires_at=expires_at)


@router.get("/v1/reports/{report_id}", response_model=ReportOut, summary="Read a report")
def get_report(report_id: int, request: Request, principal: CasesRead) -> ReportOut:
    """The report with its acknowledgement and, once its case has ended, the outcome notice told to the reporter."""
    with unit_of_work(request) as session:
        report = reports_service.get(session, report_id)
        reporter = reports_service.reporter(session, report.reporter_id)
        return _out(
            report,
            count=reports_service.case_report_count(session, report),
            reliability=reporter.reliability,
            flagged=[],
        )


@router.post("/v1/reports/{report_id}/resolution", response_model=ReporterOut, summary="Resolve a report")
def resolve(report_id: int, body: ResolutionIn, request: Request, principal: CasesWrite) -> ReporterOut:
    """Founded or unfounded, with a reason; unfounded reports lower the reporter's reliability."""
    with unit_of_work(request) as session:
        reporter = reports_service.resolve(
            session, report_id=report_id, founded=body.founded, reason=body.reason, actor=principal.actor
        )
        return ReporterOut.model_validate(reporter, from_attributes=True)


@router.get("/v1/reporters/{reporter_id}", response_model=ReporterOut, summary="A reporter's track record")
def get_reporter(reporter_id: ReporterId, request: Request, principal: CasesRead) -> ReporterOut:
    with unit_of_work(request) as session:
        return ReporterOut.model_validate(reports_service.reporter(session, reporter_id), from_attributes=True)
