"""Small web helpers shared by every router: the runtime from the request, JSON responses, body limits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from fanzha.kit.db import transaction
from fanzha.kit.errors import FanzhaError, InvalidInput, PayloadTooLarge

if TYPE_CHECKING:
    from fanzha.runtime import Runtime

ModelT = TypeVar("ModelT", bound=BaseModel)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


@contextmanager
def unit_of_work(request: Request) -> Iterator[Session]:
    """The request's transaction: endpoints are the boundary that commits."""
    with transaction(runtime_of(request).sessions) as session:
        yield session


def json_response(content: Any, status_code: int = 200) -> Response:
    return Response(
        content=orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z),
        status_code=status_code,
        media_type="application/json",
    )


_WHAT_ZH = {"event": "事件", "rule set": "规则集", "the notice": "通报", "request body": "请求体"}
"""Chinese for the ``what`` the callers of :func:`read_body` and :func:`parse_body` name."""


def _what_zh(what: str) -> str:
    return _WHAT_ZH.get(what, what)


async def read_body(request: Request, *, limit: int, what: str) -> bytes:
    """The request body, refusing (413) as soon as it grows past ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(
                f"{what} is over the limit of {limit} bytes", zh=f"{_what_zh(what)}超过 {limit} 字节的上限"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def error_response(error: FanzhaError) -> Response:
    """The one JSON shape of every error fanzha answers (``{"error", "message", "message_zh"?, "details"?}``)."""
    response = json_response(error.to_dict(), error.status_code)
    if error.status_code == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def validation_details(error: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as ``[{"field": "actor.id", "message": ...}]``."""
    details = []
    for item in error.errors(include_url=False, include_input=False):
        location = ".".join(str(part) for part in item["loc"])
        details.append({"field": location or "(body)", "message": item["msg"], "type": item["type"]})
    return details


def parse_body(model: type[ModelT], body: bytes, *, limit: int, what: str) -> ModelT:
    """Validate a raw JSON body against ``model``, with a size limit and messages that name the field."""
    if len(body) > limit:
        raise PayloadTooLarge(
            f"{what} is {len(body)} bytes; the limit is {limit}",
            zh=f"{_what_zh(what)}为 {len(body)} 字节，上限为 {limit} 字节",
        )
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        details = validation_details(error)
        first = details[0] if details else {"field": "(body)", "message": "invalid"}
        raise InvalidInput(
            f"invalid {what}: {first['field']}: {first['message']}",
            details=details,
            zh=f"{_what_zh(what)}无效：{first['field']}: {first['message']}",
        ) from None
