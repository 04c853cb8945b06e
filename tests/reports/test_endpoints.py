"""User reports through the API: acknowledgement, clustering, reliability, rate limit, the decision loop."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from fanzha.reports import service as reports_service
from tests.fixtures.app import auth, event
from tests.fixtures.due_process import Keys


def report(reporter: str, account: str = "scammer-1", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reporter": {"id": reporter},
        "subjects": [{"type": "account", "id": account}],
        "category": "T01_task_rebate",
        "text": "他让我刷单返利，先转账再返佣金",
    }
    body.update(fields)
    return body


def test_a_report_is_acknowledged_and_opens_a_case(client: TestClient, keys: Keys) -> None:
    response = client.post("/v1/reports", json=report("victim-1"), headers=auth(keys.client))
    assert response.status_code == 201, response.text
    body = response.json()
    reference = body["acknowledgement"]["reference"]
    assert reference.startswith(f"R{body['id']:08d}-")
    assert body["acknowledgement"]["status_path"] == f"/report/status?ref={reference}"
    assert body["outcome"] is None
    assert "96110" in body["acknowledgement"]["message"]
    assert body["case_report_count"] == 1
    case = client.get(f"/v1/cases/{body['case_id']}", headers=auth(keys.analyst)).json()
    assert case["source_type"] == "user_report"
    assert case["feedback_owed"] is True
    assert [(s["type"], s["value"]) for s in case["subjects"]] == [("account", "scammer-1")]


def test_a_burst_of_reports_clusters_into_one_case_and_changes_the_decision(client: TestClient, keys: Keys) -> None:
    payment = event(
        "pay-before", "payment.created", actor="payer-1", counterparty={"id": "scammer-1"}, attributes={"amount": 900}
    )
    before = client.post("/v1/decisions", json=payment, headers=auth(keys.client)).json()
    assert before["decision"] == "allow"
    answers = [
        client.post("/v1/reports", json=report(f"victim-{i}"), headers=auth(keys.client)).json() for i in range(3)
    ]
    assert len({answer["case_id"] for answer in answers}) == 1
    assert [answer["case_report_count"] for answer in answers] == [1, 2, 3]
    assert answers[1]["flagged_subjects"] == []
    assert answers[2]["flagged_subjects"] == ["account:scammer-1"]
    payment["event_id"] = "pay-after"
    after = client.post("/v1/decisions", json=payment, headers=auth(keys.client)).json()
    # Reports are not verified yet: the payer is warned (an interstitial) rather than held for review.
    assert after["decision"] == "warn"
    assert after["warning"]["recipient_id"] == "payer-1"
    assert [reason["rule"] for reason in after["reasons"]] == ["reported_counterparty"]


def test_unfounded_reports_lower_reliability_so_they_no_longer_flag(client: TestClient, keys: Keys) -> None:
    first = client.post("/v1/reports", json=report("noisy", "innocent-0"), headers=auth(keys.client)).json()
    resolved = client.post(
        f"/v1/reports/{first['id']}/resolution",
        json={"founded": False, "reason": "the shop delivered; a dispute, not fraud"},
        headers=auth(keys.analyst),
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["reliability"] == 0.5
    again = client.post(
        f"/v1/reports/{first['id']}/resolution", json={"founded": True, "reason": "x" * 5}, headers=auth(keys.analyst)
    )
    assert again.status_code == 409
    # Two full-weight reporters and one at 0.5 stay under the threshold of 3.0.
    for reporter in ("noisy", "user-a", "user-b"):
        last = client.post("/v1/reports", json=report(reporter, "innocent-1"), headers=auth(keys.client)).json()
    assert last["flagged_subjects"] == []
    assert client.get("/v1/reporters/noisy", headers=auth(keys.analyst)).json()["unfounded"] == 1


def test_mass_reporting_is_rate_limited(client: TestClient, keys: Keys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reports_service, "RATE_LIMIT", 2)
    for i in range(2):
        ok = client.post("/v1/reports", json=report("spammer", f"target-{i}"), headers=auth(keys.client))
        assert ok.status_code == 201
    refused = client.post("/v1/reports", json=report("spammer", "target-9"), headers=auth(keys.client))
    assert refused.status_code == 429
    assert "limit is 2" in refused.json()["message"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "not_a_type"}, "category"),
        ({"subjects": []}, "subjects"),
        ({"text": "x" * 5001}, "text"),
        ({"evidence": [{"sha256": "a" * 64, "type": "application/x-msdownload", "size_bytes": 10}]}, "evidence"),
        ({"evidence": [{"sha256": "a" * 64, "type": "image/png", "size_bytes": 50 * 1024 * 1024}]}, "evidence"),
    ],
)
def test_bad_reports_are_refused(client: TestClient, keys: Keys, change: dict[str, Any], field: str) -> None:
    response = client.post("/v1/reports", json=report("victim-x", **change), headers=auth(keys.client))
    assert response.status_code == 422
    assert field in response.text


def test_only_platform_clients_file_reports(client: TestClient, keys: Keys) -> None:
    assert client.post("/v1/reports", json=report("v"), headers=auth(keys.auditor)).status_code == 403
