from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from fanzha.runtime import Runtime
from tests.fixtures.app import auth
from tests.fixtures.due_process import Keys

SCREENSHOT = "a" * 64
CHAT_LOG = "b" * 64


def case_with_evidence(client: TestClient, keys: Keys) -> int:
    response = client.post(
        "/v1/cases",
        json={
            "source_type": "police_notice",
            "source_ref": "PSB-2026-77",
            "subjects": [{"type": "account", "value": "scammer-1"}],
            "evidence": [
                {"hash": SCREENSHOT, "type": "screenshot", "captured_at": "2026-06-01T08:00:00Z"},
                {"hash": CHAT_LOG, "type": "chat_log", "captured_at": "2026-06-01T08:05:00Z"},
            ],
        },
        headers=auth(keys.police),
    )
    assert response.status_code == 201, response.text
    case_id: int = response.json()["id"]
    return case_id


def propose(client: TestClient, keys: Keys, case_id: int, **fields: Any) -> Any:
    body = {"recipient": "某市公安局反诈中心", "request_ref": "调证函 2026-77", "legal_basis": ["ATOFL-26"]}
    body.update({"reason": "police request for the chat evidence", **fields})
    return client.post(f"/v1/cases/{case_id}/releases", json=body, headers=auth(keys.police))


class TestEvidenceRelease:
    def test_release_needs_a_second_person(self, client: TestClient, keys: Keys, runtime: Runtime) -> None:
        case_id = case_with_evidence(client, keys)
        proposed = propose(client, keys, case_id, hashes=[CHAT_LOG])
        assert proposed.status_code == 201, proposed.text
        release = proposed.json()
        assert release["state"] == "pending"
        assert release["hashes"] == [CHAT_LOG]
        decision = {"approve": True, "reason": "request checked against the notice"}
        # Only the approving role (the second pair of eyes) may decide.
        analyst = client.post(f"/v1/releases/{release['id']}/decision", json=decision, headers=auth(keys.analyst))
        assert analyst.status_code == 403
        approved = client.post(f"/v1/releases/{release['id']}/decision", json=decision, headers=auth(keys.senior))
        assert approved.status_code == 200, approved.text
        assert approved.json()["state"] == "released"
        again = client.post(f"/v1/releases/{release['id']}/decision", json=decision, headers=auth(keys.senior))
        assert again.status_code == 409
        with runtime.sessions() as session:
            actions = session.execute(
                sa.text("SELECT action FROM audit_log WHERE action LIKE 'evidence.release.%' ORDER BY seq")
            ).scalars()
            assert list(actions) == ["evidence.release.propose", "evidence.release.approve"]

    def test_the_proposer_cannot_approve_their_own_release(self, client: TestClient, keys: Keys) -> None:
        case_id = case_with_evidence(client, keys)
        response = client.post(
            f"/v1/cases/{case_id}/releases",
            json={"recipient": "某市公安局", "legal_basis": ["ATOFL-26"], "reason": "urgent request"},
            headers=auth(keys.senior),
        )
        assert response.status_code == 201, response.text
        release_id = response.json()["id"]
        own = client.post(
            f"/v1/releases/{release_id}/decision",
            json={"approve": True, "reason": "my own"},
            headers=auth(keys.senior),
        )
        assert own.status_code == 403
        rejected = client.post(
            f"/v1/releases/{release_id}/decision",
            json={"approve": False, "reason": "not a valid request"},
            headers=auth(keys.admin),
        )
        assert rejected.json()["state"] == "rejected"
        listed = client.get(f"/v1/cases/{case_id}/releases", headers=auth(keys.auditor)).json()
        assert [(item["state"], sorted(item["hashes"])) for item in listed] == [
            ("rejected", sorted([SCREENSHOT, CHAT_LOG]))
        ]

    def test_unknown_evidence_is_refused_and_nothing_stored(self, client: TestClient, keys: Keys) -> None:
        case_id = case_with_evidence(client, keys)
        response = propose(client, keys, case_id, hashes=["c" * 64])
        assert response.status_code == 422
        assert client.get(f"/v1/cases/{case_id}/releases", headers=auth(keys.admin)).json() == []
        missing_basis = propose(client, keys, case_id, legal_basis=[])
        assert missing_basis.status_code == 422
