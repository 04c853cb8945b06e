"""Appeals in the console: the list, the appeal page, and uphold/overturn with a mandatory reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from fanzha.auth.roles import Role
from tests.fixtures.app import auth
from tests.fixtures.casework import claim_and_restrict, open_blocked_case, post_form, restrictions, untranslated
from tests.fixtures.console import ConsoleUserLogin, sign_in
from tests.fixtures.due_process import Keys


def _restricted_and_appealed(
    client: TestClient, keys: Keys, make_user: Callable[..., ConsoleUserLogin], account: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A case decided in the console by an analyst (restrict), and the user's appeal through the API."""
    case = open_blocked_case(client, keys, account, f"{account}-ev")
    analyst = TestClient(client.app, base_url="http://testserver")
    claim_and_restrict(analyst, sign_in(analyst, make_user(Role.analyst)), case["id"])
    measure = client.get(f"/v1/cases/{case['id']}", headers=auth(keys.analyst)).json()["measures"][0]
    appeal = client.post(
        "/v1/appeals",
        json={"measure_id": measure["id"], "account_id": account, "grounds": "my account was stolen that day"},
        headers=auth(keys.client),
    )
    assert appeal.status_code == 201, appeal.text
    return case, appeal.json()


def test_the_list_filters_and_the_page_shows_the_decision_and_the_statement(
    console_client: TestClient, keys: Keys, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    case, appeal = _restricted_and_appealed(console_client, keys, make_console_user, "appeal-list")
    sign_in(console_client, make_console_user(Role.appeals_officer))
    listed = console_client.get("/console/appeals").text
    assert f'href="/console/appeals/{appeal["id"]}"' in listed
    assert f'href="/console/appeals/{appeal["id"]}"' not in console_client.get("/console/appeals?state=upheld").text
    assert f'/console/appeals/{appeal["id"]}"' in console_client.get("/console/appeals?account=appeal-list").text
    assert f'/console/appeals/{appeal["id"]}"' not in console_client.get("/console/appeals?account=other").text

    page = console_client.get(f"/console/appeals/{appeal['id']}").text
    assert "my account was stolen that day" in page
    assert "sent scam links" in page  # the reason of the original decision
    assert "【处置告知】" in page.split('data-testid="statement"', 1)[1]
    assert f'href="/console/cases/{case["id"]}"' in page
    assert 'data-testid="appeal-claim"' in page
    assert untranslated(page) == []


def test_overturning_needs_a_reason_and_lifts_the_restriction_at_once(
    console_client: TestClient, keys: Keys, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    case, appeal = _restricted_and_appealed(console_client, keys, make_console_user, "appeal-over")
    assert restrictions(console_client, keys, "appeal-over")["restricted"] is True
    csrf = sign_in(console_client, make_console_user(Role.appeals_officer))
    url = f"/console/appeals/{appeal['id']}"
    assert post_form(console_client, f"{url}/claim", csrf).headers["location"] == f"{url}?done=claimed"
    assert 'data-testid="appeal-form"' in console_client.get(url).text

    refused = post_form(console_client, f"{url}/decision", csrf, outcome="overturn", reason="")
    assert refused.status_code == 422
    assert "请填写决定理由" in refused.text.split('data-testid="appeal-error"', 1)[1]
    assert restrictions(console_client, keys, "appeal-over")["restricted"] is True

    overturned = post_form(
        console_client, f"{url}/decision", csrf, outcome="overturn", reason="device records confirm the takeover"
    )
    assert overturned.headers["location"] == f"{url}?done=overturned"
    assert restrictions(console_client, keys, "appeal-over")["restricted"] is False
    page = console_client.get(overturned.headers["location"]).text
    card = page.split('data-testid="restriction"', 1)[1].split("</section>", 1)[0]
    assert "无限制" in card
    assert "device records confirm the takeover" in page
    assert console_client.get(f"/v1/cases/{case['id']}", headers=auth(keys.analyst)).json()["state"] == "reversed"


def test_upholding_keeps_the_restriction(
    console_client: TestClient, keys: Keys, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    _case, appeal = _restricted_and_appealed(console_client, keys, make_console_user, "appeal-keep")
    csrf = sign_in(console_client, make_console_user(Role.appeals_officer))
    url = f"/console/appeals/{appeal['id']}"
    post_form(console_client, f"{url}/claim", csrf)
    upheld = post_form(console_client, f"{url}/decision", csrf, outcome="uphold", reason="chat logs show the scam")
    assert upheld.headers["location"] == f"{url}?done=upheld"
    assert restrictions(console_client, keys, "appeal-keep")["functions"] == ["send_links", "transfer"]


def test_roles_that_may_not_decide_appeals_see_no_form_and_are_refused(
    console_client: TestClient, keys: Keys, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    _case, appeal = _restricted_and_appealed(console_client, keys, make_console_user, "appeal-ro")
    csrf = sign_in(console_client, make_console_user(Role.auditor))
    url = f"/console/appeals/{appeal['id']}"
    page = console_client.get(url)
    assert page.status_code == 200
    assert "appeal-claim" not in page.text
    assert "appeal-form" not in page.text
    assert post_form(console_client, f"{url}/claim", csrf).status_code == 403
    assert post_form(console_client, f"{url}/decision", csrf, outcome="overturn", reason="why not").status_code == 403
    assert restrictions(console_client, keys, "appeal-ro")["restricted"] is True


def test_whoever_decided_the_measure_cannot_handle_its_appeal(
    console_client: TestClient, keys: Keys, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    case = open_blocked_case(console_client, keys, "appeal-self", "appeal-self-ev")
    csrf = sign_in(console_client, make_console_user(Role.admin))
    claim_and_restrict(console_client, csrf, case["id"])
    measure = console_client.get(f"/v1/cases/{case['id']}", headers=auth(keys.analyst)).json()["measures"][0]
    appeal = console_client.post(
        "/v1/appeals",
        json={"measure_id": measure["id"], "account_id": "appeal-self", "grounds": "not me"},
        headers=auth(keys.client),
    ).json()
    url = f"/console/appeals/{appeal['id']}"
    page = console_client.get(url).text
    assert "appeal-claim" not in page
    assert "您作出或批准了原处置" in page
    assert post_form(console_client, f"{url}/claim", csrf).status_code == 403


def test_numbers_typed_into_grounds_and_reasons_are_masked_on_the_appeal_and_case_pages(
    console_client: TestClient, keys: Keys, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    case = open_blocked_case(console_client, keys, "appeal-digits", "appeal-digits-ev")
    analyst = TestClient(console_client.app, base_url="http://testserver")
    claim_and_restrict(analyst, sign_in(analyst, make_console_user(Role.analyst)), case["id"])
    measure = console_client.get(f"/v1/cases/{case['id']}", headers=auth(keys.analyst)).json()["measures"][0]
    appeal = console_client.post(
        "/v1/appeals",
        json={"measure_id": measure["id"], "account_id": "appeal-digits", "grounds": "call me on 13912345678"},
        headers=auth(keys.client),
    ).json()
    sign_in(console_client, make_console_user(Role.auditor))
    for url in (f"/console/appeals/{appeal['id']}", f"/console/cases/{case['id']}"):
        page = console_client.get(url).text
        assert "13912345678" not in page, url
        assert "call me on" in page, url
