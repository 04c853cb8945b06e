"""Console sign-in: sessions, CSRF, lockout, open redirects, language and role-aware navigation."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import resources

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fanzha.audit.models import AuditEntry
from fanzha.auth.roles import Role
from fanzha.console.i18n import catalogue, negotiate
from fanzha.runtime import Runtime
from tests.fixtures.console import ConsoleUserLogin, csrf_of, sign_in


def _form_token(client: TestClient) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', client.get("/console/sign-in").text)
    assert found
    return found.group(1)


def _attempt(client: TestClient, username: str, password: str) -> int:
    answer = client.post(
        "/console/sign-in",
        data={"username": username, "password": password, "form_token": _form_token(client)},
        follow_redirects=False,
    )
    return answer.status_code


def test_pages_need_a_session(console_client: TestClient) -> None:
    answer = console_client.get("/console/?x=1", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in?next=/console/%3Fx%3D1"
    htmx = console_client.get("/console/", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.status_code == 204
    assert htmx.headers["HX-Redirect"].startswith("/console/sign-in")


def test_sign_in_shows_the_dashboard_and_sign_out_ends_the_session(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], runtime: Runtime
) -> None:
    login = make_console_user(Role.analyst, display_name="王审核")
    csrf = sign_in(console_client, login)
    page = console_client.get("/console/")
    assert page.status_code == 200
    assert "王审核" in page.text
    assert "secure" not in page.headers.get("set-cookie", "")
    answer = console_client.post("/console/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    assert console_client.get("/console/", follow_redirects=False).status_code == 303
    with runtime.sessions() as session:
        actions = session.execute(select(AuditEntry.action).where(AuditEntry.object_type == "console_user")).scalars()
        assert list(actions) == ["console_user.create", "console_user.sign_in", "console_user.sign_out"]


def test_wrong_password_and_unknown_user_answer_alike(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    login = make_console_user(Role.analyst)
    wrong = console_client.post(
        "/console/sign-in",
        data={"username": login.username, "password": "not it at all", "form_token": _form_token(console_client)},
    )
    unknown = console_client.post(
        "/console/sign-in",
        data={"username": "nobody", "password": "not it at all", "form_token": _form_token(console_client)},
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.text
    assert "用户名或密码错误" in unknown.text


def test_lockout_after_repeated_failures_even_with_the_right_password(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], runtime: Runtime
) -> None:
    login = make_console_user(Role.analyst)
    limit = runtime.settings.console_max_failed_sign_ins
    for _ in range(limit):
        assert _attempt(console_client, login.username, "wrong password!") == 401
    answer = console_client.post(
        "/console/sign-in",
        data={"username": login.username, "password": login.password, "form_token": _form_token(console_client)},
        follow_redirects=False,
    )
    assert answer.status_code == 401
    assert "锁定" in answer.text
    with runtime.sessions() as session:
        actions = list(session.execute(select(AuditEntry.action)).scalars())
    assert actions.count("console_user.sign_in_failed") == limit - 1
    assert "console_user.lock_out" in actions
    assert "console_user.sign_in" not in actions


def test_sign_in_form_needs_its_token_and_actions_need_csrf(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    login = make_console_user(Role.analyst)
    forged = console_client.post(
        "/console/sign-in", data={"username": login.username, "password": login.password, "form_token": "forged"}
    )
    assert forged.status_code == 403
    sign_in(console_client, login)
    no_token = console_client.post("/console/sign-out", data={}, follow_redirects=False)
    assert no_token.status_code == 403
    assert "csrf" not in no_token.text.lower() or "<html" in no_token.text
    wrong = console_client.post("/console/sign-out", data={"csrf_token": "nope"}, follow_redirects=False)
    assert wrong.status_code == 403
    assert console_client.get("/console/", follow_redirects=False).status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/console/", "//evil.example/x", "/v1/decisions"])
def test_next_never_leaves_the_console(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], target: str
) -> None:
    login = make_console_user(Role.analyst)
    answer = console_client.post(
        "/console/sign-in",
        data={
            "username": login.username,
            "password": login.password,
            "form_token": _form_token(console_client),
            "next": target,
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/console/"


def test_language_follows_the_browser_then_the_users_choice(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    assert "Sign in" in console_client.get("/console/sign-in", headers={"Accept-Language": "en-GB,en;q=0.8"}).text
    assert "登录" in console_client.get("/console/sign-in", headers={"Accept-Language": "zh-CN"}).text
    assert "Sign in" in console_client.get("/console/sign-in?lang=en").text
    csrf = sign_in(console_client, make_console_user(Role.analyst))
    console_client.cookies.delete("fanzha_lang")
    assert "审核队列" in console_client.get("/console/").text
    console_client.post("/console/language", data={"csrf_token": csrf, "lang": "en", "back": "/console/"})
    console_client.cookies.delete("fanzha_lang")
    assert "Review queue" in console_client.get("/console/").text  # saved on the user, not only in a cookie


@pytest.mark.parametrize(
    ("role", "present", "absent"),
    [
        (Role.analyst, ["/console/queue", "/console/rules"], ["/console/audit", "/console/notices"]),
        (Role.police_liaison, ["/console/notices", "/console/queue"], ["/console/rules", "/console/audit"]),
        (Role.auditor, ["/console/audit", "/console/rules"], ["/console/notices"]),
        (Role.appeals_officer, ["/console/appeals"], ["/console/rules", "/console/lists", "/console/audit"]),
    ],
)
def test_navigation_shows_only_what_the_role_may_open(
    console_client: TestClient,
    make_console_user: Callable[..., ConsoleUserLogin],
    role: Role,
    present: list[str],
    absent: list[str],
) -> None:
    sign_in(console_client, make_console_user(role))
    nav = console_client.get("/console/").text.split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]
    for href in present:
        assert f'href="{href}"' in nav
    for href in absent:
        assert f'href="{href}"' not in nav


def test_accept_language_negotiation() -> None:
    assert negotiate(None).value == "zh"
    assert negotiate("fr-FR,en;q=0.5,zh;q=0.4").value == "en"
    assert negotiate("fr-FR").value == "zh"
    assert negotiate("en;q=0,zh-TW").value == "zh"


def test_every_message_key_used_by_a_template_is_in_the_catalogue() -> None:
    messages = catalogue()
    templates = resources.files("fanzha.console").joinpath("templates")
    missing: list[str] = []
    for path in _walk(templates):
        for key in re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", path.read_text(encoding="utf-8")):
            if not key.endswith(".") and key not in messages:  # "role." ~ name: built at run time
                missing.append(f"{path.name}: {key}")
    assert missing == []
    # Exactly zh and en, both text: an unquoted comma in a YAML flow mapping would add a stray key.
    malformed = [
        key
        for key, entry in messages.items()
        if set(entry) != {"zh", "en"} or not all(isinstance(text, str) and text for text in entry.values())
    ]
    assert malformed == []


def _walk(folder: object) -> list[object]:
    found: list[object] = []
    for item in folder.iterdir():  # type: ignore[attr-defined]
        if item.is_dir():
            found.extend(_walk(item))
        elif item.name.endswith(".html"):
            found.append(item)
    return found


def test_csrf_token_is_on_every_signed_in_page(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    csrf = sign_in(console_client, make_console_user(Role.admin))
    assert csrf_of(console_client.get("/console/").text) == csrf


def test_a_non_ascii_token_is_refused_not_a_server_error(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    login = make_console_user(Role.analyst)
    _form_token(console_client)  # sets the sign-in cookie
    forged = console_client.post(
        "/console/sign-in", data={"username": login.username, "password": login.password, "form_token": "令牌"}
    )
    assert forged.status_code == 403
    sign_in(console_client, login)
    answer = console_client.post("/console/sign-out", data={"csrf_token": "令牌"}, follow_redirects=False)
    assert answer.status_code == 403
