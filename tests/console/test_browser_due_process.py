"""The due-process loop in a real browser (Debian's Chromium): an analyst claims and decides a case and sees
the account restricted; after the user's appeal, an appeals officer overturns it and sees the restriction
lifted. No JavaScript errors; screenshots of the queue, the case and the appeal."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from fanzha.auth.roles import Role
from tests.fixtures.casework import SCAM_TEXT
from tests.fixtures.console import BrowserPage, ConsoleUserLogin, LiveServer
from tests.fixtures.due_process import Keys

pytestmark = pytest.mark.parametrize("stack", ["sqlite+memory"], indirect=True)


class Api:
    """The live server's API over HTTP, as the platform calls it."""

    def __init__(self, server: LiveServer) -> None:
        self.base = server.url

    def call(self, method: str, path: str, key: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read() or b"null")

    def block(self, key: str, event_id: str, account: str, **fields: Any) -> None:
        """A message to a blocklisted counterparty: decided block, so the bus opens (or joins) a case."""
        event = {
            "event_id": event_id,
            "type": "message.sent",
            "occurred_at": "2026-06-01T08:00:00+00:00",
            "actor": {"id": account},
            "counterparty": {"id": "scam-hub"},
            **fields,
        }
        assert self.call("POST", "/v1/decisions", key, event)["decision"] == "block"


def wait_for(condition: Callable[[], Any], what: str) -> Any:
    """The live server's own job loop (every second) turns decisions into cases: wait for it."""
    deadline = time.monotonic() + 20
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen in time")
        time.sleep(0.2)


def test_claim_decide_restrict_appeal_overturn(
    browser_page: Callable[[], BrowserPage],
    live_server: LiveServer,
    keys: Keys,
    make_console_user: Callable[..., ConsoleUserLogin],
) -> None:
    api = Api(live_server)
    api.call("PUT", "/v1/queues/urgent", keys.senior, {"position": 1, "priorities": ["P0", "P1"]})
    api.call("PUT", "/v1/queues/reports", keys.senior, {"position": 2, "source_types": ["user_report"]})
    api.call("POST", "/v1/lists/blocked_accounts/entries", keys.admin, {"value": "scam-hub"})
    api.block(
        keys.admin,
        "b-1",
        "fraud-1",
        content={"text": SCAM_TEXT},
        context={"device_id": "dev-a", "phone": "+8613800138000", "ip": "203.0.113.7"},
    )
    api.block(keys.admin, "b-2", "fraud-2", context={"device_id": "dev-a"})

    def case_of(event_id: str) -> dict[str, Any] | None:
        cases: list[dict[str, Any]] = api.call("GET", "/v1/cases", keys.analyst)
        return next((case for case in cases if case["source_ref"] == event_id), None)

    first = wait_for(lambda: case_of("b-1"), "the first case")
    wait_for(lambda: case_of("b-2"), "the second case")
    api.block(
        keys.admin, "b-3", "fraud-1", context={"device_id": "dev-b"}, attributes={"payee_account": "6222020012345678"}
    )
    wait_for(lambda: len(api.call("GET", f"/v1/cases/{first['id']}", keys.analyst)["evidence"]) == 2, "a join")

    analyst = browser_page()
    analyst.sign_in(make_console_user(Role.analyst, display_name="王审核"))
    page = analyst.page
    page.goto("/console/queue")
    page.wait_for_selector("[data-testid=case-list]")
    analyst.screenshot("queue")
    page.click("[data-testid=claim-next-urgent]")
    page.wait_for_url("**/console/cases/*?done=claimed")
    case_id = int(page.url.split("/console/cases/", 1)[1].split("?", 1)[0])
    assert "fraud-1" in page.inner_text("table")
    assert "<mark>" in page.inner_html("[data-testid=screened-text]")
    assert "13800138000" not in page.content()  # an analyst sees the phone masked

    # Another kind swaps the measure's fields in (htmx, with the CSRF header), and back again.
    page.select_option("[data-testid=measure-kind]", "suspend")
    page.wait_for_selector("input[name=functions]", state="detached")
    page.select_option("[data-testid=measure-kind]", "restrict")
    page.wait_for_selector("input[name=functions][value=send_links]")
    page.check("input[name=functions][value=send_links]")
    page.check("input[name=functions][value=transfer]")
    page.fill("input[name=duration_hours]", "72")
    page.fill("[data-testid=decide-reason]", "向多名用户发送刷单返利诈骗链接")
    analyst.screenshot("case")
    page.click("[data-testid=decide-act]")
    page.wait_for_url(f"**/console/cases/{case_id}?done=decided")
    card = page.inner_text("[data-testid=restriction][data-account=fraud-1]")
    assert "受限" in card
    assert "发送链接" in card
    assert "转账" in card
    analyst.screenshot("case-decided")
    assert analyst.errors == []

    measure = api.call("GET", f"/v1/cases/{case_id}", keys.analyst)["measures"][0]
    assert api.call("GET", "/v1/accounts/fraud-1/restrictions", keys.client)["restricted"] is True
    appeal = api.call(
        "POST",
        "/v1/appeals",
        keys.client,
        {"measure_id": measure["id"], "account_id": "fraud-1", "grounds": "那天我的账号被盗用了，设备不是我的。"},
    )

    officer = browser_page()
    officer.sign_in(make_console_user(Role.appeals_officer, display_name="李申诉"))
    page = officer.page
    page.goto("/console/appeals")
    page.click(f"a[href='/console/appeals/{appeal['id']}'] >> nth=0")
    page.wait_for_url(f"**/console/appeals/{appeal['id']}")
    assert "【处置告知】" in page.inner_text("[data-testid=statement]")
    page.click("[data-testid=appeal-claim]")
    page.wait_for_url("**?done=claimed")
    page.fill("[data-testid=appeal-reason]", "设备记录证实账号当日被盗用")
    page.click("[data-testid=overturn]")
    page.wait_for_url("**?done=overturned")
    assert "无限制" in page.inner_text("[data-testid=restriction]")
    assert "已撤销处置" in page.inner_text("[data-testid=appeal-state]")
    officer.screenshot("appeal")
    assert api.call("GET", "/v1/accounts/fraud-1/restrictions", keys.client)["restricted"] is False
    assert officer.errors == []
