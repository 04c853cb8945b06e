from __future__ import annotations

from fastapi.testclient import TestClient

from fanzha.auth.roles import Role
from tests.fixtures.app import auth, event

SHADOW_PACK = """\
pack: trial
counters: {}
rules:
  - id: big_payment
    description: Large payments
    events: [payment.created]
    condition: has(event.attributes) && has(event.attributes.amount) && event.attributes.amount > 10000
    outcome: block
    score: 100
    message: large payment
    legal_basis: [ATOFL-25]
  - id: every_message_shadow
    description: Would review every message
    events: [message.sent]
    condition: "true"
    outcome: review
    score: 50
    mode: shadow
    message: shadow trial
"""


class TestPushRules:
    def test_push_activates_without_restart(self, client: TestClient, admin_key: str) -> None:
        before = client.get("/v1/rules", headers=auth(admin_key)).json()
        assert before["name"] == "default"
        pushed = client.post(
            "/v1/rules", json={"source": SHADOW_PACK, "filename": "trial.yaml"}, headers=auth(admin_key)
        )
        assert pushed.status_code == 201, pushed.text
        version = pushed.json()["version"]
        assert version != before["version"]
        active = client.get("/v1/rules", headers=auth(admin_key)).json()
        assert active["version"] == version
        assert [rule["id"] for rule in active["rules"]] == ["big_payment", "every_message_shadow"]
        body = client.post(
            "/v1/decisions",
            json=event("pay-1", "payment.created", attributes={"amount": 50_000}),
            headers=auth(admin_key),
        ).json()
        assert body["decision"] == "block"
        assert body["ruleset_version"] == version

    def test_shadow_rules_are_recorded_but_never_decide(self, client: TestClient, admin_key: str) -> None:
        client.post("/v1/rules", json={"source": SHADOW_PACK}, headers=auth(admin_key))
        body = client.post("/v1/decisions", json=event("m-1"), headers=auth(admin_key)).json()
        assert body["decision"] == "allow"
        assert body["reasons"] == []
        record = client.get("/v1/decisions/m-1", headers=auth(admin_key)).json()["record"]
        assert [hit["rule"] for hit in record["shadow_hits"]] == ["every_message_shadow"]

    def test_yaml_body_is_accepted(self, client: TestClient, admin_key: str) -> None:
        pushed = client.post(
            "/v1/rules?filename=trial.yaml",
            content=SHADOW_PACK.encode(),
            headers={**auth(admin_key), "content-type": "application/yaml"},
        )
        assert pushed.status_code == 201, pushed.text

    def test_invalid_pack_points_to_line_and_column_and_changes_nothing(
        self, client: TestClient, admin_key: str
    ) -> None:
        before = client.get("/v1/rules", headers=auth(admin_key)).json()["version"]
        broken = SHADOW_PACK.replace("event.attributes.amount > 10000", "event.attributes.amount >> 10000")
        response = client.post("/v1/rules", json={"source": broken, "filename": "trial.yaml"}, headers=auth(admin_key))
        assert response.status_code == 422
        detail = response.json()["details"][0]
        assert detail["file"] == "trial.yaml"
        assert detail["line"] == 7
        assert detail["column"] > 1
        assert client.get("/v1/rules", headers=auth(admin_key)).json()["version"] == before

    def test_validate_does_not_activate(self, client: TestClient, admin_key: str) -> None:
        before = client.get("/v1/rules", headers=auth(admin_key)).json()["version"]
        report = client.post("/v1/rules/validate", json={"source": SHADOW_PACK}, headers=auth(admin_key))
        assert report.status_code == 200
        assert report.json()["valid"] is True
        assert client.get("/v1/rules", headers=auth(admin_key)).json()["version"] == before

    def test_history_lists_versions(self, client: TestClient, admin_key: str) -> None:
        client.post("/v1/rules", json={"source": SHADOW_PACK}, headers=auth(admin_key))
        history = client.get("/v1/rules/history", headers=auth(admin_key)).json()
        assert [item["name"] for item in history] == ["trial", "default"]
        assert [item["active"] for item in history] == [True, False]

    def test_api_client_may_not_push(self, client: TestClient, make_key) -> None:  # type: ignore[no-untyped-def]
        key = make_key(Role.api_client)
        response = client.post("/v1/rules", json={"source": SHADOW_PACK}, headers=auth(key))
        assert response.status_code == 403
