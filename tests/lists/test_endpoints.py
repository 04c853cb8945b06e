from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.fixtures.app import auth, event


class TestListEntries:
    def test_add_normalises_and_get_finds_it(self, client: TestClient, admin_key: str) -> None:
        added = client.post(
            "/v1/lists/blocked_phones/entries",
            json={"value": "138 0013 8000", "reason": "report 77"},
            headers=auth(admin_key),
        )
        assert added.status_code == 201, added.text
        assert added.json()["value"] == "+8613800138000"
        found = client.get("/v1/lists/blocked_phones/entries/13800138000", headers=auth(admin_key))
        assert found.status_code == 200
        assert found.json()["reason"] == "report 77"
        page = client.get("/v1/lists/blocked_phones/entries", headers=auth(admin_key)).json()
        assert [item["value"] for item in page["items"]] == ["+8613800138000"]

    def test_invalid_value_is_rejected_and_nothing_stored(self, client: TestClient, admin_key: str) -> None:
        response = client.post("/v1/lists/blocked_phones/entries", json={"value": "12"}, headers=auth(admin_key))
        assert response.status_code == 422
        assert response.json()["details"][0]["field"] == "value"
        assert response.json()["message"] == "not a valid phone number: '12'"
        assert response.json()["message_zh"] == "不是有效的电话号码：'12'"
        page = client.get("/v1/lists/blocked_phones/entries", headers=auth(admin_key)).json()
        assert page["items"] == []

    def test_unknown_list_is_404(self, client: TestClient, admin_key: str) -> None:
        response = client.post("/v1/lists/no_such_list/entries", json={"value": "x"}, headers=auth(admin_key))
        assert response.status_code == 404
        body = response.json()
        assert body["error"] == "not_found"
        assert body["message"] == "no list named 'no_such_list'; create it first with PUT /v1/lists/no_such_list"
        assert body["message_zh"] == "名单 'no_such_list' 不存在；请先用 PUT /v1/lists/no_such_list 创建"

    def test_delete_takes_effect_on_decisions(self, client: TestClient, admin_key: str) -> None:
        client.post("/v1/lists/blocked_accounts/entries", json={"value": "bad-1"}, headers=auth(admin_key))
        first = client.post("/v1/decisions", json=event("q-1", actor="bad-1"), headers=auth(admin_key)).json()
        assert first["decision"] == "block"
        deleted = client.delete("/v1/lists/blocked_accounts/entries/bad-1", headers=auth(admin_key))
        assert deleted.status_code == 204
        second = client.post("/v1/decisions", json=event("q-2", actor="bad-1"), headers=auth(admin_key)).json()
        assert second["decision"] == "allow"
        assert client.delete("/v1/lists/blocked_accounts/entries/bad-1", headers=auth(admin_key)).status_code == 404

    def test_expired_entry_no_longer_matches(self, client: TestClient, admin_key: str) -> None:
        soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        client.post(
            "/v1/lists/blocked_accounts/entries", json={"value": "tmp-1", "expires_at": soon}, headers=auth(admin_key)
        )
        during = event("t-1", actor="tmp-1", occurred_at=datetime.now(UTC).isoformat())
        after = event("t-2", actor="tmp-1", occurred_at=(datetime.now(UTC) + timedelta(days=2)).isoformat())
        assert client.post("/v1/decisions", json=during, headers=auth(admin_key)).json()["decision"] == "block"
        assert client.post("/v1/decisions", json=after, headers=auth(admin_key)).json()["decision"] == "allow"

    def test_past_expiry_is_rejected(self, client: TestClient, admin_key: str) -> None:
        response = client.post(
            "/v1/lists/blocked_accounts/entries",
            json={"value": "x", "expires_at": "2001-01-01T00:00:00Z"},
            headers=auth(admin_key),
        )
        assert response.status_code == 422

    def test_create_list(self, client: TestClient, admin_key: str) -> None:
        created = client.put("/v1/lists/vip_devices", json={"kind": "device"}, headers=auth(admin_key))
        assert created.status_code == 200
        names = [item["name"] for item in client.get("/v1/lists", headers=auth(admin_key)).json()]
        assert "vip_devices" in names
        clash = client.put("/v1/lists/vip_devices", json={"kind": "phone"}, headers=auth(admin_key))
        assert clash.status_code == 422


def test_a_value_that_grows_past_the_stored_length_when_normalised_is_refused(
    client: TestClient, admin_key: str
) -> None:
    head = "HTTP://EXAMPLE.COM?q="
    value = head + "a" * (2048 - len(head))  # accepted as sent; normalised it gains "/" before "?"
    answer = client.post("/v1/lists/blocked_urls/entries", json={"value": value}, headers=auth(admin_key))
    assert answer.status_code == 422, answer.text
    assert "once normalised" in answer.json()["message"]
    assert client.get("/v1/lists/blocked_urls/entries", headers=auth(admin_key)).json()["items"] == []
