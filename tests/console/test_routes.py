"""Every console page needs a signed-in user, and every console POST also checks the CSRF token."""

from __future__ import annotations

from fanzha.console.endpoints import router
from fanzha.console.web import console_action, console_page
from tests.fixtures.routes import api_routes, dependency_calls

# The sign-in form is the one way in without a session (it has its own double-submit token).
OPEN = {("GET", "/console/sign-in"), ("POST", "/console/sign-in")}


def test_no_console_route_skips_the_session_or_the_csrf_check() -> None:
    routes = list(api_routes(router))
    assert len(routes) > 40  # the walk found the pages, not an empty shell
    unguarded = []
    for path, route in routes:
        calls = dependency_calls(route.dependant)
        for method in route.methods:
            if (method, path) in OPEN:
                continue
            needed = console_action if method == "POST" else console_page
            if needed not in calls and not (method != "POST" and console_action in calls):
                unguarded.append(f"{method} {path}")
    assert unguarded == []
