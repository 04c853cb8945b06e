"""Police notices through the API: checks that store nothing, linking, cases, measures and feedback."""

from __future__ import annotations

import csv
import io
import time

from fastapi.testclient import TestClient

from fanzha.runtime import Runtime
from tests.fixtures.app import auth
from tests.fixtures.due_process import Keys
from tests.fixtures.stack import Stack
from tests.notices.helpers import notice, seed


def count(client: TestClient, keys: Keys) -> int:
    return len(client.get("/v1/notices", headers=auth(keys.police)).json())


def test_a_notice_links_accounts_opens_a_case_applies_measures_and_feeds_back(
    client: TestClient, keys: Keys, stack: Stack
) -> None:
    seed(stack.engine, ["scammer-1", "mule-7"], device_of={"mule-7": "dev-ring-1"})
    response = client.post("/v1/notices", json=notice(), headers=auth(keys.police))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["identifier_count"], body["found_count"], body["state"], body["overdue"]) == (4, 2, "open", False)
    case = client.get(f"/v1/cases/{body['case_id']}", headers=auth(keys.police)).json()
    assert case["source_type"] == "police_notice"
    assert case["feedback_owed"] is True
    assert ("account", "mule-7") in {(s["type"], s["value"]) for s in case["subjects"]}
    restrictions = client.get("/v1/accounts/mule-7/restrictions", headers=auth(keys.client)).json()
    assert restrictions["suspended_until"] is not None
    feedback = client.get(f"/v1/notices/{body['id']}/feedback", headers=auth(keys.police)).json()
    rows = {(row["type"], row["value"]): row for row in feedback["identifiers"]}
    assert [row["position"] for row in feedback["identifiers"]] == [0, 1, 2, 3]
    assert rows[("account", "scammer-1")]["outcome"] == "found"
    assert rows[("device", "dev-ring-1")]["accounts"] == ["mule-7"]
    assert rows[("device", "dev-ring-1")]["measures"][0].startswith("mule-7:suspend#")
    assert rows[("device", "dev-ring-1")]["measures"][0].endswith(":active")
    phone = rows[("phone", "+8613800138000")]
    assert phone["outcome"] == "not_found"
    assert "phone binding" in phone["note"]
    assert rows[("account", "nobody-here")]["outcome"] == "not_found"
    again = client.get(f"/v1/notices/{body['id']}", headers=auth(keys.police)).json()
    assert again["document_no"] == "公(网安)通字[2026]001号"


def test_a_second_notice_in_the_same_police_case_joins_its_case(client: TestClient, keys: Keys) -> None:
    first = client.post("/v1/notices", json=notice("doc-1"), headers=auth(keys.police)).json()
    second = client.post(
        "/v1/notices",
        json=notice("doc-2", identifiers=[{"type": "domain", "value": "Evil-Shop.example"}]),
        headers=auth(keys.police),
    ).json()
    assert second["case_id"] == first["case_id"]


def test_a_bad_identifier_is_named_and_nothing_is_stored(client: TestClient, keys: Keys) -> None:
    body = notice(
        identifiers=[
            {"type": "account", "value": "ok-1"},
            {"type": "phone", "value": "not a phone"},
            {"type": "url", "value": "javascript:alert(1)"},
        ]
    )
    response = client.post("/v1/notices", json=body, headers=auth(keys.police))
    assert response.status_code == 422, response.text
    details = response.json()["details"]
    assert [(d["index"], d["type"], d["value"]) for d in details] == [
        (1, "phone", "not a phone"),
        (2, "url", "javascript:alert(1)"),
    ]
    assert count(client, keys) == 0
    assert client.get("/v1/cases", headers=auth(keys.police)).json() == []


def test_missing_fields_are_refused(client: TestClient, keys: Keys) -> None:
    body = notice()
    del body["case_no"]
    response = client.post("/v1/notices", json=body, headers=auth(keys.police))
    assert response.status_code == 422
    assert "case_no" in response.text
    assert count(client, keys) == 0


def test_a_duplicate_notice_is_a_conflict(client: TestClient, keys: Keys) -> None:
    assert client.post("/v1/notices", json=notice(), headers=auth(keys.police)).status_code == 201
    again = client.post("/v1/notices", json=notice(), headers=auth(keys.police))
    assert again.status_code == 409, again.text
    assert count(client, keys) == 1


def test_an_issuing_unit_off_the_allow_list_is_refused(client: TestClient, keys: Keys, runtime: Runtime) -> None:
    runtime.settings.notice_issuing_units = ["北京市公安局"]
    response = client.post("/v1/notices", json=notice(), headers=auth(keys.police))
    assert response.status_code == 422, response.text
    assert "allow-list" in response.json()["message"]
    assert count(client, keys) == 0
    accepted = client.post("/v1/notices", json=notice(issuing_unit="北京市公安局"), headers=auth(keys.police))
    assert accepted.status_code == 201


def test_only_police_liaison_and_admin_handle_notices(client: TestClient, keys: Keys) -> None:
    assert client.post("/v1/notices", json=notice(), headers=auth(keys.analyst)).status_code == 403
    assert client.get("/v1/notices", headers=auth(keys.client)).status_code == 403
    assert client.post("/v1/notices", json=notice(), headers=auth(keys.admin)).status_code == 201


def test_formula_cells_are_quoted_in_the_csv_feedback(client: TestClient, keys: Keys, stack: Stack) -> None:
    seed(stack.engine, ['=HYPERLINK("http://x")'])
    body = notice(
        identifiers=[
            {"type": "account", "value": '=HYPERLINK("http://x")'},
            {"type": "device", "value": "@SUM(A1)"},
            {"type": "phone", "value": "+8613800138000"},
        ]
    )
    created = client.post("/v1/notices", json=body, headers=auth(keys.police)).json()
    response = client.get(f"/v1/notices/{created['id']}/feedback?format=csv", headers=auth(keys.police))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == ["position", "type", "value", "outcome"]
    assert rows[1][2] == '\'=HYPERLINK("http://x")'
    assert rows[1][4] == '\'=HYPERLINK("http://x")'
    assert rows[2][2] == "'@SUM(A1)"
    assert rows[3][2] == "+8613800138000"


def test_overdue_notices_are_listed_until_answered(client: TestClient, keys: Keys) -> None:
    late = client.post(
        "/v1/notices", json=notice("late", deadline="2026-06-01T09:00:00+00:00"), headers=auth(keys.police)
    ).json()
    client.post("/v1/notices", json=notice("in-time"), headers=auth(keys.police))
    overdue = client.get("/v1/notices?overdue=true", headers=auth(keys.police)).json()
    assert [item["document_no"] for item in overdue] == ["late"]
    assert overdue[0]["overdue"] is True
    answered = client.post(
        f"/v1/notices/{late['id']}/answered", json={"note": "feedback faxed to the unit"}, headers=auth(keys.police)
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["state"] == "answered"
    assert client.get("/v1/notices?overdue=true", headers=auth(keys.police)).json() == []
    case = client.get(f"/v1/cases/{late['case_id']}", headers=auth(keys.police)).json()
    assert case["feedback_sent_at"] is not None


def test_a_notice_with_1000_identifiers_imports_and_exports_feedback(
    client: TestClient, keys: Keys, stack: Stack
) -> None:
    found = 100
    accounts = [f"acct-{i:04d}" for i in range(found)]
    seed(stack.engine, accounts)
    identifiers = [{"type": "account", "value": account} for account in accounts]
    identifiers += [{"type": "phone", "value": f"+86138{i:08d}"} for i in range(1000 - found)]
    started = time.perf_counter()
    response = client.post(
        "/v1/notices",
        json=notice(identifiers=identifiers, requested_measures=[{"kind": "warn"}]),
        headers=auth(keys.police),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["identifier_count"], body["found_count"]) == (1000, found)
    exported = client.get(f"/v1/notices/{body['id']}/feedback?format=csv", headers=auth(keys.police))
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert time.perf_counter() - started < 10
    assert len(rows) == 1000
    assert sum(row["outcome"] == "found" for row in rows) == found
    assert all(":warn#" in row["measures"] for row in rows[:found])
