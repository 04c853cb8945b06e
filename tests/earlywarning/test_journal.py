"""A warning is written by the decision journal with its decision: once per event id, even when raced."""

from __future__ import annotations

from fastapi.testclient import TestClient

from fanzha.decisions.service import journal_item
from fanzha.earlywarning.repository import WarningRepository
from fanzha.events.schemas import Event
from fanzha.kit.db import transaction
from fanzha.runtime import Runtime
from tests.fixtures.app import auth, event


def test_a_raced_event_stores_its_decision_and_warning_once(
    client: TestClient, admin_key: str, runtime: Runtime
) -> None:
    listed = client.post("/v1/lists/blocked_accounts/entries", json={"value": "mule-9"}, headers=auth(admin_key))
    assert listed.status_code == 201, listed.text
    payment = Event.model_validate(
        event("race-1", "payment.created", actor="payer-9", counterparty={"id": "mule-9"}, attributes={"amount": 1})
    )
    # Two processes (or a retry racing the first attempt) evaluate the same event.
    first, second = runtime.pipeline.evaluate(payment), runtime.pipeline.evaluate(payment)
    assert first.response["decision"] == "block"
    assert first.warning is not None
    assert second.warning is not None
    assert first.warning["id"] == second.warning["id"]
    futures = [runtime.journal.submit(journal_item(outcome)) for outcome in (first, second)]
    stored = [future.result(timeout=30) for future in futures]
    for answer in stored:
        assert answer is None or answer["warning"]["id"] == first.warning["id"]
    with transaction(runtime.sessions) as session:
        rows, total = WarningRepository(session).search(
            recipient_id="payer-9", typology=None, state=None, limit=10, offset=0
        )
        assert total == 1
        assert rows[0].event_id == "race-1"
    # Asked again over the API, the event gets the stored answer and its one warning.
    again = client.post("/v1/decisions", json=payment.model_dump(mode="json"), headers=auth(admin_key)).json()
    assert again["warning"]["id"] == first.warning["id"]


def test_a_decision_without_a_warning_writes_no_warning(client: TestClient, admin_key: str, runtime: Runtime) -> None:
    answer = client.post("/v1/decisions", json=event("plain-1"), headers=auth(admin_key)).json()
    assert answer["decision"] == "allow"
    assert "warning" not in answer
    with transaction(runtime.sessions) as session:
        assert (
            WarningRepository(session).search(recipient_id=None, typology=None, state=None, limit=1, offset=0)[1] == 0
        )
