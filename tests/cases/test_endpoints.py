from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from fanzha.cases import service as cases_service
from fanzha.cases.schemas import CaseDecision
from fanzha.kit.clock import utcnow
from fanzha.kit.db import transaction
from fanzha.kit.errors import Conflict
from fanzha.runtime import Runtime
from tests.fixtures.app import auth
from tests.fixtures.due_process import Keys, blocked_event, drive, jobs, open_case

RESTRICT = {"kind": "restrict", "functions": ["send_links"], "duration_hours": 24}


def manual_case(client: TestClient, key: str, ref: str, **fields: Any) -> dict[str, Any]:
    body = {
        "source_type": "user_report",
        "source_ref": ref,
        "subjects": [{"type": "account", "value": "acct-r", "role": "actor"}],
        **fields,
    }
    response = client.post("/v1/cases", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    return dict(response.json())


class TestOpening:
    def test_second_block_joins_the_open_case_and_review_raises_nothing(self, client: TestClient, keys: Keys) -> None:
        case = open_case(client, keys, "fraud-2", "j-1")
        blocked_event(client, keys.admin, "j-2", "fraud-2", context={"device_id": "dev-9"})
        detail = drive(
            client,
            lambda: (
                (d := client.get(f"/v1/cases/{case['id']}", headers=auth(keys.analyst)).json())
                and len(d["evidence"]) == 2
                and d
            ),
        )
        assert {(s["type"], s["value"]) for s in detail["subjects"]} >= {("device", "dev-9"), ("account", "fraud-2")}
        assert len(client.get("/v1/cases", headers=auth(keys.analyst)).json()) == 1

    def test_cases_sharing_a_device_form_a_cluster(self, client: TestClient, keys: Keys) -> None:
        first = manual_case(
            client, keys.analyst, "r-1", subjects=[{"type": "device", "value": "dev-ring", "role": "actor_device"}]
        )
        second = manual_case(
            client,
            keys.analyst,
            "r-2",
            subjects=[
                {"type": "account", "value": "ring-2", "role": "actor"},
                {"type": "device", "value": "dev-ring", "role": "actor_device"},
            ],
        )
        ring = client.get(f"/v1/cases/{second['id']}/cluster", headers=auth(keys.analyst)).json()
        assert {c["id"] for c in ring} == {first["id"], second["id"]}
        assert {c["cluster_id"] for c in ring} == {first["id"]}

    def test_first_matching_queue_wins(self, client: TestClient, keys: Keys) -> None:
        for name, position, body in (
            ("urgent", 1, {"priorities": ["P0", "P1"]}),
            ("reports", 2, {"source_types": ["user_report"]}),
        ):
            response = client.put(f"/v1/queues/{name}", json={"position": position, **body}, headers=auth(keys.senior))
            assert response.status_code == 200, response.text
        assert manual_case(client, keys.analyst, "q-1", priority="P1")["queue"] == "urgent"
        assert manual_case(client, keys.analyst, "q-2", priority="P3")["queue"] == "reports"
        assert manual_case(client, keys.analyst, "q-3", source_type="patrol")["queue"] == "default"
        assert client.put("/v1/queues/x", json={}, headers=auth(keys.analyst)).status_code == 403


class TestSafety:
    def test_deciding_without_a_claim_or_reason_changes_nothing(self, client: TestClient, keys: Keys) -> None:
        case = manual_case(client, keys.analyst, "s-1")
        body = {"outcome": "action", "reason": "fraud", "measures": [RESTRICT]}
        unclaimed = client.post(f"/v1/cases/{case['id']}/decision", json=body, headers=auth(keys.analyst))
        assert unclaimed.status_code == 409
        client.post(f"/v1/cases/{case['id']}/claim", headers=auth(keys.analyst))
        other = client.post(f"/v1/cases/{case['id']}/decision", json=body, headers=auth(keys.analyst2))
        assert other.status_code == 409
        no_reason = client.post(
            f"/v1/cases/{case['id']}/decision", json={**body, "reason": ""}, headers=auth(keys.analyst)
        )
        assert no_reason.status_code == 422
        bad_function = client.post(
            f"/v1/cases/{case['id']}/decision",
            json={**body, "measures": [{"kind": "restrict", "functions": ["fly"]}]},
            headers=auth(keys.analyst),
        )
        assert bad_function.status_code == 422
        detail = client.get(f"/v1/cases/{case['id']}", headers=auth(keys.analyst)).json()
        assert detail["state"] == "new"
        assert detail["measures"] == []
        assert client.get("/v1/accounts/acct-r/restrictions", headers=auth(keys.client)).json()["restricted"] is False

    def test_second_reviewer_cannot_claim_a_held_case(self, client: TestClient, keys: Keys) -> None:
        case = manual_case(client, keys.analyst, "s-2")
        assert client.post(f"/v1/cases/{case['id']}/claim", headers=auth(keys.analyst)).status_code == 200
        taken = client.post(f"/v1/cases/{case['id']}/claim", headers=auth(keys.analyst2))
        assert taken.status_code == 409
        assert "held by" in taken.json()["message"]
        assert client.post(f"/v1/cases/{case['id']}/release", headers=auth(keys.analyst)).status_code == 200
        assert client.post(f"/v1/cases/{case['id']}/claim", headers=auth(keys.analyst2)).status_code == 200

    def test_illegal_transitions_and_closing_with_open_subjects(self, client: TestClient, keys: Keys) -> None:
        case = manual_case(client, keys.analyst, "s-3", feedback_owed=True)
        url = f"/v1/cases/{case['id']}/transitions"
        assert client.post(url, json={"to": "closed", "reason": "done"}, headers=auth(keys.analyst)).status_code == 409
        assert client.post(url, json={"to": "notified", "reason": "x y"}, headers=auth(keys.analyst)).status_code == 409
        assert (
            client.post(url, json={"to": "triaged", "reason": "looked"}, headers=auth(keys.analyst)).status_code == 200
        )
        client.post(f"/v1/cases/{case['id']}/claim", headers=auth(keys.analyst))
        decided = client.post(
            f"/v1/cases/{case['id']}/decision",
            json={"outcome": "no_action", "reason": "not fraud"},
            headers=auth(keys.analyst),
        )
        assert decided.json()["state"] == "decided"
        blocked = client.post(url, json={"to": "closed", "reason": "done"}, headers=auth(keys.analyst))
        assert blocked.status_code == 409
        assert blocked.json()["details"]["problems"] == ["feedback is owed to the originator and not sent"]
        client.post(f"/v1/cases/{case['id']}/feedback", json={"note": "told the reporter"}, headers=auth(keys.analyst))
        closed = client.post(url, json={"to": "closed", "reason": "loop closed"}, headers=auth(keys.analyst))
        assert closed.status_code == 200, closed.text
        assert closed.json()["state"] == "closed"

    def test_overdue_cases_escalate(self, client: TestClient, keys: Keys) -> None:
        case = manual_case(client, keys.analyst, "s-4", priority="P0")
        jobs(client).tick(now=utcnow() + timedelta(hours=2))
        detail = client.get(f"/v1/cases/{case['id']}", headers=auth(keys.analyst)).json()
        assert detail["state"] == "escalated"
        assert detail["transitions"][-1]["actor"] == "system:sla"


class TestPersonalData:
    def test_phones_are_masked_and_revealing_is_audited(self, client: TestClient, keys: Keys) -> None:
        case = manual_case(
            client,
            keys.police,
            "p-1",
            subjects=[{"type": "phone", "value": "13800138000"}, {"type": "account", "value": "a-1", "role": "actor"}],
        )
        masked = client.get(f"/v1/cases/{case['id']}", headers=auth(keys.analyst)).json()
        phone = next(s for s in masked["subjects"] if s["type"] == "phone")
        assert phone["value"] == "+86*******8000"
        denied = client.get(f"/v1/cases/{case['id']}", params={"reveal": "true"}, headers=auth(keys.analyst))
        assert denied.status_code == 403
        shown = client.get(f"/v1/cases/{case['id']}", params={"reveal": "true"}, headers=auth(keys.police)).json()
        assert next(s for s in shown["subjects"] if s["type"] == "phone")["value"] == "+8613800138000"
        log = client.get("/v1/audit", params={"action": "personal_data.reveal"}, headers=auth(keys.auditor)).json()
        assert [(e["object_id"], e["actor"].split(":")[-1]) for e in log["items"]] == [
            (str(case["id"]), "test police_liaison")
        ]


class TestConcurrency:
    """Reviewers racing on one case, in threads with their own connections (row locks; SQLite's writer lock)."""

    def _race(self, runtime: Runtime, action: Any, count: int) -> list[str]:
        barrier = threading.Barrier(count)
        results: list[str] = []

        def run(index: int) -> None:
            barrier.wait()
            try:
                with transaction(runtime.sessions) as session:
                    action(session, index)
                results.append("ok")
            except Conflict:
                results.append("conflict")

        threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    def test_only_one_reviewer_claims_and_only_one_decision_counts(
        self, client: TestClient, keys: Keys, runtime: Runtime
    ) -> None:
        case_id = manual_case(client, keys.analyst, "c-1")["id"]
        claims = self._race(
            runtime, lambda session, i: cases_service.claim(session, case_id=case_id, actor=f"reviewer-{i}"), 6
        )
        assert sorted(claims) == ["conflict"] * 5 + ["ok"]
        with runtime.sessions() as session:
            holder = cases_service.get(session, case_id).claimed_by
        assert holder is not None
        decision = CaseDecision.model_validate(
            {"outcome": "action", "reason": "confirmed fraud", "measures": [{"kind": "warn"}]}
        )
        decisions = self._race(
            runtime,
            lambda session, i: cases_service.decide(session, case_id=case_id, actor=holder, decision=decision),
            4,
        )
        assert sorted(decisions) == ["conflict"] * 3 + ["ok"]
        with runtime.engine.connect() as connection:
            measures = connection.execute(sa.text("SELECT count(*) FROM measures")).scalar_one()
            decided = connection.execute(
                sa.text("SELECT count(*) FROM case_transitions WHERE to_state = 'decided'")
            ).scalar_one()
        assert (measures, decided) == (1, 1)
