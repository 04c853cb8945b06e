"""The lists pages: who may open them, search, masking, add and remove with a reason, CSV export."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fanzha.audit.models import AuditEntry
from fanzha.auth.roles import Role
from fanzha.runtime import Runtime
from tests.fixtures.app import auth
from tests.fixtures.console import ConsoleUserLogin, sign_in
from tests.fixtures.due_process import Keys

PHONE = "+8613800138000"
OTHER_PHONE = "+8613900139000"


def _add(client: TestClient, key: str, list_name: str, value: str, reason: str = "police notice") -> None:
    answer = client.post(f"/v1/lists/{list_name}/entries", json={"value": value, "reason": reason}, headers=auth(key))
    assert answer.status_code == 201, answer.text


def _entry_values(html: str) -> list[str]:
    return re.findall(r'data-testid="entry-value">([^<]*)<', html)


def _audit(runtime: Runtime, action: str) -> list[AuditEntry]:
    with runtime.sessions() as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.analyst, 200), (Role.auditor, 200), (Role.police_liaison, 403), (Role.appeals_officer, 403)],
)
def test_who_may_open_the_lists(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], role: Role, status: int
) -> None:
    sign_in(console_client, make_console_user(role))
    assert console_client.get("/console/lists").status_code == status
    assert console_client.get("/console/lists/blocked_phones").status_code == status
    assert console_client.get("/console/lists/blocked_phones/export.csv").status_code == status


def test_lists_show_kind_and_entry_counts_and_search_narrows(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys
) -> None:
    _add(console_client, keys.admin, "blocked_domains", "scam-one.example")
    _add(console_client, keys.admin, "blocked_domains", "scam-two.example")
    _add(console_client, keys.admin, "blocked_domains", "fraud.example")
    sign_in(console_client, make_console_user(Role.analyst))
    index = console_client.get("/console/lists").text
    row = index.split('data-testid="list-blocked_domains"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r'data-testid="entry-count">3<', row)
    assert "域名" in row
    assert sorted(_entry_values(console_client.get("/console/lists/blocked_domains").text)) == [
        "fraud.example",
        "scam-one.example",
        "scam-two.example",
    ]
    narrowed = _entry_values(console_client.get("/console/lists/blocked_domains", params={"q": "scam"}).text)
    assert sorted(narrowed) == ["scam-one.example", "scam-two.example"]
    found = console_client.get("/console/lists", params={"q": "FRAUD.example"}).text
    results = found.split('data-testid="find-results"', 1)[1].split("</section>", 1)[0]
    assert "blocked_domains" in results
    assert "blocked_urls" not in results


def test_an_analyst_never_sees_an_unmasked_phone(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys
) -> None:
    _add(console_client, keys.admin, "blocked_phones", PHONE)
    csrf = sign_in(console_client, make_console_user(Role.analyst))
    for url in (
        "/console/lists/blocked_phones",
        f"/console/lists?q={PHONE}",
        "/console/lists/blocked_phones/export.csv",
    ):
        body = console_client.get(url).text
        assert PHONE not in body
        assert "8000" in body  # the masked form is there
    assert _entry_values(console_client.get("/console/lists/blocked_phones").text) == ["+86*******8000"]
    assert console_client.post("/console/lists/blocked_phones/reveal", data={"csrf_token": csrf}).status_code == 403
    refused = console_client.post("/console/lists/blocked_phones/export.csv", data={"csrf_token": csrf})
    assert refused.status_code == 403
    assert PHONE not in refused.text


def test_a_reviewer_may_reveal_and_the_reveal_is_audited(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys, runtime: Runtime
) -> None:
    _add(console_client, keys.admin, "blocked_phones", PHONE)
    csrf = sign_in(console_client, make_console_user(Role.senior_reviewer, "senior"))
    assert PHONE not in console_client.get("/console/lists/blocked_phones").text
    revealed = console_client.post(
        "/console/lists/blocked_phones/reveal", data={"csrf_token": csrf, "reason": "police request 7"}
    )
    assert revealed.status_code == 200
    assert _entry_values(revealed.text) == [PHONE]
    exported = console_client.post("/console/lists/blocked_phones/export.csv", data={"csrf_token": csrf})
    assert PHONE in exported.text
    reveals = _audit(runtime, "personal_data.reveal")
    assert [(entry.actor, entry.object_id, entry.reason) for entry in reveals] == [
        ("user:senior", "blocked_phones", "police request 7"),
        ("user:senior", "blocked_phones", "CSV export"),
    ]


def test_add_and_remove_need_a_reason_and_use_the_lists_service(
    console_client: TestClient,
    make_console_user: Callable[..., ConsoleUserLogin],
    keys: Keys,
    runtime: Runtime,
) -> None:
    csrf = sign_in(console_client, make_console_user(Role.analyst, "wang"))
    url = "/console/lists/blocked_phones/entries"
    no_reason = console_client.post(url, data={"csrf_token": csrf, "value": "13800138000", "reason": ""})
    assert no_reason.status_code == 422
    bad_value = console_client.post(url, data={"csrf_token": csrf, "value": "not a phone", "reason": "scam calls"})
    assert bad_value.status_code == 422
    assert "not a phone" in bad_value.text  # the form keeps what was typed
    added = console_client.post(
        url, data={"csrf_token": csrf, "value": "138 0013 8000", "reason": "scam calls"}, follow_redirects=False
    )
    assert added.status_code == 303
    entry = console_client.get(f"/v1/lists/blocked_phones/entries/{PHONE}", headers=auth(keys.admin)).json()
    assert (entry["value"], entry["reason"], entry["created_by"]) == (PHONE, "scam calls", "user:wang")
    assert runtime.lists.contains("blocked_phones", PHONE, time.time())
    page = console_client.get("/console/lists/blocked_phones?done=added").text
    entry_id = re.search(r"/console/lists/blocked_phones/entries/(\d+)/remove", page)
    assert entry_id
    remove = f"/console/lists/blocked_phones/entries/{entry_id.group(1)}/remove"
    assert console_client.post(remove, data={"csrf_token": csrf, "reason": ""}).status_code == 422
    assert console_client.post(remove, data={"csrf_token": csrf, "reason": "number reassigned"}).status_code == 200
    gone = console_client.get(f"/v1/lists/blocked_phones/entries/{PHONE}", headers=auth(keys.admin))
    assert gone.status_code == 404
    assert not runtime.lists.contains("blocked_phones", PHONE, time.time())
    [removal] = _audit(runtime, "list.entry.remove")
    assert (removal.actor, removal.reason) == ("user:wang", "number reassigned")
    elsewhere = "/console/lists/blocked_domains/entries/999999/remove"
    assert console_client.post(elsewhere, data={"csrf_token": csrf, "reason": "gone now"}).status_code == 404


def test_a_reader_without_write_gets_no_form_and_a_403(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    csrf = sign_in(console_client, make_console_user(Role.auditor))
    page = console_client.get("/console/lists/blocked_domains").text
    assert 'data-testid="add-entry"' not in page
    answer = console_client.post(
        "/console/lists/blocked_domains/entries", data={"csrf_token": csrf, "value": "x.example", "reason": "because"}
    )
    assert answer.status_code == 403


def test_csv_export_is_formula_safe(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys
) -> None:
    _add(console_client, keys.admin, "blocked_accounts", "=cmd|' /C calc'!A0", reason="@SUM(A1:A9)")
    _add(console_client, keys.admin, "blocked_accounts", "acct-plain", reason="-2+3")
    _add(console_client, keys.admin, "blocked_phones", PHONE, reason="+1 report")
    sign_in(console_client, make_console_user(Role.analyst))
    answer = console_client.get("/console/lists/blocked_accounts/export.csv")
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["value", "reason", "source", "expires_at"]
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if cell and cell[0] in "=+-@"]
    assert ["'=cmd|' /C calc'!A0", "'@SUM(A1:A9)"] == rows[1][:2]
    phones = list(csv.reader(io.StringIO(console_client.get("/console/lists/blocked_phones/export.csv").text)))
    assert phones[1][:2] == ["'+86*******8000", "'+1 report"]


def test_numbers_in_an_entry_reason_are_masked_for_an_analyst(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys
) -> None:
    _add(console_client, keys.admin, "blocked_phones", PHONE, reason=f"reported with {OTHER_PHONE}")
    sign_in(console_client, make_console_user(Role.analyst))
    for url in ("/console/lists/blocked_phones", "/console/lists/blocked_phones/export.csv"):
        body = console_client.get(url).text
        assert "reported with" in body
        assert OTHER_PHONE not in body, url


def test_a_role_without_reveal_searches_personal_data_whole_not_by_prefix(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys
) -> None:
    _add(console_client, keys.admin, "blocked_phones", PHONE)
    _add(console_client, keys.admin, "blocked_phones", OTHER_PHONE)
    sign_in(console_client, make_console_user(Role.analyst))
    search = "/console/lists/blocked_phones?q="
    # A prefix would confirm digits of a masked number one at a time.
    assert _entry_values(console_client.get(search + "%2B86138").text) == []
    assert _entry_values(console_client.get(search + "138 0013 8000").text) == ["+86*******8000"]
    assert _entry_values(console_client.get(search + "not a phone").text) == []


def test_a_role_that_may_reveal_keeps_prefix_search(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys
) -> None:
    _add(console_client, keys.admin, "blocked_phones", PHONE)
    _add(console_client, keys.admin, "blocked_phones", OTHER_PHONE)
    sign_in(console_client, make_console_user(Role.senior_reviewer))
    assert len(_entry_values(console_client.get("/console/lists/blocked_phones?q=%2B86138").text)) == 1
    assert len(_entry_values(console_client.get("/console/lists/blocked_phones?q=%2B8613").text)) == 2
