"""Sign-in in a real browser (Debian's Chromium): no JavaScript errors, language switch, screenshots."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fanzha.auth.roles import Role
from tests.fixtures.console import BrowserPage, ConsoleUserLogin

pytestmark = pytest.mark.parametrize("stack", ["sqlite+memory"], indirect=True)


def test_sign_in_switch_language_and_sign_out(
    browser_page: Callable[[], BrowserPage], make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    login = make_console_user(Role.admin, display_name="李管理")
    browser = browser_page()
    page = browser.page
    page.goto("/console/")
    page.wait_for_url("**/console/sign-in?next=**")
    browser.screenshot("sign-in")
    page.fill("input[name=username]", login.username)
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text().startswith("用户名或密码错误")
    browser.sign_in(login)
    assert "李管理" in page.inner_text("header")
    page.click("[data-testid=switch-language]")
    page.wait_for_load_state()
    assert "Sign out" in page.inner_text("header")
    page.click("text=Sign out")
    page.wait_for_url("**/console/sign-in")
    assert browser.errors == []
