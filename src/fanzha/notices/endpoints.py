"""Police and authority notices over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import AfterValidator, ValidationError

from fanzha.auth.deps import NoticesRead, NoticesWrite
from fanzha.kit.clock import ensure_utc
from fanzha.kit.errors import InvalidInput
from fanzha.kit.web import read_body, runtime_of, unit_of_work
from fanzha.measures.runtime import apply_list_changes
from fanzha.notices import files
from fanzha.notices import service as notices_service
from fanzha.notices.models import Notice
from fanzha.notices.schemas import AnsweredIn, FeedbackOut, FeedbackRow, NoticeIn, NoticeOut

router = APIRouter(tags=["notices"])

CSV_MEDIA_TYPES = frozenset({"text/csv", "application/csv"})
_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The notice as JSON, or a CSV or XLSX file with one row per identifier and the notice "
        "fields repeated (columns: " + ", ".join(files.CSV_COLUMNS) + ").",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/NoticeIn"}},
            "text/csv": {"schema": {"type": "string"}},
            files.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


class FeedbackFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


@dataclass(frozen=True, slots=True)
class Upload:
    media_type: str
    data: bytes


async def _upload(request: Request) -> Upload:
    """The raw body and its media type; parsed in the endpoint (a large XLSX file would block the loop here)."""
    limit = runtime_of(request).settings.max_request_bytes
    data = await read_body(request, limit=limit, what="the notice")
    media_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    return Upload(media_type, data)


def _parse(upload: Upload) -> tuple[NoticeIn, list[int] | None]:
    media_type, data = upload.media_type, upload.data
    if media_type == files.XLSX_MEDIA_TYPE or (media_type == "application/octet-stream" and files.is_xlsx(data)):
        return files.parse_xlsx(data)
    if media_type in CSV_MEDIA_TYPES:
        return files.parse_csv(files.decode(data))
    if media_type in ("", "application/json") or media_type.endswith("+json"):
        try:
            return NoticeIn.model_validate_json(data), None
        except ValidationError as error:
            # The same 422 as a body FastAPI validates itself.
            raise RequestValidationError(
                [{**item, "loc": ("body", *item["loc"])} for item in error.errors(include_url=False)]
            ) from None
    raise InvalidInput(
        f"a notice is sent as application/json, text/csv or {files.XLSX_MEDIA_TYPE}, not {media_type}",
        details=[{"field": "content-type", "value": media_type}],
        zh=f"通报须以 application/json、text/csv 或 {files.XLSX_MEDIA_TYPE} 格式发送，而不是 {media_type}",
    )


def _with_rows(error: InvalidInput, rows: list[int] | None) -> InvalidInput:
    """Identifier errors (by index) also name the file's row, for a CSV or XLSX upload."""
    if rows is None or not isinstance(error.details, list):
        return error
    details = [
        {**detail, "row": rows[detail["index"]]}
        if isinstance(detail, dict) and isinstance(detail.get("index"), int)
        else detail
        for detail in error.details
    ]
    return InvalidInput(error.message, details=details, zh=error.message_zh)


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
        deadline_warned_at=notice.deadline_warned_at,
        overdue_at=notice.overdue_at,
    )


@router.post(
    "/v1/notices",
    response_model=NoticeOut,
    status_code=201,
    summary="Import a police or authority notice",
    openapi_extra=_BODY_DOC,
)
def import_notice(request: Request, principal: NoticesWrite, upload: Annotated[Upload, Depends(_upload)]) -> NoticeOut:
    """Check the notice whole (fields, identifier formats, issuing unit allow-list, duplicates), then store it.

    JSON, CSV (UTF-8) or XLSX by the request's Content-Type. Any failed check stores nothing: 422
    with one detail per bad identifier (its index, and for a file its row) or per bad row, 409 for a
    document number the issuing unit already sent.
    """
    runtime = runtime_of(request)
    body, rows = _parse(upload)
    with unit_of_work(request) as session:
        try:
            imported = notices_service.import_notice(
                session,
                body=body,
                actor=principal.actor,
                allowed_units=runtime.settings.notice_issuing_units,
                binding_lookback=timedelta(days=runtime.settings.notice_binding_lookback_days),
            )
        except InvalidInput as error:
            raise _with_rows(error, rows) from None
        out = notice_out(imported.notice)
    apply_list_changes(runtime.lists, imported.list_changes)
    return out


@router.get("/v1/notices", response_model=list[NoticeOut], summary="List notices, by deadline")
def list_notices(
    request: Request,
    principal: NoticesRead,
    overdue: Annotated[bool, Query(description="Only open notices past their deadline.")] = False,
    due_before: Annotated[
        datetime | None,
        AfterValidator(lambda value: None if value is None else ensure_utc(value)),
        Query(description="Only open notices due before this time (ISO 8601), e.g. now + 24 h."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[NoticeOut]:
    with unit_of_work(request) as session:
        found = notices_service.search(session, overdue=overdue, due_before=due_before, limit=limit, offset=offset)
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
    """Found / not found, linked accounts (with phone binding periods), measures and time per identifier,
    as JSON, CSV or XLSX (cells that a spreadsheet would run as formulas are kept as text)."""
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
    if format is FeedbackFormat.xlsx:
        return Response(
            content=files.feedback_xlsx(rows, columns=notices_service.FEEDBACK_COLUMNS),
            media_type=files.XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="notice-{notice_id}-feedback.xlsx"'},
        )
    return FeedbackOut(notice=out, identifiers=[FeedbackRow.model_validate(row) for row in rows])


@router.post("/v1/notices/{notice_id}/answered", response_model=NoticeOut, summary="Record that feedback was sent")
def answered(notice_id: int, body: AnsweredIn, request: Request, principal: NoticesWrite) -> NoticeOut:
    """The feedback went back to the issuing unit: the notice leaves the deadline watch and the case may close."""
    with unit_of_work(request) as session:
        return notice_out(
            notices_service.mark_answered(session, notice_id=notice_id, actor=principal.actor, note=body.note)
        )
