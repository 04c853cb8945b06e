from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.fixtures.app import auth
from tests.fixtures.due_process import Keys


def restricted(client: TestClient, key: str, *, by: str) -> dict[str, Any]:
    """A restriction decided by ``by`` (an analyst key) through a case."""
    case = client.post(
        "/v1/cases",
        json={"source_type": "user_report", "source_ref": "rep-1", "subjects": [{"type": "account", "value": "u-1"}]},
        headers=auth(key),
    ).json()
    client.post(f"/v1/cases/{case['id']}/claim", headers=auth(by))
    decided = client.post(
        f"/v1/cases/{case['id']}/decision",
        json={
            "outcome": "action",
            "reason": "scam listings",
            "measures": [{"kind": "restrict", "functions": ["publish"]}],
        },
        headers=auth(by),
    )
    assert decided.status_code == 200, decided.text
    return dict(decided.json()["measures"][0])


def submit(client: TestClient, keys: Keys, measure_id: int, account: str = "u-1") -> Any:
    return client.post(
        "/v1/appeals",
        json={"measure_id": measure_id, "account_id": account, "grounds": "I sold my own phone"},
        headers=auth(keys.client),
    )


class TestAppeals:
    def test_appealing_twice_or_for_another_account_is_refused(self, client: TestClient, keys: Keys) -> None:
        measure = restricted(client, keys.analyst, by=keys.analyst)
        assert submit(client, keys, measure["id"], account="someone-else").status_code == 404
        assert submit(client, keys, measure["id"]).status_code == 201
        again = submit(client, keys, measure["id"])
        assert again.status_code == 409
        assert len(client.get("/v1/appeals", headers=auth(keys.appeals)).json()) == 1

    def test_the_decider_cannot_handle_the_appeal(self, client: TestClient, keys: Keys) -> None:
        measure = restricted(client, keys.admin, by=keys.admin)
        appeal = submit(client, keys, measure["id"]).json()
        assert client.post(f"/v1/appeals/{appeal['id']}/claim", headers=auth(keys.admin)).status_code == 403
        assert client.post(f"/v1/appeals/{appeal['id']}/claim", headers=auth(keys.analyst)).status_code == 403
        assert client.post(f"/v1/appeals/{appeal['id']}/claim", headers=auth(keys.appeals)).status_code == 200

    def test_overturning_needs_a_reason_and_the_claim(self, client: TestClient, keys: Keys) -> None:
        measure = restricted(client, keys.analyst, by=keys.analyst)
        appeal = submit(client, keys, measure["id"]).json()
        url = f"/v1/appeals/{appeal['id']}/decision"
        unclaimed = client.post(url, json={"outcome": "overturn", "reason": "fine"}, headers=auth(keys.appeals))
        assert unclaimed.status_code == 409
        client.post(f"/v1/appeals/{appeal['id']}/claim", headers=auth(keys.appeals))
        assert client.post(url, json={"outcome": "overturn"}, headers=auth(keys.appeals)).status_code == 422
        assert (
            client.post(url, json={"outcome": "overturn", "reason": ""}, headers=auth(keys.appeals)).status_code == 422
        )
        assert client.get("/v1/accounts/u-1/restrictions", headers=auth(keys.client)).json()["functions"] == ["publish"]
        upheld = client.post(
            url, json={"outcome": "uphold", "reason": "chat logs show sales"}, headers=auth(keys.appeals)
        )
        assert upheld.json()["state"] == "upheld"
        assert (
            client.post(
                url, json={"outcome": "overturn", "reason": "changed mind"}, headers=auth(keys.appeals)
            ).status_code
            == 409
        )
        assert client.get("/v1/accounts/u-1/restrictions", headers=auth(keys.client)).json()["functions"] == ["publish"]
