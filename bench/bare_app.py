"""The ceiling: a bare Starlette JSON endpoint served exactly like fanzha (uvicorn, one process)."""

from __future__ import annotations

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def echo_decision(request: Request) -> Response:
    event = orjson.loads(await request.body())
    answer = {"event_id": event["event_id"], "decision": "allow", "score": 0, "reasons": [], "actions": []}
    return Response(orjson.dumps(answer), media_type="application/json")


app = Starlette(routes=[Route("/v1/decisions", echo_decision, methods=["POST"])])
