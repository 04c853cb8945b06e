"""The dashboard, lists, reports, notices and audit pages in a real browser (Debian's Chromium): an admin with
some data opens each page; no JavaScript errors; screenshots for people to look at."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from fanzha.auth.roles import Role
from fanzha.kit.clock import utcnow
from fanzha.runtime import Runtime
from tests.fixtures.app import auth
from tests.fixtures.console import BrowserPage, ConsoleUserLogin
from tests.fixtures.console_data import appeal, decisions_mix, notice, report, store_decision
from tests.fixtures.due_process import Keys
from tests.notices.helpers import seed

pytestmark = pytest.mark.parametrize("stack", ["sqlite+memory"], indirect=True)

RULES = ["blocked_counterparty", "new_account_links", "task_scam_terms", "payment_to_new_payee", "device_farm"]


def _history(runtime: Runtime) -> None:
    """A day and a half of decisions with a believable shape (more in the afternoon, a spike of blocks)."""
    now = utcnow()
    number = 0
    for hour in range(36):
        moment = now - timedelta(hours=hour, minutes=7)
        base = 6 + (hour * 7) % 11
        mix = {"allow": base, "warn": base // 4, "review": 1 + hour % 3, "block": 1 + (5 if hour == 4 else hour % 2)}
        for outcome, count in mix.items():
            for _ in range(count):
                number += 1
                rules = [] if outcome == "allow" else [RULES[number % len(RULES)]]
                store_decision(runtime, f"hist-{number}", decision=outcome, decided_at=moment, rules=rules)


def _seed(client: TestClient, keys: Keys, runtime: Runtime) -> None:
    _history(runtime)
    seed(runtime.engine, ["acct-b0", "acct-77"])
    for number, reason in [
        ("+8613800138000", "公安协查通报 沪公(反诈)协字〔2026〕101号"),
        ("+8613911112222", "多名用户举报冒充客服退款"),
        ("+8617055556666", "虚拟运营商号段，批量注册"),
    ]:
        client.post(
            "/v1/lists/blocked_phones/entries", json={"value": number, "reason": reason}, headers=auth(keys.admin)
        )
    decisions_mix(client, keys.admin, blocked=2, plain=2)
    appeal(client, keys, "u-upheld", outcome="uphold")
    appeal(client, keys, "u-overturned", outcome="overturn")
    appeal(client, keys, "u-waiting", outcome=None)
    notice(client, keys.police, "沪公(反诈)协字〔2026〕101号", deadline_in=-timedelta(hours=3))
    notice(client, keys.police, "沪公(反诈)协字〔2026〕102号", deadline_in=timedelta(hours=6))
    notice(
        client,
        keys.police,
        "京公(反诈)协字〔2026〕7号",
        deadline_in=timedelta(days=2),
        issuing_unit="北京市公安局反诈中心",
        requested_measures=[{"kind": "close"}],
        identifiers=[
            {"type": "account", "value": "acct-b0"},
            {"type": "account", "value": "acct-77"},
            {"type": "account", "value": "acct-unknown"},
            {"type": "phone", "value": "+8613800138000"},
            {"type": "url", "value": "https://invest-scam.example/app"},
        ],
    )
    report(client, keys.client, reporter="victim-1", subjects=[{"type": "phone", "id": "+8613911112222"}])
    report(
        client,
        keys.client,
        reporter="victim-2",
        subjects=[{"type": "account", "id": "acct-b1"}],
        category="T01_task_rebate",
        text="刷单返利，先返了 30 元，后来要我垫付 5000 元",
    )


def test_pages_render_without_errors_and_are_screenshotted(
    browser_page: Callable[[], BrowserPage],
    make_console_user: Callable[..., ConsoleUserLogin],
    client: TestClient,
    keys: Keys,
    runtime: Runtime,
) -> None:
    _seed(client, keys, runtime)
    login = make_console_user(Role.admin, display_name="李管理")
    browser = browser_page()
    browser.sign_in(login)
    page = browser.page

    # Dashboard: one bar per hour, then per six hours.
    assert page.locator("[data-testid=decisions-widget] svg .bar").count() == 24
    browser.screenshot("dashboard")
    page.click("[data-testid=window-7d]")
    page.wait_for_url("**window=7d")
    assert page.locator("[data-testid=decisions-widget] svg .bar").count() == 28

    # Lists: the index, then a list; add an entry through the form.
    page.click("nav.mainnav >> text=名单")
    page.wait_for_url("**/console/lists")
    browser.screenshot("lists-index")
    page.click("a >> text=blocked_phones")
    page.wait_for_url("**/console/lists/blocked_phones")
    page.fill("[data-testid=add-entry] input[name=value]", "138 0000 9999")
    page.fill("[data-testid=add-entry] textarea[name=reason]", "反诈中心预警号码")
    page.click("[data-testid=add-entry] button[type=submit]")
    page.wait_for_url("**done=added")
    assert "+86*******9999" in page.inner_text("[data-testid=entries]")
    browser.screenshot("lists")

    # Reports: the list, then one report.
    page.click("nav.mainnav >> text=用户举报")
    page.wait_for_url("**/console/reports")
    assert page.locator("[data-testid=report-row]").count() == 2
    browser.screenshot("reports")
    page.locator("[data-testid=report-ref]").first.click()
    page.wait_for_url("**/console/reports/*")
    browser.screenshot("report")

    # Notices: the list, then the notice with per-identifier progress.
    page.click("nav.mainnav >> text=协查通报")
    page.wait_for_url("**/console/notices")
    browser.screenshot("notices-index")
    page.click("text=京公(反诈)协字〔2026〕7号")
    page.wait_for_url("**/console/notices/*")
    assert page.locator("[data-testid=identifier]").count() == 5
    browser.screenshot("notices")

    # Audit: verify the chain through htmx.
    page.click("nav.mainnav >> text=审计日志")
    page.wait_for_url("**/console/audit")
    page.click("[data-testid=verify-chain]")
    page.wait_for_selector("[data-testid=chain-ok]")
    assert page.url.endswith("/console/audit")  # swapped in, not navigated
    browser.screenshot("audit")

    # The same pages in English.
    page.click("[data-testid=switch-language]")
    page.wait_for_load_state()
    page.goto("/console/")
    assert "Decisions by outcome" in page.inner_text("[data-testid=decisions-widget]")
    browser.screenshot("dashboard-en")
    assert browser.errors == []
