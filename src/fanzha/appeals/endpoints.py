"""Appeals over HTTP: the platform submits for its user; appeals officers claim and decide."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from fanzha.appeals import service as appeals_service
from fanzha.appeals.schemas import AppealCreate, AppealDecision, AppealOut, RuleAppealCountOut
from fanzha.auth.deps import AppealsDecide, AppealsRead, AppealsSubmit
from fanzha.kit.web import runtime_of, unit_of_work
from fanzha.measures.runtime import apply_list_changes

router = APIRouter(tags=["appeals"])


def _out(appeal: object) -> AppealOut:
    return AppealOut.model_validate(appeal, from_attributes=True)


@router.post("/v1/appeals", response_model=AppealOut, status_code=201, summary="Appeal a measure")
def submit(body: AppealCreate, request: Request, principal: AppealsSubmit) -> AppealOut:
    """One appeal per measure, before the deadline in its statement of reasons (409 otherwise)."""
    with unit_of_work(request) as session:
        appeal = appeals_service.submit(
            session,
            measure_id=body.measure_id,
            account_id=body.account_id,
            grounds=body.grounds,
            materials=[item.model_dump() for item in body.materials],
            actor=principal.actor,
        )
        return _out(appeal)


@router.get("/v1/appeals", response_model=list[AppealOut], summary="The appeals queue")
def list_appeals(
    request: Request,
    principal: AppealsRead,
    state: Annotated[list[str] | None, Query()] = None,
    account_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[AppealOut]:
    """Oldest first; ``state=submitted`` is what waits for an officer."""
    with unit_of_work(request) as session:
        rows = appeals_service.search(session, state=state, account_id=account_id, limit=limit, offset=offset)
        return [_out(row) for row in rows]


@router.get("/v1/appeals/rules", response_model=list[RuleAppealCountOut], summary="Appeals per rule")
def rule_counts(request: Request, principal: AppealsRead) -> list[RuleAppealCountOut]:
    with unit_of_work(request) as session:
        return [
            RuleAppealCountOut.model_validate(r, from_attributes=True) for r in appeals_service.rule_counts(session)
        ]


@router.get("/v1/appeals/{appeal_id}", response_model=AppealOut, summary="An appeal")
def get_appeal(appeal_id: int, request: Request, principal: AppealsRead) -> AppealOut:
    with unit_of_work(request) as session:
        return _out(appeals_service.get(session, appeal_id))


@router.post("/v1/appeals/{appeal_id}/claim", response_model=AppealOut, summary="Claim an appeal")
def claim(appeal_id: int, request: Request, principal: AppealsDecide) -> AppealOut:
    with unit_of_work(request) as session:
        return _out(appeals_service.claim(session, appeal_id=appeal_id, actor=principal.actor))


@router.post("/v1/appeals/{appeal_id}/decision", response_model=AppealOut, summary="Uphold or overturn")
def decide(appeal_id: int, body: AppealDecision, request: Request, principal: AppealsDecide) -> AppealOut:
    """An overturn lifts the measure in the same transaction: the restrictions answer changes at once."""
    with unit_of_work(request) as session:
        outcome = appeals_service.decide(
            session,
            appeal_id=appeal_id,
            actor=principal.actor,
            overturn=body.outcome == "overturn",
            reason=body.reason,
        )
        out = _out(appeals_service.get(session, appeal_id))
    apply_list_changes(runtime_of(request).lists, outcome.list_changes)
    return out
