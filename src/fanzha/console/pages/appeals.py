"""Appeals: the list with filters, and the appeal page with the original decision, the statement of reasons
and, for appeals officers, claim and uphold/overturn with a mandatory reason (the same service as the API;
an overturn lifts the restriction at once)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from fanzha.appeals import service as appeals_service
from fanzha.auth.roles import Permission
from fanzha.cases import service as cases_service
from fanzha.console import casework
from fanzha.console.web import Console, ConsoleAction, ConsolePage
from fanzha.kit.clock import ensure_utc, utcnow
from fanzha.kit.errors import Conflict, Forbidden, InvalidInput
from fanzha.kit.web import runtime_of, unit_of_work
from fanzha.measures import service as measures_service
from fanzha.measures.runtime import apply_list_changes

router = APIRouter()

PAGE_SIZE = 50
STATES = ["submitted", "in_review", "upheld", "overturned"]
WAITING = "waiting"
"""The list's default filter: submitted or in review."""
DONE = frozenset({"claimed", "upheld", "overturned"})


def _states(state: str) -> list[str] | None:
    if state == WAITING:
        return ["submitted", "in_review"]
    return [state] if state in STATES else None


@router.get("/appeals", include_in_schema=False)
def appeals_page(
    console: ConsolePage,
    request: Request,
    state: Annotated[str, Query(max_length=20)] = WAITING,
    account: Annotated[str, Query(max_length=256)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    console.require(Permission.appeals_read)
    with unit_of_work(request) as session:
        rows = appeals_service.search(
            session,
            state=_states(state),
            account_id=account.strip() or None,
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
        measures = {appeal.measure_id: measures_service.get(session, appeal.measure_id) for appeal in rows}
        base = {"state": state, "account": account}
        return console.render(
            "appeals/index.html",
            appeals=rows[:PAGE_SIZE],
            measures=measures,
            state=state,
            account=account,
            states=[WAITING, *STATES, "all"],
            counts=appeals_service.rule_counts(session),
            previous_url=f"/console/appeals?{urlencode({**base, 'page': page - 1})}" if page > 1 else None,
            next_url=f"/console/appeals?{urlencode({**base, 'page': page + 1})}" if len(rows) > PAGE_SIZE else None,
        )


def _appeal_values(console: Console, session: Session, appeal_id: int) -> dict[str, Any]:
    appeal = appeals_service.get(session, appeal_id)
    measure = measures_service.get(session, appeal.measure_id)
    case = None if appeal.case_id is None else cases_service.get(session, appeal.case_id)
    now = utcnow()
    claim_live = appeal.claim_expires_at is not None and ensure_utc(appeal.claim_expires_at) > now
    holder = appeal.claimed_by if claim_live else None
    may_decide = console.can(Permission.appeals_decide)
    # Whoever decided or approved the measure may not handle its appeal (the service refuses it too).
    conflicted = console.actor in {appeal.original_decider, measure.approved_by}
    return {
        "appeal": appeal,
        "measure": measures_service.to_dict(measure, reveal=False),
        "statement": measures_service.statement_for(session, measure.id),
        "case": case,
        "restrictions": casework.restrictions(session, [appeal.account_id])[0],
        "holder": holder,
        "held_by_me": holder == console.actor,
        "open": appeal.state in ("submitted", "in_review"),
        "may_decide": may_decide and not conflicted,
        "conflicted": may_decide and conflicted,
        "timeline": casework.timeline(
            session,
            accounts=[appeal.account_id],
            cases=[case] if case is not None else [],
            decisions_visible=console.can(Permission.decisions_read),
            limit=30,
        ),
    }


def _render_appeal(
    console: Console,
    request: Request,
    appeal_id: int,
    *,
    done: str = "",
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with unit_of_work(request) as session:
        values = _appeal_values(console, session, appeal_id)
        return console.render(
            "appeals/page.html",
            status_code=status_code,
            done=done if done in DONE else "",
            error=error,
            form=form or {},
            **values,
        )


@router.get("/appeals/{appeal_id}", include_in_schema=False)
def appeal_page(
    appeal_id: int, console: ConsolePage, request: Request, done: Annotated[str, Query(max_length=30)] = ""
) -> HTMLResponse:
    console.require(Permission.appeals_read)
    return _render_appeal(console, request, appeal_id, done=done)


@router.post("/appeals/{appeal_id}/claim", include_in_schema=False)
def claim(appeal_id: int, request: Request, console: ConsoleAction) -> Response:
    console.require(Permission.appeals_decide)
    with unit_of_work(request) as session:
        appeals_service.claim(session, appeal_id=appeal_id, actor=console.actor)
    return console.redirect(f"/console/appeals/{appeal_id}?done=claimed")


@router.post("/appeals/{appeal_id}/decision", include_in_schema=False)
def decide(
    appeal_id: int,
    request: Request,
    console: ConsoleAction,
    outcome: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Uphold or overturn the appeal the officer holds; an overturn reverses the measure in the same transaction."""
    console.require(Permission.appeals_decide)
    if outcome not in ("uphold", "overturn"):
        raise InvalidInput(
            f"unknown appeal outcome {outcome!r}", details=[{"field": "outcome"}], zh=f"未知的申诉结论 {outcome!r}"
        )
    typed = {"reason": reason}
    if len(reason.strip()) < 3:
        return _render_appeal(
            console, request, appeal_id, error=console.t("appeals.reason_required"), form=typed, status_code=422
        )
    try:
        with unit_of_work(request) as session:
            result = appeals_service.decide(
                session, appeal_id=appeal_id, actor=console.actor, overturn=outcome == "overturn", reason=reason.strip()
            )
    except (Conflict, Forbidden) as error:
        return _render_appeal(
            console, request, appeal_id, error=console.error_text(error), form=typed, status_code=error.status_code
        )
    apply_list_changes(runtime_of(request).lists, result.list_changes)
    done = "overturned" if outcome == "overturn" else "upheld"
    return console.redirect(f"/console/appeals/{appeal_id}?done={done}")
