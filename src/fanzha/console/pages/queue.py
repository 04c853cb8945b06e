"""The review queue: queues with their load and SLA breaches, the reviewer's claimed cases, the case list
with filters, "claim next" (the same claim the API makes) and, for senior reviewers, what awaits approval."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from fanzha.auth.roles import Permission
from fanzha.cases import service as cases_service
from fanzha.cases.states import OPEN, CaseState
from fanzha.console.casework import accounts_of, sla_clock
from fanzha.console.web import ConsoleAction, ConsolePage
from fanzha.kit.clock import utcnow
from fanzha.kit.web import unit_of_work
from fanzha.measures import service as measures_service

router = APIRouter()

PAGE_SIZE = 50
OPEN_FILTER = "open"
"""The state filter's default: every state in which a case waits for a reviewer."""

QueueName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,99}$")]


def _states(state: str) -> list[str] | None:
    if state == OPEN_FILTER:
        return sorted(item.value for item in OPEN)
    if state in {item.value for item in CaseState}:
        return [state]
    return None  # "all"


@router.get("/queue", include_in_schema=False)
def queue_page(
    console: ConsolePage,
    request: Request,
    state: Annotated[str, Query(max_length=30)] = OPEN_FILTER,
    queue: Annotated[str, Query(max_length=100)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    empty: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    console.require(Permission.cases_read)
    now = utcnow()
    with unit_of_work(request) as session:
        loads = cases_service.queue_load(session, now=now)
        rows = cases_service.search(
            session,
            state=_states(state),
            queue=queue or None,
            cluster_id=None,
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
        mine = cases_service.held_by(session, actor=console.actor) if console.can(Permission.cases_write) else []
        approvals = measures_service.pending(session, limit=50) if console.can(Permission.measures_approve) else []
        clocks = {case.id: sla_clock(case.sla_due_at, now=now) for case in [*rows, *mine]}
        accounts = {case.id: accounts_of(session, case, limit=2) for case in rows[:PAGE_SIZE]}
        more = len(rows) > PAGE_SIZE
        base = {"state": state, "queue": queue}
        return console.render(
            "queue/index.html",
            loads=loads,
            cases=rows[:PAGE_SIZE],
            mine=mine,
            approvals=approvals,
            clocks=clocks,
            accounts=accounts,
            state=state,
            queue=queue,
            page=page,
            previous_url=f"/console/queue?{urlencode({**base, 'page': page - 1})}" if page > 1 else None,
            next_url=f"/console/queue?{urlencode({**base, 'page': page + 1})}" if more else None,
            states=[OPEN_FILTER, *[item.value for item in CaseState], "all"],
            queue_names=[load.queue for load in loads],
            empty=empty,
            can_write=console.can(Permission.cases_write),
            can_approve=console.can(Permission.measures_approve),
        )


@router.post("/queue/{name}/next", include_in_schema=False)
def claim_next(name: QueueName, request: Request, console: ConsoleAction) -> Response:
    """Claim the most urgent unclaimed case of a queue and open it; back to the queue when it is empty."""
    console.require(Permission.cases_write)
    with unit_of_work(request) as session:
        case = cases_service.claim_next(session, queue=name, actor=console.actor)
        case_id = None if case is None else case.id
    if case_id is None:
        return console.redirect(f"/console/queue?{urlencode({'empty': name})}")
    return console.redirect(f"/console/cases/{case_id}?done=claimed")
