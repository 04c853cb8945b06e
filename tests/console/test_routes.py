"""Every console page needs a signed-in user, and every console POST also checks the CSRF token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute

from fanzha.console.endpoints import router
from fanzha.console.web import console_action, console_page

# The sign-in form is the one way in without a session (it has its own double-submit token).
OPEN = {("GET", "/console/sign-in"), ("POST", "/console/sign-in")}


def _routes(container: Any, prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    for route in container.routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):  # FastAPI's lazily included routers
            context = getattr(route, "include_context", None)
            yield from _routes(route.original_router, prefix + (getattr(context, "prefix", "") or ""))
        else:
            raise AssertionError(f"a console route of an unknown kind: {route!r}")


def _dependencies(dependant: Any) -> list[Any]:
    found = []
    for dependency in dependant.dependencies:
        found.append(dependency.call)
        found.extend(_dependencies(dependency))
    return found


def test_no_console_route_skips_the_session_or_the_csrf_check() -> None:
    routes = list(_routes(router))
    assert len(routes) > 40  # the walk found the pages, not an empty shell
    unguarded = []
    for path, route in routes:
        calls = _dependencies(route.dependant)
        for method in route.methods:
            if (method, path) in OPEN:
                continue
            needed = console_action if method == "POST" else console_page
            if needed not in calls and not (method != "POST" and console_action in calls):
                unguarded.append(f"{method} {path}")
    assert unguarded == []
