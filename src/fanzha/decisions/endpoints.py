"""Decisions over HTTP: the synchronous decision, asynchronous intake, and the stored record."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.types import Receive, Scope, Send

from fanzha.auth.deps import Authorize, DecisionsRead, DecisionsWrite
from fanzha.auth.roles import Permission
from fanzha.decisions.schemas import Accepted, Decision, DecisionRecordOut
from fanzha.events.entities import entity_to_dict, extract_entities
from fanzha.events.schemas import Event
from fanzha.kit.errors import DependencyUnavailable, FanzhaError, InvalidInput
from fanzha.kit.web import error_response, json_response, parse_body, read_body, runtime_of, unit_of_work

log = logging.getLogger(__name__)

router = APIRouter(tags=["decisions"])

_EVENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Event"}}},
    }
}


def _read_event(request: Request, body: bytes) -> Event:
    runtime = runtime_of(request)
    event = parse_body(Event, body, limit=runtime.settings.max_event_bytes, what="event")
    if event.type not in runtime.known_event_types:
        raise InvalidInput(
            f"unknown event type {event.type!r}; declare it in FANZHA_EXTRA_EVENT_TYPES to accept it",
            details=[{"field": "type", "message": "unknown event type"}],
            zh=f"未知事件类型 {event.type!r}；如需接收，请在 FANZHA_EXTRA_EVENT_TYPES 中声明",
        )
    return event


@router.post("/v1/decisions", response_model=Decision, openapi_extra=_EVENT_BODY, summary="Decide on an event")
async def decide(request: Request, principal: DecisionsWrite) -> Response:
    """Evaluate one event synchronously and answer once the decision is durable.

    Sending the same ``event_id`` again returns the stored answer without evaluating again.
    """
    return await _decide(request, time.perf_counter())


async def _decide(request: Request, started: float) -> Response:
    limit = runtime_of(request).settings.max_event_bytes
    event = _read_event(request, await read_body(request, limit=limit, what="event"))
    runtime = runtime_of(request)
    response = await runtime.decisions.decide(event, started=started)
    runtime.metrics.observe_decision(event.type, response)
    return json_response(response)


_authorize_decisions = Authorize(Permission.decisions_write)


async def decide_fast(scope: Scope, receive: Receive, send: Send) -> None:
    """``POST /v1/decisions`` as a bare ASGI handler, taken before the framework's middleware.

    This is the hottest request by far, and FastAPI's middleware and dependency solving cost about
    as much as the decision itself. It performs the same checks in the same order as the
    documented route above (key, permission, body limit, schema, known type) and answers errors
    the same way (:func:`fanzha.kit.web.error_response`).
    """
    started = time.perf_counter()
    request = Request(scope, receive)
    try:
        await _authorize_decisions(request)
        response = await _decide(request, started)
    except FanzhaError as error:
        response = error_response(error)
    except Exception:
        # Nothing was answered, so nothing was promised: the caller may retry the same event_id.
        log.exception("deciding failed")
        response = error_response(
            DependencyUnavailable("the decision could not be made durable; retry it", zh="决策未能持久保存，请重试")
        )
    await response(scope, receive, send)
    runtime_of(request).metrics.request_latency.observe(time.perf_counter() - started)


@router.post(
    "/v1/events",
    status_code=202,
    response_model=Accepted,
    openapi_extra=_EVENT_BODY,
    summary="Submit an event",
)
async def submit(request: Request, principal: DecisionsWrite) -> Response:
    """Accept an event for asynchronous decision (202); it is durable before this answers."""
    event = _read_event(request, await request.body())
    accepted = await runtime_of(request).decisions.accept(event)
    return json_response({"event_id": event.event_id, "status": "accepted" if accepted else "duplicate"}, 202)


@router.get("/v1/decisions/{event_id}", response_model=DecisionRecordOut, summary="Get a stored decision")
def get(event_id: str, request: Request, principal: DecisionsRead) -> DecisionRecordOut:
    """The stored decision record: the event, the features used, rule hits (live and shadow), versions."""
    runtime = runtime_of(request)
    with unit_of_work(request) as session:
        record = runtime.decisions.get_record(session, event_id=event_id)
        out = DecisionRecordOut.model_validate(record, from_attributes=True)
    # Entities are derived from the stored event rather than stored twice.
    event = Event.model_validate({k: v for k, v in out.record["event"].items() if k != "occurred_at_epoch"})
    out.record["entities"] = [entity_to_dict(ref) for ref in extract_entities(event)]
    return out
