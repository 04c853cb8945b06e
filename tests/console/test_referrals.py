"""The clue referral pages: the list and its filters, the referral page (masked per role), the four-eyes
decision, the authority's answers, the package downloads, and referring a case from its page."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fanzha.audit.models import AuditEntry
from fanzha.auth.roles import Role
from fanzha.console.endpoints import router
from fanzha.console.pages import referrals as referral_pages
from fanzha.kit.clock import utcnow
from fanzha.runtime import Runtime
from tests.fixtures.app import auth
from tests.fixtures.casework import post_form
from tests.fixtures.console import ConsoleUserLogin, sign_in
from tests.fixtures.console_data import number, text_of
from tests.fixtures.due_process import Keys
from tests.fixtures.referrals import PHONE, UNIT, approve, backdate_approval, decision_case, refer
from tests.fixtures.routes import api_routes

Users = Callable[..., ConsoleUserLogin]


def _ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-testid="referral-id">#(\d+)<', html)]


def _referral(client: TestClient, keys: Keys, account: str, event_id: str, **fields: Any) -> dict[str, Any]:
    """A case opened by a block decision, referred through the API by the police liaison."""
    built = refer(client, keys.police, decision_case(client, keys, account, event_id), **fields)
    assert built.status_code == 201, built.text
    answer: dict[str, Any] = built.json()
    return answer


def _api(client: TestClient, keys: Keys, referral_id: int) -> dict[str, Any]:
    answer: dict[str, Any] = client.get(f"/v1/referrals/{referral_id}", headers=auth(keys.police)).json()
    return answer


def _make_overdue(runtime: Runtime, release_id: int) -> None:
    """The approval was longer ago than the answer period."""
    backdate_approval(runtime, release_id, utcnow() - timedelta(days=runtime.settings.referral_answer_days + 1))


def _audit(runtime: Runtime, action: str) -> list[tuple[str, str, str]]:
    with runtime.sessions() as session:
        rows = session.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))
        return [(row.actor, row.object_type, row.object_id) for row in rows.scalars()]


def _untranslated(html: str) -> list[str]:
    text = re.sub(r'(?:href|action|formaction)="[^"]*"', "", html)
    return re.findall(r"\breferrals\.[a-z_]+(?:\.[a-z_-]+)*", text)


def test_the_referral_routes_are_walked_by_the_route_guard_test() -> None:
    paths = {(method, path) for path, route in api_routes(router) for method in route.methods or ()}
    assert {
        ("GET", "/console/referrals"),
        ("GET", "/console/referrals/{referral_id}"),
        ("POST", "/console/referrals/{referral_id}/decision"),
        ("POST", "/console/referrals/{referral_id}/feedback"),
        ("POST", "/console/referrals/{referral_id}/reveal"),
        ("GET", "/console/referrals/{referral_id}/package.{fmt}"),
        ("POST", "/console/referrals/{referral_id}/package.{fmt}"),
        ("POST", "/console/cases/{case_id}/referrals"),
    } <= paths


def test_every_referral_page_needs_a_session(console_client: TestClient, keys: Keys) -> None:
    made = _referral(console_client, keys, "ring-anon", "ref-anon")
    base = f"/console/referrals/{made['id']}"
    for url in ("/console/referrals", base, f"{base}/package.json", "/console/referrals?overdue=true"):
        answer = console_client.get(url, follow_redirects=False)
        assert answer.status_code == 303, url
        assert answer.headers["location"].startswith("/console/sign-in?next="), url
    for url in (f"{base}/decision", f"{base}/feedback", f"{base}/reveal", f"{base}/package.json"):
        answer = console_client.post(url, data={"verdict": "approve", "reason": "looks right"}, follow_redirects=False)
        assert answer.status_code == 303, url
        assert answer.headers["location"].startswith("/console/sign-in"), url
    assert _api(console_client, keys, made["id"])["state"] == "pending_approval"


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.police_liaison, 200), (Role.analyst, 200), (Role.auditor, 200), (Role.metrics, 403)],
)
def test_who_may_open_the_referrals(
    console_client: TestClient, make_console_user: Users, keys: Keys, role: Role, status: int
) -> None:
    made = _referral(console_client, keys, "ring-who", "ref-who")
    sign_in(console_client, make_console_user(role))
    assert console_client.get("/console/referrals").status_code == status
    assert console_client.get(f"/console/referrals/{made['id']}").status_code == status
    nav = console_client.get("/console/").text.split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]
    assert ('href="/console/referrals"' in nav) is (status == 200)


def test_the_list_filters_by_state_answer_and_overdue_and_pages(
    console_client: TestClient,
    make_console_user: Users,
    keys: Keys,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waiting = _referral(console_client, keys, "ring-a", "ref-a")
    late = _referral(console_client, keys, "ring-b", "ref-b")
    filed = _referral(console_client, keys, "ring-c", "ref-c")
    for made in (late, filed):
        assert approve(console_client, keys.senior, made["id"]).status_code == 200
    answered = console_client.post(
        f"/v1/referrals/{filed['id']}/feedback",
        json={"status": "case_filed", "text": "已立案", "authority_ref": "沪公(反诈)立字2026-7"},
        headers=auth(keys.police),
    )
    assert answered.status_code == 200, answered.text
    _make_overdue(runtime, _api(console_client, keys, late["id"])["release_id"])
    sign_in(console_client, make_console_user(Role.police_liaison))

    listed = console_client.get("/console/referrals")
    assert listed.status_code == 200
    assert _ids(listed.text) == [filed["id"], late["id"], waiting["id"]]  # newest first
    assert "待复核" in listed.text
    assert _untranslated(listed.text) == []

    def shown(**params: str) -> list[int]:
        answer = console_client.get("/console/referrals", params=params)
        assert answer.status_code == 200, answer.text
        return _ids(answer.text)

    assert shown(state="pending_approval") == [waiting["id"]]
    assert shown(state="case_filed") == [filed["id"]]
    assert shown(feedback="case_filed") == [filed["id"]]
    assert shown(feedback="none") == [late["id"]]
    assert shown(overdue="true") == [late["id"]]
    assert shown(state="pending_approval", feedback="case_filed") == []
    assert shown(state="pending_approval", overdue="true") == []
    assert shown(state="nonsense") == [filed["id"], late["id"], waiting["id"]]

    overdue = console_client.get("/console/referrals?overdue=true").text
    row = overdue.split('data-testid="referral-row"', 1)[1].split("</tr>", 1)[0]
    assert row.split(">", 1)[0] == ' class="overdue"'  # the row is highlighted
    assert 'data-testid="overdue-badge"' in row
    assert f'href="/console/cases/{late["case_id"]}"' in row
    assert "checked" in overdue.split('name="overdue"', 1)[1].split(">", 1)[0]

    # The dashboard's KPI leads to that list.
    dashboard = console_client.get("/console/").text
    assert number(dashboard, "kpi-referrals-overdue") == 1
    assert 'href="/console/referrals?overdue=true" data-testid="kpi-referrals-overdue"' in dashboard

    monkeypatch.setattr(referral_pages, "PAGE_SIZE", 2)
    first = console_client.get("/console/referrals").text
    assert _ids(first) == [filed["id"], late["id"]]
    assert 'href="/console/referrals?page=2"' in first
    second = console_client.get("/console/referrals?page=2").text
    assert _ids(second) == [waiting["id"]]
    assert 'href="/console/referrals?page=1"' in second


def test_the_referral_page_shows_its_cases_reason_state_and_downloads(
    console_client: TestClient, make_console_user: Users, keys: Keys, runtime: Runtime
) -> None:
    made = _referral(console_client, keys, "ring-page", "ref-page", reason="团伙线索，依法移送 / ring clues")
    sign_in(console_client, make_console_user(Role.police_liaison, "liaison"))
    page = console_client.get(f"/console/referrals/{made['id']}")
    assert page.status_code == 200
    html = page.text
    assert text_of(html, "referral-state") == "待复核"
    assert f'href="/console/cases/{made["case_id"]}"' in text_of_block(html, "referral-cases")
    assert "团伙线索，依法移送 / ring clues" in text_of(html, "referral-reason")
    assert UNIT in html
    assert text_of(html, "answer-due") == "发出后开始计算"
    assert 'data-testid="decision-form"' not in html  # a police liaison may not approve
    assert "等待有复核权限的人员批准" in html
    assert 'data-testid="package-masked-json"' in html
    assert 'data-testid="package-full-json"' not in html  # nothing unmasked before approval
    assert 'data-testid="feedback-form"' not in html  # nothing to answer before it went
    assert _untranslated(html) == []
    english = console_client.get(f"/console/referrals/{made['id']}", params={"lang": "en"}).text
    assert text_of(english, "referral-state") == "Awaiting approval"
    assert _untranslated(english) == []

    masked = console_client.get(f"/console/referrals/{made['id']}/package.html")
    assert masked.status_code == 200
    assert masked.headers["content-type"].startswith("text/html")
    assert "脱敏副本" in masked.text
    assert PHONE not in masked.text
    assert _audit(runtime, "referral.package.read") == [("user:liaison", "referral", str(made["id"]))]
    assert console_client.get(f"/console/referrals/{made['id']}/package.txt").status_code == 422
    assert console_client.get("/console/referrals/999999").status_code == 404


def text_of_block(html: str, testid: str) -> str:
    """The markup inside the element marked ``testid`` (up to its closing tag of the same name)."""
    start = html.index(f'data-testid="{testid}"')
    tag = html[:start].rsplit("<", 1)[1].split()[0]
    return html[start:].split(">", 1)[1].split(f"</{tag}>", 1)[0]


def test_a_role_that_may_not_reveal_sees_masked_identifiers_only(
    console_client: TestClient, make_console_user: Users, keys: Keys, runtime: Runtime
) -> None:
    made = _referral(console_client, keys, "ring-mask", "ref-mask", summary="联系电话 13800138000 的刷单团伙")
    assert approve(console_client, keys.senior, made["id"]).status_code == 200
    csrf = sign_in(console_client, make_console_user(Role.analyst))
    page = console_client.get(f"/console/referrals/{made['id']}").text
    assert PHONE not in page
    assert "13800138000" not in page
    phone = text_of(page, "clue-phone")
    assert phone.endswith("8000")
    assert "*" in phone
    assert "*" in text_of(page, "referral-summary")
    assert 'data-testid="reveal"' not in page
    assert 'data-testid="package-full-json"' not in page
    refused = post_form(console_client, f"/console/referrals/{made['id']}/reveal", csrf)
    assert refused.status_code == 403
    assert PHONE not in refused.text
    assert post_form(console_client, f"/console/referrals/{made['id']}/package.json", csrf).status_code == 403
    masked = console_client.get(f"/console/referrals/{made['id']}/package.json")
    assert masked.status_code == 200
    assert PHONE not in masked.text
    assert hashlib.sha256(masked.content).hexdigest() != made["package_sha256"]
    assert _audit(runtime, "personal_data.reveal") == []


def test_a_liaison_reveals_the_package_and_every_unmasked_read_is_audited(
    console_client: TestClient, make_console_user: Users, keys: Keys, runtime: Runtime
) -> None:
    made = _referral(console_client, keys, "ring-reveal", "ref-reveal")
    csrf = sign_in(console_client, make_console_user(Role.police_liaison, "liaison"))
    early = console_client.get(f"/console/referrals/{made['id']}").text
    assert 'data-testid="reveal"' not in early  # not before approval
    refused = post_form(console_client, f"/console/referrals/{made['id']}/reveal", csrf)
    assert refused.status_code == 409
    assert "须经第二人复核批准后方可发出" in text_of(refused.text, "reveal-error")
    assert PHONE not in refused.text
    assert approve(console_client, keys.senior, made["id"]).status_code == 200

    page = console_client.get(f"/console/referrals/{made['id']}").text
    assert PHONE not in page
    assert 'data-testid="reveal"' in page
    revealed = post_form(console_client, f"/console/referrals/{made['id']}/reveal", csrf)
    assert revealed.status_code == 200
    assert text_of(revealed.text, "clue-phone") == PHONE
    assert 'data-testid="revealed"' in revealed.text
    full = post_form(console_client, f"/console/referrals/{made['id']}/package.json", csrf)
    assert full.status_code == 200
    assert hashlib.sha256(full.content).hexdigest() == made["package_sha256"]
    assert full.headers["x-fanzha-package-sha256"] == made["package_sha256"]
    assert f'filename="referral-{made["id"]}.json"' in full.headers["content-disposition"]
    assert _audit(runtime, "personal_data.reveal") == [("user:liaison", "referral", str(made["id"]))] * 2
    assert len(_audit(runtime, "referral.package.read")) == 2


def test_a_second_person_approves_and_the_requester_is_refused_with_a_message(
    console_client: TestClient, make_console_user: Users, keys: Keys
) -> None:
    case_id = decision_case(console_client, keys, "ring-eyes", "ref-eyes")
    csrf = sign_in(console_client, make_console_user(Role.admin, "boss"))
    referred = post_form(
        console_client, f"/console/cases/{case_id}/referrals", csrf, recipient_unit=UNIT, reason="ring of mules"
    )
    assert referred.status_code == 303, referred.text
    referral_id = int(referred.headers["location"].split("/console/referrals/", 1)[1].split("?", 1)[0])
    url = f"/console/referrals/{referral_id}/decision"
    page = console_client.get(f"/console/referrals/{referral_id}").text
    assert 'data-testid="own-referral"' in page

    own = post_form(console_client, url, csrf, verdict="approve", reason="I checked it myself")
    assert own.status_code == 403
    assert "须由第二人复核" in text_of(own.text, "decision-error")
    assert '<html lang="zh-CN">' in own.text  # the referral page again, not a bare error
    assert _api(console_client, keys, referral_id)["state"] == "pending_approval"

    csrf = sign_in(console_client, make_console_user(Role.senior_reviewer, "second"))
    no_reason = post_form(console_client, url, csrf, verdict="approve", reason=" ")
    assert no_reason.status_code == 422
    assert text_of(no_reason.text, "decision-error") == "请填写理由（至少 3 个字）。"
    assert _api(console_client, keys, referral_id)["state"] == "pending_approval"
    approved = post_form(console_client, url, csrf, verdict="approve", reason="clues and legal basis checked")
    assert approved.status_code == 303, approved.text
    assert approved.headers["location"] == f"/console/referrals/{referral_id}?done=approved"
    stored = _api(console_client, keys, referral_id)
    assert stored["state"] == "referred"
    assert stored["referred_by"] == "user:boss"
    assert stored["decided_by"] == "user:second"
    assert stored["decision_reason"] == "clues and legal basis checked"
    after = console_client.get(approved.headers["location"]).text
    assert text_of(after, "done") == "已批准：移送包可以发出，答复期限开始计算。"
    assert text_of(after, "referral-state") == "已移送，待答复"
    assert "user:second" in text_of(after, "decided-by")
    assert "期限内" in text_of_block(after, "answer-due")
    again = post_form(console_client, url, csrf, verdict="reject", reason="changed my mind")
    assert again.status_code == 409
    assert "状态已为 released" in text_of(again.text, "decision-error")


def test_an_analyst_may_not_decide_a_referral(console_client: TestClient, make_console_user: Users, keys: Keys) -> None:
    made = _referral(console_client, keys, "ring-analyst", "ref-analyst")
    csrf = sign_in(console_client, make_console_user(Role.analyst))
    assert 'data-testid="decision-form"' not in console_client.get(f"/console/referrals/{made['id']}").text
    answer = post_form(
        console_client, f"/console/referrals/{made['id']}/decision", csrf, verdict="approve", reason="ok go"
    )
    assert answer.status_code == 403
    assert _api(console_client, keys, made["id"])["state"] == "pending_approval"


def test_the_authoritys_answers_are_recorded(
    console_client: TestClient, make_console_user: Users, keys: Keys, runtime: Runtime
) -> None:
    made = _referral(console_client, keys, "ring-answer", "ref-answer")
    csrf = sign_in(console_client, make_console_user(Role.police_liaison, "liaison"))
    url = f"/console/referrals/{made['id']}/feedback"
    early = post_form(console_client, url, csrf, status="received", text="已接收")
    assert early.status_code == 409
    assert "尚未发出的线索移送没有答复" in text_of(early.text, "feedback-error")
    assert approve(console_client, keys.senior, made["id"]).status_code == 200

    assert 'data-testid="feedback-form"' in console_client.get(f"/console/referrals/{made['id']}").text
    empty = post_form(console_client, url, csrf, status="received", text="  ")
    assert empty.status_code == 422
    assert 'data-testid="feedback-error"' in empty.text
    bad_time = post_form(console_client, url, csrf, status="received", text="已接收", received_at="yesterday")
    assert bad_time.status_code == 422
    assert text_of(bad_time.text, "feedback-error") == "时间格式不正确。"
    assert _api(console_client, keys, made["id"])["feedback"] == []

    received = post_form(console_client, url, csrf, status="received", text="已接收", received_at="2026-11-01T09:30")
    assert received.status_code == 303, received.text
    assert received.headers["location"] == f"/console/referrals/{made['id']}?done=feedback"
    filed = post_form(
        console_client, url, csrf, status="case_filed", text="已立案侦查", authority_ref="沪公刑(2026)123"
    )
    assert filed.status_code == 303, filed.text
    stored = _api(console_client, keys, made["id"])
    assert stored["state"] == "case_filed"
    assert stored["feedback_status"] == "case_filed"
    assert [
        (item["status"], item["text"], item["authority_ref"], item["recorded_by"]) for item in stored["feedback"]
    ] == [
        ("received", "已接收", "", "user:liaison"),
        ("case_filed", "已立案侦查", "沪公刑(2026)123", "user:liaison"),
    ]
    assert stored["feedback"][0]["received_at"].startswith("2026-11-01T09:30")
    page = console_client.get(f"/console/referrals/{made['id']}").text
    assert page.count('data-testid="feedback-row"') == 2
    assert "沪公刑(2026)123" in page
    assert text_of(page, "feedback-status") == "已立案"
    assert 'data-testid="feedback-form"' not in page  # a final answer ends it
    late = post_form(console_client, url, csrf, status="declined", text="不予立案")
    assert late.status_code == 409
    assert "其后不能记录答复" in text_of(late.text, "feedback-error")
    assert [actor for actor, _type, _id in _audit(runtime, "referral.feedback")] == ["user:liaison"] * 2


def test_a_case_is_referred_from_its_page(
    console_client: TestClient, make_console_user: Users, keys: Keys, runtime: Runtime
) -> None:
    case_id = decision_case(console_client, keys, "ring-refer", "ref-refer")
    csrf = sign_in(console_client, make_console_user(Role.analyst))
    case_page = console_client.get(f"/console/cases/{case_id}").text
    assert 'data-testid="refer-form"' in case_page
    assert _untranslated(case_page) == []
    assert "Refer to the police" in console_client.get(f"/console/cases/{case_id}", params={"lang": "en"}).text
    url = f"/console/cases/{case_id}/referrals"

    no_reason = post_form(console_client, url, csrf, recipient_unit=UNIT, reason="")
    assert no_reason.status_code == 422
    assert text_of(no_reason.text, "refer-error") == "请填写理由（至少 3 个字）。"
    assert f'value="{UNIT}"' in no_reason.text  # what was typed is kept
    bad_unit = post_form(console_client, url, csrf, recipient_unit="x", reason="ring of mules")
    assert bad_unit.status_code == 422
    assert "recipient_unit" in text_of(bad_unit.text, "refer-error")
    assert console_client.get(f"/v1/referrals?case_id={case_id}", headers=auth(keys.police)).json() == []

    referred = post_form(
        console_client,
        url,
        csrf,
        recipient_unit=UNIT,
        recipient_type="police",
        risk_degree="medium",
        summary="疑似刷单团伙",
        reason="ring of mules found by monitoring",
    )
    assert referred.status_code == 303, referred.text
    location = referred.headers["location"]
    assert re.fullmatch(r"/console/referrals/\d+\?done=referred", location)
    listed = console_client.get(f"/v1/referrals?case_id={case_id}", headers=auth(keys.police)).json()
    assert len(listed) == 1
    stored = listed[0]
    assert location.startswith(f"/console/referrals/{stored['id']}?")
    assert (stored["case_ids"], stored["recipient_unit"], stored["risk_degree"]) == ([case_id], UNIT, "medium")
    assert stored["referred_by"] == "user:analyst-1"
    assert stored["reason"] == "ring of mules found by monitoring"
    assert stored["state"] == "pending_approval"
    assert _audit(runtime, "referral.create") == [("user:analyst-1", "referral", str(stored["id"]))]
    page = console_client.get(location).text
    assert text_of(page, "done") == "线索移送已创建，等待第二人复核后方可发出。"
    assert f'href="/console/referrals/{stored["id"]}"' in console_client.get(f"/console/cases/{case_id}").text

    twice = post_form(console_client, url, csrf, recipient_unit=UNIT, reason="again, same unit")
    assert twice.status_code == 409
    assert "正在等待复核" in text_of(twice.text, "refer-error")
    assert len(console_client.get(f"/v1/referrals?case_id={case_id}", headers=auth(keys.police)).json()) == 1


def test_a_role_without_cases_write_may_not_refer(
    console_client: TestClient, make_console_user: Users, keys: Keys
) -> None:
    case_id = decision_case(console_client, keys, "ring-auditor", "ref-auditor")
    csrf = sign_in(console_client, make_console_user(Role.auditor))
    assert 'data-testid="refer-form"' not in console_client.get(f"/console/cases/{case_id}").text
    answer = post_form(console_client, f"/console/cases/{case_id}/referrals", csrf, recipient_unit=UNIT, reason="ring")
    assert answer.status_code == 403
    assert console_client.get(f"/v1/referrals?case_id={case_id}", headers=auth(keys.police)).json() == []


def test_referral_actions_without_the_csrf_token_are_refused(
    console_client: TestClient, make_console_user: Users, keys: Keys, runtime: Runtime
) -> None:
    made = _referral(console_client, keys, "ring-csrf", "ref-csrf")
    case_id = decision_case(console_client, keys, "ring-csrf-2", "ref-csrf-2")
    sign_in(console_client, make_console_user(Role.admin, "boss"))
    base = f"/console/referrals/{made['id']}"
    attempts = {
        f"{base}/decision": {"verdict": "approve", "reason": "clues checked"},
        f"{base}/feedback": {"status": "received", "text": "已接收"},
        f"{base}/reveal": {},
        f"{base}/package.json": {},
        f"/console/cases/{case_id}/referrals": {"recipient_unit": UNIT, "reason": "ring of mules"},
    }
    for url, fields in attempts.items():
        for token in (None, "forged"):
            data = fields if token is None else {**fields, "csrf_token": token}
            answer = console_client.post(url, data=data, follow_redirects=False)
            assert answer.status_code == 403, (url, token)
    assert _api(console_client, keys, made["id"])["state"] == "pending_approval"
    assert console_client.get(f"/v1/referrals?case_id={case_id}", headers=auth(keys.police)).json() == []
    assert _audit(runtime, "personal_data.reveal") == []
