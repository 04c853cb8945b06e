"""Sign in, sign out and the language switch."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from fanzha.console import service
from fanzha.console.i18n import parse_locale
from fanzha.console.repository import ConsoleRepository
from fanzha.console.web import (
    LOCALE_COOKIE,
    SESSION_COOKIE,
    ConsoleAction,
    CsrfRejected,
    render,
    request_locale,
    tokens_match,
)
from fanzha.kit.web import runtime_of, unit_of_work

router = APIRouter()

# Sign-in has no session yet, so its CSRF defence is a double-submit cookie.
SIGN_IN_COOKIE = "fanzha_sign_in"


def _safe_next(target: str | None) -> str:
    """Only paths inside the console: never an open redirect to another site."""
    if not target:
        return "/console/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console"):
        return "/console/"
    return target


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _sign_in_form(
    request: Request, *, error: str | None = None, username: str = "", status_code: int = 200
) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "sign_in.html",
        status_code=status_code,
        form_token=token,
        error=error,
        username=username,
        next=_safe_next(request.query_params.get("next")),
    )
    response.set_cookie(
        SIGN_IN_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request), path="/console"
    )
    return response


@router.get("/sign-in", include_in_schema=False)
def sign_in_page(request: Request) -> Response:
    return _sign_in_form(request)


@router.post("/sign-in", include_in_schema=False)
def sign_in(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    form_token: Annotated[str, Form(max_length=100)],
    next: Annotated[str, Form(max_length=2000)] = "/console/",
) -> Response:
    cookie = request.cookies.get(SIGN_IN_COOKIE)
    if not cookie or not tokens_match(cookie, form_token):
        raise CsrfRejected(
            "the sign-in form has expired; reload the page and try again", zh="登录表单已过期，请刷新页面后重试"
        )
    t = request_locale(request)
    with unit_of_work(request) as session:
        outcome = service.sign_in(session, username=username, password=password, settings=runtime_of(request).settings)
        locale = outcome.user.locale if isinstance(outcome, service.SignedIn) else None
    if isinstance(outcome, service.SignInRefused):
        key = "sign_in.locked" if outcome.locked_out else "sign_in.bad_credentials"
        return _sign_in_form(request, error=key, username=username, status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    settings = runtime_of(request).settings
    response.set_cookie(
        SESSION_COOKIE,
        outcome.token,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
        max_age=int(settings.console_session_hours * 3600),
    )
    response.delete_cookie(SIGN_IN_COOKIE, path="/console")
    if locale is None:
        response.set_cookie(LOCALE_COOKIE, t.value, samesite="lax", path="/", max_age=365 * 86400)
    return response


@router.post("/sign-out", include_in_schema=False)
def sign_out(request: Request, console: ConsoleAction) -> Response:
    with unit_of_work(request) as session:
        service.sign_out(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/console/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language", include_in_schema=False)
def switch_language(
    request: Request,
    console: ConsoleAction,
    lang: Annotated[str, Form(max_length=10)],
    back: Annotated[str, Form(max_length=2000)] = "/console/",
) -> Response:
    locale = parse_locale(lang) or console.locale
    with unit_of_work(request) as session:
        user = ConsoleRepository(session).user(console.user.id)
        if user is not None:
            service.set_locale(session, user, locale.value)
    response = RedirectResponse(_safe_next(back), status_code=303)
    response.set_cookie(LOCALE_COOKIE, locale.value, samesite="lax", path="/", max_age=365 * 86400)
    return response
