"""The console's router (pages under ``/console``) and its static files."""

from __future__ import annotations

import importlib
import pkgutil
from importlib import resources
from types import ModuleType

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from fanzha.console import pages
from fanzha.console.web import SignInRequired, error_page, sign_in_redirect
from fanzha.kit.errors import FanzhaError

PREFIX = "/console"

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _page_modules() -> list[ModuleType]:
    """Every module of :mod:`fanzha.console.pages` with a ``router``, sign-in first."""
    found = [importlib.import_module(f"{pages.__name__}.{info.name}") for info in pkgutil.iter_modules(pages.__path__)]
    with_router = [module for module in found if isinstance(getattr(module, "router", None), APIRouter)]
    return sorted(with_router, key=lambda module: (module.__name__ != f"{pages.__name__}.auth", module.__name__))


for _module in _page_modules():
    router.include_router(_module.router)


def mount_console(app: FastAPI) -> None:
    """Add the console's pages, static files and its HTML error handling to ``app``."""
    static = resources.files("fanzha.console").joinpath("static")
    app.mount(f"{PREFIX}/static", StaticFiles(directory=str(static)), name="console-static")
    app.include_router(router)

    @app.exception_handler(SignInRequired)
    async def handle_sign_in_required(request: Request, error: SignInRequired) -> Response:
        return sign_in_redirect(request)


def is_console_request(request: Request) -> bool:
    return request.url.path == PREFIX or request.url.path.startswith(PREFIX + "/")


def console_error(request: Request, error: FanzhaError) -> Response:
    return error_page(request, error)
