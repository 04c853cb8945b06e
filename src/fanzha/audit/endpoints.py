"""The audit log over HTTP, read-only, for auditors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from fanzha.audit import service as audit_service
from fanzha.audit.schemas import AuditEntryOut, AuditPage, ChainReportOut
from fanzha.auth.deps import AuditRead
from fanzha.kit.web import unit_of_work

router = APIRouter(tags=["audit"])


@router.get("/v1/audit", response_model=AuditPage, summary="Read the audit log")
def entries(
    request: Request,
    principal: AuditRead,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_seq: Annotated[int | None, Query(ge=1)] = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
) -> AuditPage:
    """Newest first; pass ``next_before_seq`` back as ``before_seq`` for the next page."""
    with unit_of_work(request) as session:
        rows = audit_service.search(
            session,
            limit=limit,
            before_seq=before_seq,
            object_type=object_type,
            object_id=object_id,
            actor=actor,
            action=action,
        )
        items = [AuditEntryOut.model_validate(row, from_attributes=True) for row in rows]
    return AuditPage(items=items, next_before_seq=items[-1].seq if len(items) == limit else None)


@router.get("/v1/audit/verify", response_model=ChainReportOut, summary="Verify the hash chain")
def verify(request: Request, principal: AuditRead) -> ChainReportOut:
    """Re-walk the whole chain (as `fanzha audit verify` does) and name the first bad entry."""
    with unit_of_work(request) as session:
        report = audit_service.verify_chain(session)
    return ChainReportOut(
        ok=report.ok,
        checked=report.checked,
        head_hash=report.head_hash,
        bad_seq=report.bad_seq,
        problem=report.problem,
    )
