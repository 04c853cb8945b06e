"""Feedback to reporters: when a case ends, each report gets its outcome, one webhook, and the reporter's weight."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fanzha.bus.dispatcher import Message
from fanzha.decisions.models import OutboxMessage
from fanzha.kit.clock import utcnow
from fanzha.kit.db import transaction
from fanzha.reports import service as reports_service
from fanzha.reports.handlers import on_case_ended
from fanzha.runtime import Runtime
from fanzha.webhooks.models import WebhookDelivery
from tests.fixtures.app import auth
from tests.fixtures.due_process import Keys, Receiver, drive
from tests.fixtures.reports import answers, form_link, open_form, reference_of

RESTRICT = {"kind": "restrict", "functions": ["send_links", "add_friend"], "duration_hours": 72}


def file(client: TestClient, keys: Keys, reporter: str, account: str = "scammer-9") -> dict[str, Any]:
    body = {
        "reporter": {"id": reporter},
        "subjects": [{"type": "account", "id": account}],
        "category": "T02_investment",
        "text": "老师带单，稳赚不赔，转了两万后无法提现",
    }
    response = client.post("/v1/reports", json=body, headers=auth(keys.client))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def decide(client: TestClient, keys: Keys, case_id: int, decision: dict[str, Any]) -> dict[str, Any]:
    assert client.post(f"/v1/cases/{case_id}/claim", headers=auth(keys.analyst)).status_code == 200
    response = client.post(f"/v1/cases/{case_id}/decision", json=decision, headers=auth(keys.analyst))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def read(client: TestClient, keys: Keys, report_id: int) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/v1/reports/{report_id}", headers=auth(keys.analyst)).json()
    return body


def outbox_count(runtime: Runtime, topic: str) -> int:
    with runtime.sessions() as session:
        return int(
            session.execute(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.topic == topic)
            ).scalar_one()
        )


def deliveries(runtime: Runtime, topic: str) -> int:
    with runtime.sessions() as session:
        return int(
            session.execute(
                select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.topic == topic)
            ).scalar_one()
        )


def test_action_on_the_case_is_told_to_every_reporter_once(
    client: TestClient, keys: Keys, runtime: Runtime, receiver: Receiver
) -> None:
    client.post("/v1/webhooks", json={"url": receiver.url, "topics": ["report.outcome"]}, headers=auth(keys.admin))
    first, second = file(client, keys, "victim-a"), file(client, keys, "victim-b")
    case_id = first["case_id"]
    assert second["case_id"] == case_id
    decide(client, keys, case_id, {"outcome": "action", "reason": "two victims, same script", "measures": [RESTRICT]})

    hooks = drive(client, lambda: len(receiver.topics("report.outcome")) == 2 and receiver.topics("report.outcome"))
    assert sorted(hook["data"]["reporter_id"] for hook in hooks) == ["victim-a", "victim-b"]
    for hook in hooks:
        data = hook["data"]
        assert data["outcome"] == "action_taken"
        assert data["case_id"] == case_id
        assert "已采取处置措施" in data["text_zh"]
        assert "110" in data["text_zh"]
        assert "Outcome: action was taken" in data["text_en"]
        assert "ask for a review" in data["text_en"]
        assert "scammer-9" not in data["text_zh"] + data["text_en"]
    for filed in (first, second):
        report = read(client, keys, filed["id"])
        assert report["outcome"] == "action_taken"
        assert report["state"] == "founded"
        assert report["acknowledgement"]["reference"] in report["outcome_notice"]["zh"]
    reporter = client.get("/v1/reporters/victim-a", headers=auth(keys.analyst)).json()
    assert (reporter["founded"], reporter["unfounded"]) == (1, 0)
    case = client.get(f"/v1/cases/{case_id}", headers=auth(keys.analyst)).json()
    assert case["feedback_sent_at"] is not None

    # The same message handled again, a second run of the outcome step, and closing the case (another
    # case.ended) tell no one twice.
    with transaction(runtime.sessions) as session:
        on_case_ended(session, Message(0, "case.ended", str(case_id), {"case_id": case_id}, utcnow()))
        assert reports_service.record_outcomes(session, case_id=case_id) == []
    close = {"to": "closed", "reason": "reporters told"}
    closed = client.post(f"/v1/cases/{case_id}/transitions", json=close, headers=auth(keys.analyst))
    assert closed.status_code == 200, closed.text
    drive(client, lambda: outbox_count(runtime, "case.ended") >= 3)
    for _ in range(3):
        client.app.state.due_process.tick()  # type: ignore[attr-defined]
    assert outbox_count(runtime, "report.outcome") == 2
    assert deliveries(runtime, "report.outcome") == 2
    assert len(receiver.topics("report.outcome")) == 2
    assert client.get("/v1/reporters/victim-a", headers=auth(keys.analyst)).json()["founded"] == 1


def test_no_violation_found_lowers_the_reporters_weight_and_shows_on_the_status_page(
    client: TestClient, keys: Keys
) -> None:
    url = form_link(client, keys.client, "victim-c", lang="en")
    response = client.post(
        "/report", data={**open_form(client, url), **answers(subject_id="shop-7")}, follow_redirects=False
    )
    reference = reference_of(response.headers["location"])
    report_id = int(reference[1:9])
    case_id = read(client, keys, report_id)["case_id"]
    decide(client, keys, case_id, {"outcome": "no_action", "reason": "the goods were delivered; a dispute"})

    report = drive(client, lambda: (found := read(client, keys, report_id))["outcome"] and found)
    assert report["outcome"] == "no_violation_found"
    assert report["state"] == "unfounded"
    assert "经核查未发现违规" in report["outcome_notice"]["zh"]
    reporter = client.get("/v1/reporters/victim-c", headers=auth(keys.analyst)).json()
    assert (reporter["unfounded"], reporter["reliability"]) == (1, 0.5)
    page = client.get("/report/status", params={"ref": reference, "lang": "en"})
    assert "No violation was found" in page.text
    assert "Outcome: no violation was found" in page.text
    assert "shop-7" not in page.text
    chinese = client.get("/report/status", params={"ref": reference, "lang": "zh"})
    assert "经核查未发现违规" in chinese.text


def test_a_resolution_a_reviewer_made_stands(client: TestClient, keys: Keys) -> None:
    filed = file(client, keys, "victim-d")
    resolved = client.post(
        f"/v1/reports/{filed['id']}/resolution",
        json={"founded": True, "reason": "confirmed with the victim by phone"},
        headers=auth(keys.analyst),
    )
    assert resolved.status_code == 200
    decide(client, keys, filed["case_id"], {"outcome": "no_action", "reason": "account already gone"})
    report = drive(client, lambda: (found := read(client, keys, filed["id"]))["outcome"] and found)
    assert report["outcome"] == "no_violation_found"
    assert report["state"] == "founded"
    reporter = client.get("/v1/reporters/victim-d", headers=auth(keys.analyst)).json()
    assert (reporter["founded"], reporter["unfounded"]) == (1, 0)


@pytest.mark.parametrize(("approve", "outcome"), [(True, "action_taken"), (False, "no_violation_found")])
def test_the_outcome_waits_for_the_second_person(
    client: TestClient, keys: Keys, runtime: Runtime, approve: bool, outcome: str
) -> None:
    filed = file(client, keys, "victim-e")
    decided = decide(
        client, keys, filed["case_id"], {"outcome": "action", "reason": "fraud ring", "measures": [{"kind": "close"}]}
    )
    [measure] = decided["measures"]
    assert measure["state"] == "pending_approval"
    for _ in range(3):
        client.app.state.due_process.tick()  # type: ignore[attr-defined]
    assert read(client, keys, filed["id"])["outcome"] is None
    assert outbox_count(runtime, "report.outcome") == 0

    verb = "approve" if approve else "reject"
    reviewed = client.post(
        f"/v1/measures/{measure['id']}/{verb}", json={"reason": "checked the evidence"}, headers=auth(keys.senior)
    )
    assert reviewed.status_code == 200, reviewed.text
    report = drive(client, lambda: (found := read(client, keys, filed["id"]))["outcome"] and found)
    assert report["outcome"] == outcome
    assert outbox_count(runtime, "report.outcome") == 1


def test_cases_without_reports_are_left_alone(client: TestClient, keys: Keys, runtime: Runtime) -> None:
    opened = client.post(
        "/v1/cases",
        json={"source_type": "patrol", "source_ref": "p-1", "subjects": [{"type": "account", "value": "x-1"}]},
        headers=auth(keys.analyst),
    )
    assert opened.status_code == 201, opened.text
    decide(client, keys, opened.json()["id"], {"outcome": "no_action", "reason": "nothing there"})
    drive(client, lambda: outbox_count(runtime, "case.ended") == 1)
    for _ in range(2):
        client.app.state.due_process.tick()  # type: ignore[attr-defined]
    assert outbox_count(runtime, "report.outcome") == 0
    detail = client.get(f"/v1/cases/{opened.json()['id']}", headers=auth(keys.analyst)).json()
    assert detail["feedback_sent_at"] is None
