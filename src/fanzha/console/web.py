"""What every console page shares: the signed-in user, CSRF, the locale, navigation and rendering.

A page handler takes a :class:`Console` (``ConsolePage`` for reads, ``ConsoleAction`` for POSTs,
which also checks the CSRF token) and calls :meth:`Console.render`. A request without a live
session is sent to the sign-in page (an htmx request gets ``HX-Redirect``); a role without the
page's permission gets the 403 page.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from fanzha.auth.masking import mask, mask_digit_runs
from fanzha.auth.roles import Permission
from fanzha.auth.service import Principal
from fanzha.console import service
from fanzha.console.i18n import Locale, Translator, error_texts, negotiate, parse_locale
from fanzha.console.models import ConsoleUser
from fanzha.kit.errors import FanzhaError, InvalidInput
from fanzha.kit.web import runtime_of, unit_of_work

SESSION_COOKIE = "fanzha_console"
LOCALE_COOKIE = "fanzha_lang"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
MIN_REASON_LENGTH = 3


@dataclass(frozen=True)
class NavItem:
    key: str
    href: str
    permission: Permission | None


NAVIGATION = (
    NavItem("nav.dashboard", "/console/", None),
    NavItem("nav.queue", "/console/queue", Permission.cases_read),
    NavItem("nav.rules", "/console/rules", Permission.rules_read),
    NavItem("nav.lists", "/console/lists", Permission.lists_read),
    NavItem("nav.reports", "/console/reports", Permission.cases_read),
    NavItem("nav.notices", "/console/notices", Permission.notices_read),
    NavItem("nav.referrals", "/console/referrals", Permission.cases_read),
    NavItem("nav.appeals", "/console/appeals", Permission.appeals_read),
    NavItem("nav.audit", "/console/audit", Permission.audit_read),
)


class SignInRequired(Exception):
    """No live console session: the page answers with a redirect to the sign-in form."""


class CsrfRejected(FanzhaError):
    status_code = 403
    code = "csrf_rejected"


@cache
def templates() -> Environment:
    directory = resources.files("fanzha.console").joinpath("templates")
    environment = Environment(
        loader=FileSystemLoader(str(directory)),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = format_time
    environment.filters["mask"] = mask
    environment.filters["mask_digits"] = mask_digit_runs
    environment.globals["highlight"] = highlight
    return environment


def format_time(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.strftime("%Y-%m-%d %H:%M") + " UTC"


def request_locale(request: Request, user: ConsoleUser | None = None) -> Locale:
    """``?lang=`` beats the cookie, which beats the user's saved choice, which beats the browser."""
    for candidate in (
        request.query_params.get("lang"),
        request.cookies.get(LOCALE_COOKIE),
        user.locale if user is not None else None,
    ):
        locale = parse_locale(candidate)
        if locale is not None:
            return locale
    return negotiate(request.headers.get("accept-language"))


@dataclass
class Console:
    """One console request: who is signed in, in which language, and how to render for them."""

    request: Request
    user: ConsoleUser
    principal: Principal
    csrf_token: str
    locale: Locale
    t: Translator = field(init=False)

    def __post_init__(self) -> None:
        self.t = Translator(self.locale)

    @property
    def actor(self) -> str:
        return self.principal.actor

    def can(self, permission: Permission) -> bool:
        return self.principal.can(permission)

    def require(self, permission: Permission) -> None:
        self.principal.require(permission)

    def required_reason(self, reason: str, message_key: str = "cases.reason_required") -> str:
        """The reason an action must carry, stripped; a missing or token one is refused (422)."""
        reason = reason.strip()
        if len(reason) < MIN_REASON_LENGTH:
            english, chinese = error_texts(message_key)
            raise InvalidInput(english, details=[{"field": "reason"}], zh=chinese)
        return reason

    def error_text(self, error: FanzhaError) -> str:
        """The error's message in this console's language (English where it has no Chinese)."""
        return error.localized(self.locale.value)

    def navigation(self) -> list[NavItem]:
        return [item for item in NAVIGATION if item.permission is None or self.can(item.permission)]

    def render(self, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        return render(self.request, template, status_code=status_code, console=self, **values)

    def redirect(self, url: str) -> Response:
        """After a POST: a 303 for a form, ``HX-Redirect`` for htmx."""
        if self.request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)


def render(request: Request, template: str, *, status_code: int = 200, **values: Any) -> HTMLResponse:
    console: Console | None = values.get("console")
    locale = console.locale if console is not None else request_locale(request)
    values.setdefault("t", console.t if console is not None else Translator(locale))
    values.setdefault("console", None)
    values.setdefault("locale", locale.value)
    values.setdefault("path", request.url.path)
    html = templates().get_template(template).render(**values)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _load(request: Request) -> Console:
    settings = runtime_of(request).settings
    with unit_of_work(request) as session:
        found = service.resolve_session(session, request.cookies.get(SESSION_COOKIE), settings=settings)
        if found is None:
            raise SignInRequired
        row, user = found
        session.expunge(user)
        csrf_token = row.csrf_token
    return Console(
        request=request,
        user=user,
        principal=service.principal_of(user),
        csrf_token=csrf_token,
        locale=request_locale(request, user),
    )


async def console_page(request: Request) -> Console:
    return _load(request)


async def console_action(request: Request) -> Console:
    console = _load(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not tokens_match(sent, console.csrf_token):
        raise CsrfRejected(
            "the form has expired or did not come from this console; reload the page and try again",
            zh="表单已过期或并非来自本控制台，请刷新页面后重试",
        )
    return console


def tokens_match(sent: str, expected: str) -> bool:
    """A constant-time comparison; as bytes, since ``compare_digest`` raises on non-ASCII text."""
    return secrets.compare_digest(sent.encode("utf-8"), expected.encode("utf-8"))


ConsolePage = Annotated[Console, Depends(console_page)]
ConsoleAction = Annotated[Console, Depends(console_action)]


def sign_in_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    url = f"/console/sign-in?next={quote(target)}"
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def error_page(request: Request, error: FanzhaError) -> Response:
    """A console-styled page for an error raised while serving ``/console``."""
    try:
        console: Console | None = _load(request)
    except SignInRequired:
        console = None
    template = "fragments/error.html" if request.headers.get("hx-request") else "error.html"
    return render(request, template, status_code=error.status_code, console=console, error=error)


def highlight(text: str, spans: list[tuple[int, int]]) -> Markup:
    """``text`` escaped, with each ``[start, end)`` span wrapped in ``<mark>`` (overlaps merged)."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts: list[str] = []
    cursor = 0
    for start, end in merged:
        parts.append(str(Markup.escape(text[cursor:start])))
        parts.append(f"<mark>{Markup.escape(text[start:end])}</mark>")
        cursor = end
    parts.append(str(Markup.escape(text[cursor:])))
    return Markup("".join(parts))  # noqa: S704 -- every piece of text was escaped above
