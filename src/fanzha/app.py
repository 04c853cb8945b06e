"""The FastAPI application: routers, the one error handler, and the lifespan that builds the runtime."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fanzha import __version__
from fanzha.appeals.endpoints import router as appeals_router
from fanzha.audit.endpoints import router as audit_router
from fanzha.auth.deps import MetricsRead
from fanzha.auth.endpoints import router as keys_router
from fanzha.auth.service import Authenticator
from fanzha.bus.worker import DueProcessJobs
from fanzha.cases.endpoints import router as cases_router
from fanzha.console.endpoints import console_error, is_console_request, mount_console
from fanzha.decisions.endpoints import decide_fast
from fanzha.decisions.endpoints import router as decisions_router
from fanzha.earlywarning.endpoints import router as warnings_router
from fanzha.entities.endpoints import router as labels_router
from fanzha.events.schemas import Event
from fanzha.intel.endpoints import router as intel_router
from fanzha.kit.errors import FanzhaError, InvalidInput, PayloadTooLarge
from fanzha.kit.web import error_response, json_response
from fanzha.lists.endpoints import router as lists_router
from fanzha.measures.endpoints import router as measures_router
from fanzha.measures.runtime import apply_list_changes
from fanzha.notices.endpoints import router as notices_router
from fanzha.notices.schemas import NoticeIn
from fanzha.referrals.endpoints import router as referrals_router
from fanzha.reports.endpoints import router as reports_router
from fanzha.reports.form import router as report_form_router
from fanzha.rules.endpoints import router as rules_router
from fanzha.rules.schemas import RuleSetPush
from fanzha.runtime import Runtime
from fanzha.settings import Settings, load_settings
from fanzha.webhooks.endpoints import router as webhooks_router

log = logging.getLogger(__name__)


class BodySizeLimit:
    """Refuse request bodies over the configured size (413) before they are read into memory."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await _send_json(
                    send,
                    413,
                    PayloadTooLarge(
                        f"request body is over {self.limit} bytes", zh=f"请求体超过 {self.limit} 字节"
                    ).to_dict(),
                )
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise PayloadTooLarge(
                        f"request body is over {self.limit} bytes", zh=f"请求体超过 {self.limit} 字节"
                    )
            return message

        await self.app(scope, limited_receive, send)


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    import orjson

    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class FanzhaAPI(FastAPI):
    """The FastAPI app, with ``POST /v1/decisions`` answered before the middleware stack.

    Every other request takes the ordinary path; the decision handler does its own body limit,
    authentication and error answers (see :func:`fanzha.decisions.endpoints.decide_fast`).
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/v1/decisions":
            limit = self.state.runtime.settings.max_request_bytes
            for name, value in scope.get("headers", ()):
                if name == b"content-length" and value.isdigit() and int(value) > limit:
                    await _send_json(
                        send,
                        413,
                        PayloadTooLarge(f"request body is over {limit} bytes", zh=f"请求体超过 {limit} 字节").to_dict(),
                    )
                    return
            scope["app"] = self
            await decide_fast(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


async def _periodic(runtime: Runtime) -> None:
    """Every second: changes from other processes, SQLite checkpoint; snapshots now and then."""
    loop = asyncio.get_running_loop()
    last_snapshot = loop.time()
    while True:
        await asyncio.sleep(1.0)
        try:
            await asyncio.to_thread(runtime.housekeeping)
            if loop.time() - last_snapshot >= runtime.settings.counter_snapshot_seconds:
                await asyncio.to_thread(runtime.save_snapshots)
                last_snapshot = loop.time()
        except Exception:
            log.exception("periodic refresh failed")


async def _due_process(jobs: DueProcessJobs) -> None:
    """Every second: the bus (cases from decisions, webhooks), measure expiry, SLA escalation."""
    while True:
        await asyncio.sleep(1.0)
        try:
            await asyncio.to_thread(jobs.tick)
        except Exception:
            log.exception("due-process jobs failed")


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """Build the application. With no runtime given, the lifespan builds one from ``settings``."""
    settings = settings or (runtime.settings if runtime is not None else load_settings())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        active = runtime or Runtime(settings)
        if owned:
            active.start()
        app.state.runtime = active
        app.state.authenticator = Authenticator(active.sessions)
        app.state.due_process = DueProcessJobs(
            active.sessions,
            on_list_changes=lambda changes: apply_list_changes(active.lists, changes),
            notice_warning_hours=settings.notice_deadline_warning_hours,
        )
        tasks = [
            asyncio.create_task(_periodic(active)),
            asyncio.create_task(active.decisions.run_async_worker()),
        ]
        if settings.jobs_in_process:
            tasks.append(asyncio.create_task(_due_process(app.state.due_process)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if owned:
                active.stop()

    app = FanzhaAPI(
        title="fanzha 反诈",
        version=__version__,
        description="Anti-fraud governance platform: decisions, rules, lists, labels.",
        lifespan=lifespan,
        docs_url="/docs" if settings.serve_public_docs else None,
        redoc_url="/redoc" if settings.serve_public_docs else None,
        openapi_url="/openapi.json" if settings.serve_public_docs else None,
    )

    @app.exception_handler(FanzhaError)
    async def handle_fanzha_error(request: Request, error: FanzhaError) -> Response:
        if is_console_request(request):
            return console_error(request, error)
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    async def handle_validation_error(request: Request, error: RequestValidationError) -> Response:
        details = [
            {
                "field": ".".join(str(part) for part in item["loc"]),
                "message": item["msg"],
                "type": item["type"],
            }
            for item in error.errors()
        ]
        first = details[0] if details else {"field": "(request)", "message": "invalid"}
        if is_console_request(request):
            return console_error(
                request,
                InvalidInput(
                    f"{first['field']}: {first['message']}",
                    details=details,
                    zh=f"输入有误：{first['field']}: {first['message']}",
                ),
            )
        return json_response(
            {
                "error": "invalid_input",
                "message": f"invalid request: {first['field']}: {first['message']}",
                "message_zh": f"请求无效：{first['field']}: {first['message']}",
                "details": details,
            },
            422,
        )

    @app.get("/healthz", include_in_schema=True, tags=["operations"])
    def healthz() -> dict[str, str]:
        """Liveness: answers without authentication."""
        return {"status": "ok", "version": __version__}

    @app.get("/metrics", tags=["operations"], response_class=Response)
    def metrics(request: Request, principal: MetricsRead) -> Response:
        """Prometheus metrics (needs a key with the ``metrics`` role)."""
        return Response(request.app.state.runtime.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    for router in (
        decisions_router,
        rules_router,
        lists_router,
        labels_router,
        keys_router,
        cases_router,
        measures_router,
        appeals_router,
        webhooks_router,
        audit_router,
        reports_router,
        report_form_router,
        notices_router,
        intel_router,
        referrals_router,
        warnings_router,
    ):
        app.include_router(router)
    _include_screening(app)
    mount_console(app)
    _document_raw_bodies(app)
    app.add_middleware(BodySizeLimit, limit=settings.max_request_bytes)
    return app


def _include_screening(app: FastAPI) -> None:
    from fastapi import Depends

    from fanzha.auth.deps import Authorize
    from fanzha.auth.roles import Permission

    try:
        from fanzha.screening.endpoints import router as screening_router
    except ImportError:  # the screening domain is optional until it lands
        return
    app.include_router(screening_router, tags=["screening"], dependencies=[Depends(Authorize(Permission.screen))])


def _document_raw_bodies(app: FastAPI) -> None:
    """Endpoints that parse their own body (for speed) still show its schema in OpenAPI."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (Event, RuleSetPush, NoticeIn):
            model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in model_schema.pop("$defs", {}).items():
                components.setdefault(name, definition)
            components[model.__name__] = model_schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
