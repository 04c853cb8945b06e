"""The rules area in a real browser (Debian's Chromium): an analyst promotes a shadow rule, makes a typo and
sees the error at line:column as they type, fixes it, checks the impact, pushes with a confirmation and
compares the versions. Screenshots: rules.png, rules-editor.png (with an error shown), rules-diff.png."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from fanzha.auth.roles import Role
from tests.fixtures.app import auth, event
from tests.fixtures.console import BrowserPage, ConsoleUserLogin

pytestmark = pytest.mark.parametrize("stack", ["sqlite+memory"], indirect=True)

SHADOW_RULE = """\
  - id: task_rebate_words
    description: Messages recruiting for paid "order brushing" (刷单返利) with an up-front payment
    events: [message.sent]
    condition: |
      has(event.content) && has(event.content.text)
        && contains_any(event.content.text, ["刷单", "垫付"])
    outcome: block
    score: 100
    mode: shadow
    message: "疑似刷单返利诈骗 / suspected task-rebate scam"
    legal_basis: [ATOFL-25]
"""

CONTACT_RULE = """\
  - id: off_platform_contact_words
    description: Messages moving the chat off the platform (加微信 / add me on WeChat)
    events: [message.sent]
    condition: has(event.content) && has(event.content.text) && contains_any(event.content.text, ["加微信", "加我微信"])
    outcome: review
    score: 40
    mode: shadow
    legal_basis: [ATOFL-25]
"""

SCAM = "兼职刷单返利，先垫付300元，马上返佣金"


def test_edit_validate_push_and_compare(
    browser_page: Callable[[], BrowserPage],
    make_console_user: Callable[..., ConsoleUserLogin],
    client: TestClient,
    admin_key: str,
) -> None:
    """``client`` is the API on the same runtime as the browser's server."""
    key = auth(admin_key)
    source = client.get("/v1/rules", headers=key).json()["source"]
    shadowed = source.replace("\nrules:\n", "\nrules:\n" + SHADOW_RULE + CONTACT_RULE, 1)
    pushed = client.post("/v1/rules", json={"source": shadowed, "filename": "default.yaml"}, headers=key)
    assert pushed.status_code == 201
    texts = [SCAM, "今晚一起吃饭吗", "刷单日结，垫付后返现", "明天开会别迟到", "加微信聊，这里不方便", SCAM]
    for index, text in enumerate(texts):
        body = event(f"evt-{index}", actor=f"acct-{index}", counterparty={"id": "friend"}, content={"text": text})
        assert client.post("/v1/decisions", json=body, headers=key).json()["decision"] == "allow"

    browser = browser_page()
    page = browser.page
    browser.sign_in(make_console_user(Role.analyst, display_name="王审核"))
    page.goto("/console/rules")
    shadow_row = page.locator("[data-shadow-rule=task_rebate_words]")
    assert shadow_row.locator("[data-testid=shadow-hits]").inner_text() == "3"
    contact_row = page.locator("[data-shadow-rule=off_platform_contact_words]")
    assert contact_row.locator("[data-testid=shadow-hits]").inner_text() == "1"

    page.click("[data-testid=edit-rules]")
    page.wait_for_url("**/console/rules/edit")
    editor = page.locator("[data-testid=rules-source]")
    original = editor.input_value()
    assert "task_rebate_words" in original
    promoted = original.replace(SHADOW_RULE, SHADOW_RULE.replace("    mode: shadow\n", "    mode: live\n"), 1)
    assert promoted != original
    editor.fill(promoted)
    editor.press("End")  # a key press: validation runs on keyup
    status = page.locator("[data-testid=validation-status]")
    status.filter(has_text="校验通过").wait_for()

    page.click("[data-testid=run-fixtures]")
    page.locator("[data-testid=fixture-summary]").wait_for()
    assert re.fullmatch(r"\d+ 通过，0 失败", page.locator("[data-testid=fixture-summary]").inner_text())
    page.click("[data-testid=run-whatif]")
    page.locator("[data-testid=whatif-changed]").wait_for()
    assert page.locator("[data-testid=whatif-changed]").inner_text() == "3"

    # A typo: the condition loses a closing parenthesis. The error appears without submitting anything.
    broken = promoted.replace('["刷单", "垫付"])', '["刷单", "垫付"]', 1)
    editor.fill(broken)
    editor.press("End")
    status.filter(has_text="处错误").wait_for()
    diagnostic = page.locator("[data-testid=diagnostic]").first
    assert "task_rebate_words" in diagnostic.inner_text()
    position = re.search(r"\((\d+):(\d+)\)", diagnostic.inner_text())
    assert position
    typo = broken.index('"垫付"]', broken.index("task_rebate_words"))
    assert int(position.group(1)) == broken.count("\n", 0, typo) + 1  # the line of the unclosed call
    assert page.url.endswith("/console/rules/edit")  # nothing was submitted
    # Scroll the text to the reported line, as the analyst would, for the screenshot.
    editor.evaluate(
        "(el, line) => { el.scrollTop = (line - 12) * parseFloat(getComputedStyle(el).lineHeight); }",
        int(position.group(1)),
    )
    browser.screenshot("rules-editor")

    editor.fill(promoted)
    editor.press("End")
    status.filter(has_text="校验通过").wait_for()
    page.click("[data-testid=review-push]")
    page.wait_for_url("**/console/rules/push/review")
    summary = page.locator("[data-testid=diff-summary]").inner_text()
    assert "task_rebate_words" in summary
    page.fill("[data-testid=push-reason]", "影子模式观察命中 3 次、无误报，改为生效")
    assert page.locator("[data-testid=whatif-changed]").inner_text() == "3"  # the impact, loaded with the page
    browser.screenshot("rules-confirm")
    page.click("[data-testid=confirm-push-button]")
    page.wait_for_url("**/console/rules?pushed=*")

    active = client.get("/v1/rules", headers=key).json()
    assert page.locator("[data-testid=active-version]").inner_text() == active["version"]
    assert page.locator("[data-testid=pushed]").is_visible()
    assert {rule["id"]: rule["mode"] for rule in active["rules"]}["task_rebate_words"] == "live"
    assert "影子模式观察命中" in page.locator("[data-testid=active-set]").inner_text()
    browser.screenshot("rules")

    page.click("text=与上一版本比较")
    page.wait_for_url("**/console/rules/versions/*/diff/*")
    assert "task_rebate_words" in page.locator("[data-testid=diff-summary]").inner_text()
    assert page.locator("[data-testid=line-diff] tr.add").count() == 1
    browser.screenshot("rules-diff")
    assert browser.errors == []
