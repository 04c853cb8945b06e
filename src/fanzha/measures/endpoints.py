"""Measures, restrictions, statements of reasons and re-verification over HTTP."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from fanzha.auth.deps import (
    MeasuresRead,
    MeasuresWrite,
    RestrictionsRead,
    ReverifyReport,
    StatementsRead,
    StatementsWithhold,
)
from fanzha.auth.masking import require_reveal
from fanzha.cases import service as cases_service
from fanzha.kit.errors import InvalidInput
from fanzha.kit.web import runtime_of, unit_of_work
from fanzha.measures import service as measures_service
from fanzha.measures.models import Measure
from fanzha.measures.runtime import apply_list_changes
from fanzha.measures.schemas import (
    MeasureCreate,
    MeasureOut,
    ReasonIn,
    RestrictionsOut,
    ReverifyCreate,
    ReverifyOut,
    ReverifyResult,
    StatementOut,
    StrikesOut,
)

router = APIRouter(tags=["measures"])

AccountPath = Annotated[str, Path(min_length=1, max_length=256)]


def _out(measure: Measure, *, reveal: bool = False) -> MeasureOut:
    return MeasureOut.model_validate(measures_service.to_dict(measure, reveal=reveal))


@router.get(
    "/v1/accounts/{account_id}/restrictions", response_model=RestrictionsOut, summary="What an account may not do"
)
async def restrictions(account_id: AccountPath, request: Request, principal: RestrictionsRead) -> RestrictionsOut:
    """Call it on every request: one indexed query over the account's active measures, without the
    ORM or a worker thread. Measures past their end are ignored here even before the expiry job
    marks them."""
    runtime = runtime_of(request)
    if runtime.engine.dialect.name == "sqlite":
        measures = runtime.active_measures.get(account_id)
    else:  # a network round trip: keep it off the event loop
        measures = await asyncio.to_thread(runtime.active_measures.get, account_id)
    return RestrictionsOut.model_validate(measures_service.restrictions_of(account_id, measures))


@router.get("/v1/accounts/{account_id}/measures", response_model=list[MeasureOut], summary="An account's measures")
def account_measures(
    account_id: AccountPath, request: Request, principal: MeasuresRead, reveal: bool = False
) -> list[MeasureOut]:
    require_reveal(principal, reveal)
    with unit_of_work(request) as session:
        if reveal:
            cases_service.record_reveal(
                session, actor=principal.actor, object_type="account", object_id=account_id, reason=None
            )
        return [_out(m, reveal=reveal) for m in measures_service.for_account(session, account_id)]


@router.get("/v1/accounts/{account_id}/strikes", response_model=StrikesOut, summary="Strikes and the next step")
def strikes(account_id: AccountPath, request: Request, principal: MeasuresRead) -> StrikesOut:
    with unit_of_work(request) as session:
        return StrikesOut.model_validate(measures_service.strikes(session, account_id))


@router.get(
    "/v1/accounts/{account_id}/statements", response_model=list[StatementOut], summary="Statements for an account"
)
def account_statements(account_id: AccountPath, request: Request, principal: StatementsRead) -> list[StatementOut]:
    """The issued statements of reasons, for the platform to show its user (withheld ones are not listed)."""
    with unit_of_work(request) as session:
        rows = measures_service.list_statements(
            session, account_id=account_id, state="issued", review_due=False, limit=200
        )
        return [StatementOut.model_validate(row, from_attributes=True) for row in rows]


@router.post("/v1/measures", response_model=MeasureOut, status_code=201, summary="Apply a measure directly")
def create(body: MeasureCreate, request: Request, principal: MeasuresWrite) -> MeasureOut:
    """A measure outside a case decision (e.g. from a police request); close and bans still need approval."""
    if body.account_id is None:
        raise InvalidInput("account_id is required", details=[{"field": "account_id"}], zh="必须提供 account_id")
    with unit_of_work(request) as session:
        outcome = measures_service.propose(
            session,
            account_id=body.account_id,
            spec=body,
            reason=body.reason,
            legal_basis=body.legal_basis,
            rules=[],
            case_id=body.case_id,
            automated=False,
            actor=principal.actor,
            withhold=body.withhold_statement,
        )
        out = _out(outcome.measures[0])
    apply_list_changes(runtime_of(request).lists, outcome.list_changes)
    return out


@router.get("/v1/measures", response_model=list[MeasureOut], summary="Measures awaiting approval")
def pending(request: Request, principal: MeasuresRead) -> list[MeasureOut]:
    with unit_of_work(request) as session:
        return [_out(m) for m in measures_service.pending(session)]


@router.get("/v1/measures/{measure_id}", response_model=MeasureOut, summary="A measure")
def get_measure(measure_id: int, request: Request, principal: MeasuresRead, reveal: bool = False) -> MeasureOut:
    require_reveal(principal, reveal)
    with unit_of_work(request) as session:
        if reveal:
            cases_service.record_reveal(
                session, actor=principal.actor, object_type="measure", object_id=str(measure_id), reason=None
            )
        return _out(measures_service.get(session, measure_id), reveal=reveal)


@router.post("/v1/measures/{measure_id}/lift", response_model=MeasureOut, summary="Lift a measure now")
def lift(measure_id: int, body: ReasonIn, request: Request, principal: MeasuresWrite) -> MeasureOut:
    with unit_of_work(request) as session:
        outcome = measures_service.lift(session, measure_id=measure_id, actor=principal.actor, reason=body.reason)
        out = _out(outcome.measures[0])
    apply_list_changes(runtime_of(request).lists, outcome.list_changes)
    return out


@router.post("/v1/measures/{measure_id}/rectified", response_model=MeasureOut, summary="Mark a rectification done")
def rectified(measure_id: int, body: ReasonIn, request: Request, principal: MeasuresWrite) -> MeasureOut:
    with unit_of_work(request) as session:
        outcome = measures_service.mark_rectified(
            session, measure_id=measure_id, actor=principal.actor, reason=body.reason
        )
        return _out(outcome.measures[0])


@router.get("/v1/statements", response_model=list[StatementOut], summary="Statements of reasons")
def list_statements(
    request: Request,
    principal: StatementsRead,
    account_id: str | None = None,
    state: str | None = None,
    review_due: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[StatementOut]:
    """``state=withheld&review_due=true`` lists withheld statements whose review date has come."""
    with unit_of_work(request) as session:
        rows = measures_service.list_statements(
            session, account_id=account_id, state=state, review_due=review_due, limit=limit
        )
        return [StatementOut.model_validate(row, from_attributes=True) for row in rows]


@router.get("/v1/statements/{statement_id}", response_model=StatementOut, summary="A statement of reasons")
def get_statement(statement_id: int, request: Request, principal: StatementsRead) -> StatementOut:
    with unit_of_work(request) as session:
        return StatementOut.model_validate(measures_service.get_statement(session, statement_id), from_attributes=True)


@router.post("/v1/statements/{statement_id}/release", response_model=StatementOut, summary="Send a withheld statement")
def release(statement_id: int, body: ReasonIn, request: Request, principal: StatementsWithhold) -> StatementOut:
    with unit_of_work(request) as session:
        statement = measures_service.release_statement(
            session, statement_id=statement_id, actor=principal.actor, reason=body.reason
        )
        return StatementOut.model_validate(statement, from_attributes=True)


@router.post(
    "/v1/accounts/{account_id}/reverify", response_model=ReverifyOut, status_code=201, summary="Require re-verification"
)
def start_reverify(
    account_id: AccountPath, body: ReverifyCreate, request: Request, principal: MeasuresWrite
) -> ReverifyOut:
    """Risky functions are held until the account re-verifies; failing or missing the deadline escalates."""
    with unit_of_work(request) as session:
        task = measures_service.start_reverification(
            session,
            account_id=account_id,
            method=body.method,
            deadline_hours=body.deadline_hours,
            reason=body.reason,
            case_id=body.case_id,
            actor=principal.actor,
        )
        return ReverifyOut.model_validate(task, from_attributes=True)


@router.post("/v1/reverify/{task_id}/result", response_model=ReverifyOut, summary="Report a re-verification")
def reverify_result(task_id: int, body: ReverifyResult, request: Request, principal: ReverifyReport) -> ReverifyOut:
    with unit_of_work(request) as session:
        outcome = measures_service.report_reverification(
            session, task_id=task_id, passed=body.passed, reason=body.reason, actor=principal.actor
        )
        out = ReverifyOut.model_validate(measures_service.get_task(session, task_id), from_attributes=True)
    apply_list_changes(runtime_of(request).lists, outcome.list_changes)
    return out
