from __future__ import annotations

import sqlite3
import time
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fanzha.runtime import Runtime
from tests.fixtures.app import auth, event


def decide(client: TestClient, key: str, payload: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/decisions", json=payload, headers=auth(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestDecide:
    def test_ordinary_message_is_allowed(self, client: TestClient, admin_key: str) -> None:
        body = decide(
            client,
            admin_key,
            event("e-1", counterparty={"id": "acct-2"}, content={"text": "明天下午三点见，记得带合同"}),
        )
        assert body["decision"] == "allow"
        assert body["reasons"] == []
        assert set(body) >= {"event_id", "decision", "score", "reasons", "actions", "ruleset_version", "latency_ms"}

    def test_blocklisted_phone_is_blocked_with_its_reason(self, client: TestClient, admin_key: str) -> None:
        added = client.post(
            "/v1/lists/blocked_phones/entries",
            json={"value": "+86 138 0013 8000", "reason": "police notice 2026-001"},
            headers=auth(admin_key),
        )
        assert added.status_code == 201, added.text
        body = decide(client, admin_key, event("e-2", "account.login", context={"phone": "13800138000"}))
        assert body["decision"] == "block"
        assert [reason["rule"] for reason in body["reasons"]] == ["blocklisted_phone"]

    def test_same_event_id_is_answered_identically(self, client: TestClient, admin_key: str, runtime: Runtime) -> None:
        first = decide(client, admin_key, event("e-3", counterparty={"id": "x"}))
        runtime.decisions._recent.clear()  # force the stored answer to be read back
        second = decide(client, admin_key, event("e-3", counterparty={"id": "y"}, content={"text": "different"}))
        assert second == first
        with runtime.sessions() as session:
            count = session.execute(sa.text("SELECT count(*) FROM decisions WHERE event_id = 'e-3'")).scalar_one()
        assert count == 1

    def test_decision_is_durable_when_answered(self, client: TestClient, admin_key: str, runtime: Runtime) -> None:
        body = decide(client, admin_key, event("e-4"))
        with runtime.sessions() as session:
            stored = session.execute(sa.text("SELECT decision FROM decisions WHERE event_id = 'e-4'")).scalar_one()
        assert stored == body["decision"]

    def test_answered_from_the_overflow_while_another_process_writes(
        self, client: TestClient, admin_key: str, runtime: Runtime
    ) -> None:
        if runtime.engine.dialect.name != "sqlite":
            pytest.skip("the overflow file is SQLite's: PostgreSQL has row locks")
        other = sqlite3.connect(str(runtime.engine.url.database), timeout=30)
        other.execute("BEGIN IMMEDIATE")  # e.g. the worker committing a case
        try:
            body = decide(client, admin_key, event("e-ovf"))
            response = client.get("/v1/decisions/e-ovf", headers=auth(admin_key))
            assert response.status_code == 200, response.text
            assert response.json()["response"] == body
            assert b"fanzha_journal_overflow_batches_total 1.0" in runtime.metrics.render()
        finally:
            other.rollback()
            other.close()

    def test_record_explains_the_decision(self, client: TestClient, admin_key: str) -> None:
        client.post("/v1/lists/blocked_devices/entries", json={"value": "dev-bad"}, headers=auth(admin_key))
        decide(client, admin_key, event("e-5", "account.login", context={"device_id": "dev-bad"}))
        response = client.get("/v1/decisions/e-5", headers=auth(admin_key))
        assert response.status_code == 200
        record = response.json()
        assert record["decision"] == "block"
        assert record["record"]["hits"][0]["rule"] == "blocklisted_device"
        assert record["record"]["features"]["in_list:blocked_devices:dev-bad"] is True
        assert record["record"]["ruleset"]["version"] == record["ruleset_version"]
        assert {"type": "device", "value": "dev-bad", "role": "actor_device"} in record["record"]["entities"]

    def test_unknown_decision_is_404(self, client: TestClient, admin_key: str) -> None:
        response = client.get("/v1/decisions/nope", headers=auth(admin_key))
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


class TestDefaultRulePack:
    def test_burst_messaging_goes_to_review(self, client: TestClient, admin_key: str) -> None:
        for i in range(20):
            body = decide(
                client,
                admin_key,
                event(f"b-{i}", counterparty={"id": f"victim-{i}"}, occurred_at=f"2026-06-01T08:00:{i:02d}+00:00"),
            )
            assert body["decision"] == "allow"
        body = decide(
            client, admin_key, event("b-20", counterparty={"id": "victim-20"}, occurred_at="2026-06-01T08:01:00+00:00")
        )
        assert body["decision"] == "review"
        assert "burst_messaging" in [reason["rule"] for reason in body["reasons"]]

    def test_device_shared_by_many_accounts_goes_to_review(self, client: TestClient, admin_key: str) -> None:
        decisions = [
            decide(
                client,
                admin_key,
                event(
                    f"d-{i}",
                    "account.login",
                    actor=f"farm-{i}",
                    context={"device_id": "dev-farm"},
                    occurred_at=f"2026-06-01T09:{i:02d}:00+00:00",
                ),
            )["decision"]
            for i in range(6)
        ]
        assert decisions == ["allow"] * 5 + ["review"]

    def test_new_account_listing_with_contact_goes_to_review(self, client: TestClient, admin_key: str) -> None:
        decide(
            client,
            admin_key,
            event("r-1", "account.registered", actor="seller-1", occurred_at="2026-06-01T07:00:00+00:00"),
        )
        listing = {"title": "二手手机", "text": "全新未拆封，有意加微信 abc12345 详谈", "price": 500}
        body = decide(client, admin_key, event("l-1", "listing.published", actor="seller-1", content=listing))
        assert body["decision"] == "review"
        old = decide(client, admin_key, event("l-2", "listing.published", actor="seller-old", content=listing))
        assert old["decision"] == "allow"

    def test_payment_to_labelled_payee_warns_payer_and_reviews(self, client: TestClient, admin_key: str) -> None:
        labelled = client.post(
            "/v1/labels",
            json={"entity_type": "account", "value": "mule-1", "label": "fraud", "reason": "confirmed by case 12"},
            headers=auth(admin_key),
        )
        assert labelled.status_code == 201, labelled.text
        body = decide(client, admin_key, event("p-1", "payment.created", counterparty={"id": "mule-1"}))
        assert body["decision"] == "review"
        assert "warn_payer" in body["actions"]

    def test_blocklisted_domain_in_message_text_is_blocked(self, client: TestClient, admin_key: str) -> None:
        client.post("/v1/lists/blocked_domains/entries", json={"value": "evil-refund.top"}, headers=auth(admin_key))
        text = "您的订单异常，请点击 https://pay.evil-refund.top/claim?id=9 办理退款"
        body = decide(client, admin_key, event("u-1", counterparty={"id": "v"}, content={"text": text}))
        assert body["decision"] == "block"
        assert [reason["rule"] for reason in body["reasons"]] == ["blocklisted_domain"]

    def test_allowlist_short_circuits_a_block(self, client: TestClient, admin_key: str) -> None:
        for list_name in ("allowed_accounts", "blocked_accounts"):
            client.post(f"/v1/lists/{list_name}/entries", json={"value": "merchant-1"}, headers=auth(admin_key))
        body = decide(client, admin_key, event("a-1", actor="merchant-1"))
        assert body["decision"] == "allow"


class TestBadInput:
    def test_malformed_json(self, client: TestClient, admin_key: str) -> None:
        response = client.post(
            "/v1/decisions", content=b'{"event_id": ', headers={**auth(admin_key), "content-type": "application/json"}
        )
        assert response.status_code == 422
        assert response.json()["error"] == "invalid_input"

    def test_wrong_type_names_the_field(self, client: TestClient, admin_key: str) -> None:
        response = client.post("/v1/decisions", json=event("x-1", occurred_at="yesterday"), headers=auth(admin_key))
        assert response.status_code == 422
        assert "occurred_at" in response.json()["message"]

    def test_missing_actor_names_the_field(self, client: TestClient, admin_key: str) -> None:
        payload = event("x-2")
        del payload["actor"]
        response = client.post("/v1/decisions", json=payload, headers=auth(admin_key))
        assert response.status_code == 422
        assert response.json()["details"][0]["field"] == "actor"

    def test_unknown_event_type(self, client: TestClient, admin_key: str, runtime: Runtime) -> None:
        response = client.post("/v1/decisions", json=event("x-3", "account.teleported"), headers=auth(admin_key))
        assert response.status_code == 422
        assert response.json()["details"][0]["field"] == "type"
        with runtime.sessions() as session:
            assert session.execute(sa.text("SELECT count(*) FROM decisions")).scalar_one() == 0

    def test_oversize_event(self, client: TestClient, admin_key: str) -> None:
        payload = event("x-4", content={"text": "诈" * 20_000})
        response = client.post("/v1/decisions", json=payload, headers=auth(admin_key))
        assert response.status_code == 413
        assert response.json()["error"] == "payload_too_large"

    def test_unknown_top_level_field(self, client: TestClient, admin_key: str) -> None:
        response = client.post("/v1/decisions", json={**event("x-5"), "colour": "red"}, headers=auth(admin_key))
        assert response.status_code == 422
        assert response.json()["details"][0]["field"] == "colour"


class TestDurability:
    def test_journal_down_answers_503_and_the_event_can_be_retried(
        self, client: TestClient, admin_key: str, runtime: Runtime
    ) -> None:
        runtime.journal.stop()
        response = client.post("/v1/decisions", json=event("j-1"), headers=auth(admin_key))
        assert response.status_code == 503
        assert response.json()["error"] == "dependency_unavailable"
        runtime.journal.start()
        assert decide(client, admin_key, event("j-1"))["decision"] == "allow"


class TestAsyncEvents:
    def test_accepted_event_is_decided(self, client: TestClient, admin_key: str) -> None:
        response = client.post("/v1/events", json=event("async-1"), headers=auth(admin_key))
        assert response.status_code == 202
        assert response.json() == {"event_id": "async-1", "status": "accepted"}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = client.get("/v1/decisions/async-1", headers=auth(admin_key))
            if found.status_code == 200:
                assert found.json()["decision"] == "allow"
                return
            time.sleep(0.05)
        raise AssertionError("the accepted event was never decided")

    def test_bad_async_event_is_rejected_before_acceptance(self, client: TestClient, admin_key: str) -> None:
        response = client.post("/v1/events", json={"event_id": "z"}, headers=auth(admin_key))
        assert response.status_code == 422


class TestDeclaredEventTypes:
    def test_declared_extra_type_is_accepted(self, stack, tmp_path) -> None:  # type: ignore[no-untyped-def]
        from fanzha.app import create_app
        from fanzha.kit.setup import initialise
        from fanzha.runtime import Runtime, known_event_types
        from fanzha.settings import Settings

        settings = Settings(
            data_dir=tmp_path / "data", database_url=stack.database_url, extra_event_types="game.item_traded"
        )
        report = initialise(stack.engine, settings, known_event_types=known_event_types(settings))
        runtime = Runtime(settings, engine=stack.engine, counters=stack.counters)
        runtime.start()
        try:
            with TestClient(create_app(runtime=runtime)) as client:
                assert report.admin_secret is not None
                body = decide(client, report.admin_secret, event("g-1", "game.item_traded"))
                assert body["decision"] == "allow"
        finally:
            runtime.journal.stop()
            runtime.decisions.close()
