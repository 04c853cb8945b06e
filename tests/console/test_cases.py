"""The case page: what a reviewer sees (masked per role), and the actions their role allows."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fanzha.audit.models import AuditEntry
from fanzha.auth.roles import Role
from fanzha.console import casework
from fanzha.runtime import Runtime
from tests.fixtures.app import auth
from tests.fixtures.casework import (
    SCAM_TEXT,
    claim_and_restrict,
    open_blocked_case,
    post_form,
    restrictions,
    untranslated,
)
from tests.fixtures.console import ConsoleUserLogin, sign_in
from tests.fixtures.due_process import Keys

PHONE = "+8613900139000"


def _section(html: str, testid: str, end: str = "</section>") -> str:
    """The page from the element marked ``testid`` to the next ``end`` tag."""
    assert f'data-testid="{testid}"' in html, f"nothing marked {testid}"
    return html.split(f'data-testid="{testid}"', 1)[1].split(end, 1)[0]


def test_the_case_page_shows_summary_subjects_evidence_timeline_and_graph(
    console_client: TestClient, keys: Keys, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    case = open_blocked_case(console_client, keys, "page-acct", "c-ev-1", device="dev-page")
    sign_in(console_client, make_console_user(Role.analyst))
    page = console_client.get(f"/console/cases/{case['id']}")
    assert page.status_code == 200
    html = page.text
    assert case["summary"] in html
    assert "ATOFL-22" in html
    assert "blocklisted_counterparty" in html
    assert 'data-testid="subject-device"' in html
    assert "dev-page" in html
    assert "fanzha:decision/c-ev-1" in html  # the triggering decision, as evidence
    assert "message.sent" in html  # the decision in the subject's timeline
    graph = html.split('data-testid="link-graph"', 1)[1].split("</figure>", 1)[0]
    assert graph.count("<circle") >= 3  # the case, its account and its device at least
    assert 'href="/console/subjects/device/dev-page"' in graph
    assert 'data-testid="restriction"' in html
    assert untranslated(html) == []
    english = console_client.get(f"/console/cases/{case['id']}", params={"lang": "en"}).text
    assert "Account restrictions now" in english
    assert untranslated(english) == []


def test_a_role_without_cases_write_sees_no_decide_form_and_is_refused(
    console_client: TestClient, keys: Keys, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    case = open_blocked_case(console_client, keys, "readonly-acct", "c-ev-2")
    csrf = sign_in(console_client, make_console_user(Role.auditor))
    page = console_client.get(f"/console/cases/{case['id']}")
    assert page.status_code == 200
    assert "decide-form" not in page.text
    assert 'data-testid="claim"' not in page.text
    for action in ("claim", "decision", "note", "transition"):
        answer = post_form(
            console_client, f"/console/cases/{case['id']}/{action}", csrf, reason="not mine", to="triaged"
        )
        assert answer.status_code == 403, action
    assert console_client.get(f"/v1/cases/{case['id']}", headers=auth(keys.analyst)).json()["state"] == "new"


def test_a_decision_without_a_reason_is_refused_with_the_message_shown(
    console_client: TestClient, keys: Keys, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    case = open_blocked_case(console_client, keys, "noreason-acct", "c-ev-3")
    csrf = sign_in(console_client, make_console_user(Role.analyst))
    assert post_form(console_client, f"/console/cases/{case['id']}/claim", csrf).status_code == 303
    refused = post_form(
        console_client,
        f"/console/cases/{case['id']}/decision",
        csrf,
        outcome="action",
        kind="restrict",
        functions=["send_links"],
        reason="  ",
    )
    assert refused.status_code == 422
    assert "请填写理由" in _section(refused.text, "decide-error", "</p>")
    assert 'value="send_links" checked' in refused.text  # what was chosen is kept
    shape = post_form(
        console_client, f"/console/cases/{case['id']}/decision", csrf, outcome="action", kind="restrict", reason="ok go"
    )
    assert shape.status_code == 422
    assert "restrict needs the functions" in _section(shape.text, "decide-error", "</p>")
    detail = console_client.get(f"/v1/cases/{case['id']}", headers=auth(keys.analyst)).json()
    assert detail["state"] == "new"
    assert detail["measures"] == []


def test_deciding_restrict_shows_the_accounts_restriction(
    console_client: TestClient, keys: Keys, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    case = open_blocked_case(console_client, keys, "restrict-acct", "c-ev-4")
    csrf = sign_in(console_client, make_console_user(Role.analyst))
    decided = claim_and_restrict(console_client, csrf, case["id"])
    assert decided.status_code == 303
    assert decided.headers["location"] == f"/console/cases/{case['id']}?done=decided"
    assert restrictions(console_client, keys, "restrict-acct")["functions"] == ["send_links", "transfer"]
    page = console_client.get(decided.headers["location"]).text
    card = _section(page, "restriction")
    assert 'data-account="restrict-acct"' in card
    assert "受限" in card
    assert "发送链接" in card
    assert "转账" in card
    assert "state-notified" in page
    assert "decide-form" not in page  # decided: nothing left to decide


def test_phones_are_masked_for_an_analyst_and_shown_only_after_an_audited_reveal(
    console_client: TestClient,
    keys: Keys,
    runtime: Runtime,
    make_console_user: Callable[..., ConsoleUserLogin],
) -> None:
    case = open_blocked_case(console_client, keys, "masked-acct", "c-ev-5", phone=PHONE, text=SCAM_TEXT)
    analyst = TestClient(console_client.app, base_url="http://testserver")
    csrf = sign_in(analyst, make_console_user(Role.analyst))
    page = analyst.get(f"/console/cases/{case['id']}").text
    assert PHONE not in page
    assert "+86*******9000" in page
    assert "13800138000" not in page  # the phone written in the message is masked too
    assert f"/console/subjects/phone/{PHONE}" not in page
    assert "%2B8613900139000" not in page
    assert 'data-testid="reveal"' not in page
    assert post_form(analyst, f"/console/cases/{case['id']}/reveal", csrf).status_code == 403

    csrf = sign_in(console_client, make_console_user(Role.senior_reviewer))
    masked = console_client.get(f"/console/cases/{case['id']}").text
    assert PHONE not in masked
    assert 'data-testid="reveal"' in masked
    revealed = post_form(console_client, f"/console/cases/{case['id']}/reveal", csrf, reason="police request 17")
    assert revealed.status_code == 200
    assert PHONE in revealed.text
    assert "13800138000" in revealed.text
    assert 'data-testid="revealed"' in revealed.text
    with runtime.sessions() as session:
        entries = session.execute(
            select(AuditEntry.actor, AuditEntry.reason).where(AuditEntry.action == "personal_data.reveal")
        ).all()
    assert [tuple(entry) for entry in entries] == [("user:senior-reviewer-1", "police request 17")]
    assert PHONE not in console_client.get(f"/console/cases/{case['id']}").text  # one reveal, one view


def test_screening_highlights_the_matched_terms_in_the_original_text(
    console_client: TestClient, keys: Keys, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    case = open_blocked_case(console_client, keys, "scam-acct", "c-ev-6", text=SCAM_TEXT)
    sign_in(console_client, make_console_user(Role.analyst))
    page = console_client.get(f"/console/cases/{case['id']}").text
    text = _section(page, "screened-text", "</blockquote>").removeprefix(">")
    marked = re.findall(r"<mark>([^<]*)</mark>", text)
    assert any("刷单" in item for item in marked), marked
    plain = re.sub(r"</?mark>", "", text)
    assert plain == SCAM_TEXT.replace("13800138000", "138****8000")  # the original text, its phone masked
    assert "T01_task_rebate" in page


def test_an_irreversible_measure_waits_for_a_second_person(
    console_client: TestClient, keys: Keys, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    case = open_blocked_case(console_client, keys, "close-acct", "c-ev-7")
    senior = make_console_user(Role.senior_reviewer)
    proposer = TestClient(console_client.app, base_url="http://testserver")
    csrf = sign_in(proposer, senior)
    assert post_form(proposer, f"/console/cases/{case['id']}/claim", csrf).status_code == 303
    proposed = post_form(
        proposer, f"/console/cases/{case['id']}/decision", csrf, outcome="action", kind="close", reason="ring organiser"
    )
    assert proposed.headers["location"].endswith("done=pending_approval")
    page = proposer.get(f"/console/cases/{case['id']}").text
    assert 'data-testid="pending-approvals"' in page
    assert "approve-" not in page
    measure_id = console_client.get(f"/v1/cases/{case['id']}", headers=auth(keys.analyst)).json()["measures"][0]["id"]
    assert f"处置措施 [{measure_id}] 待复核" in page  # why the case cannot close yet, in the page's language
    assert f"measure(s) [{measure_id}] await approval" in proposer.get(f"/console/cases/{case['id']}?lang=en").text
    assert post_form(proposer, f"/console/measures/{measure_id}/approve", csrf, reason="me again").status_code == 403
    assert restrictions(console_client, keys, "close-acct")["restricted"] is False

    second = make_console_user(Role.senior_reviewer, "senior-2")
    csrf2 = sign_in(console_client, second)
    page = console_client.get(f"/console/cases/{case['id']}").text
    assert f'data-testid="approve-{measure_id}"' in page
    approved = post_form(
        console_client,
        f"/console/measures/{measure_id}/approve",
        csrf2,
        reason="ring confirmed",
        back=f"/console/cases/{case['id']}",
    )
    assert approved.headers["location"] == f"/console/cases/{case['id']}?done=approved"
    assert restrictions(console_client, keys, "close-acct")["closed"] is True
    assert "已关闭" in _section(console_client.get(approved.headers["location"]).text, "restriction")


def test_moves_notes_and_evidence_need_a_reason_or_content(
    console_client: TestClient, keys: Keys, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    case = open_blocked_case(console_client, keys, "move-acct", "c-ev-8")
    csrf = sign_in(console_client, make_console_user(Role.analyst))
    url = f"/console/cases/{case['id']}"
    refused = post_form(console_client, f"{url}/transition", csrf, to="triaged", reason="")
    assert refused.status_code == 422
    assert "请填写理由" in refused.text
    moved = post_form(console_client, f"{url}/transition", csrf, to="triaged", reason="looks like a ring")
    assert moved.headers["location"] == f"{url}?done=moved"
    wrong = post_form(console_client, f"{url}/transition", csrf, to="closed", reason="done here")
    assert wrong.status_code == 409
    assert "不能手动转为 closed" in wrong.text  # the service's message, in the console's default Chinese
    in_english = post_form(console_client, f"{url}/transition?lang=en", csrf, to="closed", reason="done here")
    assert in_english.status_code == 409
    assert "cannot move to closed by hand" in in_english.text
    assert "不能手动转为" not in in_english.text

    assert post_form(console_client, f"{url}/note", csrf, note="called the bank").status_code == 303
    digest = hashlib.sha256(b"chat export").hexdigest()
    added = post_form(
        console_client, f"{url}/evidence", csrf, hash=digest, type="chat_log", uri="s3://evidence/1", description="chat"
    )
    assert added.status_code == 303
    bad = post_form(console_client, f"{url}/evidence", csrf, hash="not-hex", type="chat_log")
    assert bad.status_code == 422
    assert "hash" in _section(bad.text, "evidence-error", "</p>")
    page = console_client.get(url).text
    assert "called the bank" in page
    assert "s3://evidence/1" in page
    assert "state-triaged" in page
    evidence = console_client.get(f"/v1/cases/{case['id']}", headers=auth(keys.analyst)).json()["evidence"]
    assert {item["type"] for item in evidence} == {"decision", "note", "chat_log"}


def test_the_measure_fields_follow_the_kind_and_the_graph_stays_small(
    console_client: TestClient, keys: Keys, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    many = [{"type": "device", "value": f"dev-{n}", "role": "linked"} for n in range(60)]
    opened = console_client.post(
        "/v1/cases",
        json={"source_type": "patrol", "source_ref": "p-1", "subjects": [{"type": "account", "value": "hub"}, *many]},
        headers=auth(keys.analyst),
    )
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    sign_in(console_client, make_console_user(Role.analyst))
    fields = console_client.get(f"/console/cases/{case_id}/measure-fields", params={"kind": "suspend"}).text
    assert 'name="duration_hours"' in fields
    assert 'name="functions"' not in fields
    fields = console_client.get(f"/console/cases/{case_id}/measure-fields", params={"kind": "restrict"}).text
    assert 'name="functions"' in fields
    assert "<html" not in fields
    page = console_client.get(f"/console/cases/{case_id}").text
    graph = page.split('data-testid="link-graph"', 1)[1].split("</figure>", 1)[0]
    assert graph.count("<circle") == 40  # the case and 39 of its 61 subjects
    assert "另有 22 个节点未显示" in page


def test_the_subject_page_shows_restrictions_and_history(
    console_client: TestClient, keys: Keys, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    case = open_blocked_case(console_client, keys, "subject-acct", "c-ev-9")
    csrf = sign_in(console_client, make_console_user(Role.analyst))
    claim_and_restrict(console_client, csrf, case["id"])
    page = console_client.get("/console/subjects/account/subject-acct")
    assert page.status_code == 200
    assert f'href="/console/cases/{case["id"]}"' in page.text
    assert "受限" in _section(page.text, "restriction")
    assert console_client.get("/console/subjects/planet/x").status_code == 404


def test_numbers_in_the_text_stay_masked_when_screening_fails(
    console_client: TestClient,
    keys: Keys,
    make_console_user: Callable[..., ConsoleUserLogin],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = open_blocked_case(console_client, keys, "noscreen-acct", "c-ev-10", text=SCAM_TEXT)

    def broken(text: str, kind: str = "message") -> None:
        raise RuntimeError("model files missing")

    monkeypatch.setattr(casework, "screen", broken)
    sign_in(console_client, make_console_user(Role.analyst))
    page = console_client.get(f"/console/cases/{case['id']}")
    assert page.status_code == 200
    text = _section(page.text, "screened-text", "</blockquote>")
    assert "13800138000" not in text
    assert "138****8000" in text
    assert "<mark>" not in text
    assert "暂时无法筛查" in page.text


def test_a_flagged_phone_in_the_screening_explanation_is_masked_without_reveal(
    console_client: TestClient, keys: Keys, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    # A virtual-operator number gets a flag, and screening's explanation names the number it flagged.
    text = "刷单返利，日结佣金，加我电话17012345678"
    case = open_blocked_case(console_client, keys, "explain-acct", "c-ev-11", text=text)
    sign_in(console_client, make_console_user(Role.analyst))
    page = console_client.get(f"/console/cases/{case['id']}").text
    assert "virtual_operator" in page
    assert "17012345678" not in page
