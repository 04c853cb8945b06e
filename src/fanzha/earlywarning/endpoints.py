"""Victim warnings over HTTP: the platform reports delivery and the user's choice; staff read and count."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from fanzha.auth.deps import CasesRead, DecisionsWrite
from fanzha.earlywarning import service as warnings_service
from fanzha.earlywarning.schemas import ChoiceIn, DeliveryIn, WarningOut, WarningPage, WarningState, WarningStats
from fanzha.kit.clock import ensure_utc
from fanzha.kit.web import unit_of_work

router = APIRouter(tags=["early warning"])

WarningId = Annotated[str, Path(min_length=1, max_length=40)]


def _out(warning: object) -> WarningOut:
    return WarningOut.model_validate(warning, from_attributes=True)


@router.post("/v1/warnings/{warning_id}/delivery", response_model=WarningOut, summary="Confirm a warning was shown")
def confirm_delivery(
    warning_id: WarningId, body: DeliveryIn, request: Request, principal: DecisionsWrite
) -> WarningOut:
    """The platform showed the warning to its recipient. Reporting it again changes nothing."""
    with unit_of_work(request) as session:
        warning = warnings_service.confirm_delivery(
            session, warning_id=warning_id, delivered_at=body.delivered_at, actor=principal.actor
        )
        return _out(warning)


@router.post("/v1/warnings/{warning_id}/choice", response_model=WarningOut, summary="Record the warned user's choice")
def record_choice(warning_id: WarningId, body: ChoiceIn, request: Request, principal: DecisionsWrite) -> WarningOut:
    """``continued`` (went ahead), ``cancelled`` (dissuaded) or ``reported`` (cancelled and reported the
    other party). The same choice again changes nothing; a different one after a choice is 409."""
    with unit_of_work(request) as session:
        warning = warnings_service.record_choice(
            session, warning_id=warning_id, choice=body.choice, chosen_at=body.chosen_at, actor=principal.actor
        )
        return _out(warning)


@router.get("/v1/warnings/stats", response_model=WarningStats, summary="Warnings and their outcomes per typology")
def stats(
    request: Request,
    principal: CasesRead,
    since: Annotated[datetime | None, Query(description="issued at or after (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="issued before (ISO 8601)")] = None,
) -> WarningStats:
    """Per fraud typology: warned, delivered, continued, cancelled, reported, and the dissuasion rate."""
    with unit_of_work(request) as session:
        return warnings_service.stats(
            session,
            since=ensure_utc(since) if since is not None else None,
            until=ensure_utc(until) if until is not None else None,
        )


@router.get("/v1/warnings", response_model=WarningPage, summary="List warnings (per user, typology, state)")
def list_warnings(
    request: Request,
    principal: CasesRead,
    recipient_id: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    typology: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    state: WarningState | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> WarningPage:
    """Warnings newest first; ``recipient_id`` lists the warnings one user was shown."""
    with unit_of_work(request) as session:
        rows, total = warnings_service.search(
            session, recipient_id=recipient_id, typology=typology, state=state, limit=limit, offset=offset
        )
        return WarningPage(items=[_out(row) for row in rows], total=total, limit=limit, offset=offset)


@router.get("/v1/warnings/{warning_id}", response_model=WarningOut, summary="Read a warning")
def get_warning(warning_id: WarningId, request: Request, principal: CasesRead) -> WarningOut:
    with unit_of_work(request) as session:
        return _out(warnings_service.get(session, warning_id))
