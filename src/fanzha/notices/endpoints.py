"""Police and authority notices over HTTP."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from fanzha.auth.deps import NoticesRead, NoticesWrite
from fanzha.kit.web import runtime_of, unit_of_work
from fanzha.measures.runtime import apply_list_changes
from fanzha.notices import service as notices_service
from fanzha.notices.models import Notice
from fanzha.notices.schemas import AnsweredIn, FeedbackOut, FeedbackRow, NoticeIn, NoticeOut

router = APIRouter(tags=["notices"])


class FeedbackFormat(StrEnum):
    json = "json"
    csv = "csv"


def notice_out(notice: Notice) -> NoticeOut:
    return NoticeOut(
        id=notice.id,
        issuing_unit=notice.issuing_unit,
        document_no=notice.document_no,
        case_no=notice.case_no,
        received_at=notice.received_at,
        deadline=notice.deadline,
        requested_measures=list(notice.requested_measures or []),
        state=notice.state,
        identifier_count=notice.identifier_count,
        found_count=notice.found_count,
        case_id=notice.case_id,
        created_by=notice.created_by,
        created_at=notice.created_at,
        overdue=notices_service.is_overdue(notice),
    )


@router.post("/v1/notices", response_model=NoticeOut, status_code=201, summary="Import a police or authority notice")
def import_notice(body: NoticeIn, request: Request, principal: NoticesWrite) -> NoticeOut:
    """Check the notice whole (fields, identifier formats, issuing unit allow-list, duplicates), then store it.

    Any failed check stores nothing: 422 with one detail per bad identifier (its index), 409 for a
    document number the issuing unit already sent.
    """
    runtime = runtime_of(request)
    with unit_of_work(request) as session:
        imported = notices_service.import_notice(
            session, body=body, actor=principal.actor, allowed_units=runtime.settings.notice_issuing_units
        )
        out = notice_out(imported.notice)
    apply_list_changes(runtime.lists, imported.list_changes)
    return out


@router.get("/v1/notices", response_model=list[NoticeOut], summary="List notices, by deadline")
def list_notices(
    request: Request,
    principal: NoticesRead,
    overdue: Annotated[bool, Query(description="Only open notices past their deadline.")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[NoticeOut]:
    with unit_of_work(request) as session:
        found = notices_service.search(session, overdue=overdue, limit=limit, offset=offset)
        return [notice_out(notice) for notice in found]


@router.get("/v1/notices/{notice_id}", response_model=NoticeOut, summary="Read a notice")
def get_notice(notice_id: int, request: Request, principal: NoticesRead) -> NoticeOut:
    with unit_of_work(request) as session:
        return notice_out(notices_service.get(session, notice_id))


@router.get("/v1/notices/{notice_id}/feedback", response_model=FeedbackOut, summary="Per-identifier feedback")
def get_feedback(
    notice_id: int,
    request: Request,
    principal: NoticesRead,
    format: Annotated[FeedbackFormat, Query()] = FeedbackFormat.json,
) -> FeedbackOut | Response:
    """Found / not found, linked accounts, measures and time per identifier, as JSON or CSV."""
    with unit_of_work(request) as session:
        notice = notices_service.get(session, notice_id)
        rows = notices_service.feedback(session, notice_id)
        out = notice_out(notice)
    if format is FeedbackFormat.csv:
        return Response(
            content=notices_service.feedback_csv(rows).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="notice-{notice_id}-feedback.csv"'},
        )
    return FeedbackOut(notice=out, identifiers=[FeedbackRow.model_validate(row) for row in rows])


@router.post("/v1/notices/{notice_id}/answered", response_model=NoticeOut, summary="Record that feedback was sent")
def answered(notice_id: int, body: AnsweredIn, request: Request, principal: NoticesWrite) -> NoticeOut:
    """The feedback went back to the issuing unit: the notice leaves the deadline watch and the case may close."""
    with unit_of_work(request) as session:
        return notice_out(
            notices_service.mark_answered(session, notice_id=notice_id, actor=principal.actor, note=body.note)
        )
