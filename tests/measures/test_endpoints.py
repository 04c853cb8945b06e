from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from fanzha.kit.clock import utcnow
from tests.fixtures.app import auth, event
from tests.fixtures.due_process import Keys, Receiver, drive, jobs


def apply(client: TestClient, key: str, **body: Any) -> dict[str, Any]:
    payload = {"reason": "confirmed fraud ring member", "account_id": "acct-m", **body}
    response = client.post("/v1/measures", json=payload, headers=auth(key))
    assert response.status_code == 201, response.text
    return dict(response.json())


def restrictions(client: TestClient, keys: Keys, account: str = "acct-m") -> dict[str, Any]:
    response = client.get(f"/v1/accounts/{account}/restrictions", headers=auth(keys.client))
    assert response.status_code == 200
    return dict(response.json())


class TestLadder:
    def test_suspension_lifts_itself_when_its_term_ends(self, client: TestClient, keys: Keys) -> None:
        measure = apply(client, keys.senior, kind="suspend", duration_hours=2)
        now = restrictions(client, keys)
        assert now["functions"] == ["*"]
        assert datetime.fromisoformat(now["suspended_until"]) == datetime.fromisoformat(measure["ends_at"])
        jobs(client).tick(now=utcnow() + timedelta(hours=3))
        assert restrictions(client, keys)["restricted"] is False
        ended = client.get(f"/v1/measures/{measure['id']}", headers=auth(keys.auditor)).json()
        assert ended["state"] == "expired"

    def test_repeat_offenders_climb_the_ladder(self, client: TestClient, keys: Keys) -> None:
        steps = [apply(client, keys.senior, kind="ladder") for _ in range(4)]
        assert [(m["kind"], m["state"]) for m in steps] == [
            ("warn", "active"),
            ("restrict", "active"),
            ("suspend", "active"),
            ("close", "pending_approval"),
        ]
        strikes = client.get("/v1/accounts/acct-m/strikes", headers=auth(keys.auditor)).json()
        assert strikes["points"] == 1 + 2 + 3
        assert strikes["next_step"]["kind"] == "close"

    def test_failed_reverification_escalates_and_passing_restores(self, client: TestClient, keys: Keys) -> None:
        task = client.post(
            "/v1/accounts/acct-m/reverify",
            json={"method": "face_liveness_id", "reason": "account trading signals"},
            headers=auth(keys.senior),
        ).json()
        assert "transfer" in restrictions(client, keys)["functions"]
        passed = client.post(
            f"/v1/reverify/{task['id']}/result",
            json={"passed": True, "reason": "face matched"},
            headers=auth(keys.client),
        )
        assert passed.json()["state"] == "passed"
        assert restrictions(client, keys)["restricted"] is False
        second = client.post(
            "/v1/accounts/acct-m/reverify",
            json={"method": "ctid", "reason": "bulk logins", "deadline_hours": 1},
            headers=auth(keys.senior),
        ).json()
        jobs(client).tick(now=utcnow() + timedelta(hours=2))
        task_state = client.get("/v1/accounts/acct-m/measures", headers=auth(keys.auditor)).json()
        assert [m["kind"] for m in task_state][:2] == ["warn", "restrict"]  # newest first: the ladder's first step
        assert task_state[0]["automated"] is True
        again = client.post(
            f"/v1/reverify/{second['id']}/result",
            json={"passed": True, "reason": "too late"},
            headers=auth(keys.client),
        )
        assert again.status_code == 409


class TestFourEyes:
    def test_ban_needs_a_second_person_then_blocks_sign_up(self, client: TestClient, keys: Keys) -> None:
        ban = apply(
            client,
            keys.senior,
            kind="ban_reregistration",
            keys=[{"type": "phone", "value": "138 0000 0999"}, {"type": "device", "value": "dev-x"}],
        )
        assert ban["state"] == "pending_approval"
        assert ban["keys"][0]["value"] == "+86*******0999"
        sign_up = event("su-1", "account.registered", actor="new-1", context={"phone": "13800000999"})
        assert client.post("/v1/decisions", json=sign_up, headers=auth(keys.client)).json()["decision"] == "allow"
        own = client.post(f"/v1/measures/{ban['id']}/approve", json={"reason": "agreed"}, headers=auth(keys.senior))
        assert own.status_code == 403
        analyst = client.post(f"/v1/measures/{ban['id']}/approve", json={"reason": "ok!"}, headers=auth(keys.analyst))
        assert analyst.status_code == 403
        approved = client.post(f"/v1/measures/{ban['id']}/approve", json={"reason": "agreed"}, headers=auth(keys.admin))
        assert approved.status_code == 200, approved.text
        assert approved.json()["state"] == "active"
        again = client.post(f"/v1/measures/{ban['id']}/approve", json={"reason": "twice"}, headers=auth(keys.admin))
        assert again.status_code == 409
        for event_id, kind, context in (
            ("su-2", "account.registered", {"phone": "+8613800000999"}),
            ("pb-1", "account.profile_changed", {"phone": "13800000999"}),
            ("lg-1", "account.login", {"device_id": "dev-x"}),
        ):
            decided = client.post(
                "/v1/decisions", json=event(event_id, kind, actor="new-2", context=context), headers=auth(keys.client)
            ).json()
            assert decided["decision"] == "block", (event_id, decided)
        lifted = client.post(
            f"/v1/measures/{ban['id']}/lift", json={"reason": "court order"}, headers=auth(keys.senior)
        )
        assert lifted.json()["state"] == "lifted"
        after = event("su-3", "account.registered", actor="new-3", context={"phone": "13800000999"})
        assert client.post("/v1/decisions", json=after, headers=auth(keys.client)).json()["decision"] == "allow"


class TestStatements:
    def test_withheld_statement_needs_a_reason_and_is_released_later(self, client: TestClient, keys: Keys) -> None:
        review_at = (utcnow() + timedelta(days=7)).isoformat()
        measure = apply(
            client,
            keys.senior,
            kind="restrict",
            functions=["withdraw"],
            withhold_statement={"legal_reason": "police asked for secrecy (case 2026-17)", "review_at": review_at},
        )
        assert client.get("/v1/accounts/acct-m/statements", headers=auth(keys.client)).json() == []
        withheld = client.get("/v1/statements", params={"state": "withheld"}, headers=auth(keys.auditor)).json()
        assert [s["measure_id"] for s in withheld] == [measure["id"]]
        assert withheld[0]["withheld_reason"].startswith("police asked")
        denied = client.post(
            f"/v1/statements/{withheld[0]['id']}/release", json={"reason": "secrecy over"}, headers=auth(keys.analyst)
        )
        assert denied.status_code == 403
        released = client.post(
            f"/v1/statements/{withheld[0]['id']}/release", json={"reason": "secrecy over"}, headers=auth(keys.police)
        )
        assert released.json()["state"] == "issued"
        issued = client.get("/v1/accounts/acct-m/statements", headers=auth(keys.client)).json()
        assert "提现" in issued[0]["text_zh"]
        assert "长期" in issued[0]["text_zh"]
        past = {"legal_reason": "secrecy", "review_at": (utcnow() - timedelta(days=1)).isoformat()}
        response = client.post(
            "/v1/measures",
            json={"reason": "x y z", "account_id": "a", "kind": "warn", "withhold_statement": past},
            headers=auth(keys.senior),
        )
        assert response.status_code == 422


class TestWebhooks:
    def test_changes_wait_while_the_receiver_is_down(self, client: TestClient, keys: Keys, receiver: Receiver) -> None:
        client.post(
            "/v1/webhooks", json={"url": receiver.url, "topics": ["restrictions.changed"]}, headers=auth(keys.admin)
        )
        receiver.up = False
        apply(client, keys.senior, kind="restrict", functions=["live"])
        drive(client, lambda: receiver.refused >= 1)
        pending = client.get("/v1/webhooks/deliveries", params={"pending": "true"}, headers=auth(keys.admin)).json()
        assert pending[0]["last_status"] == 503
        assert pending[0]["attempts"] >= 1
        receiver.up = True
        jobs(client).tick(now=utcnow() + timedelta(minutes=5))
        delivered = drive(client, lambda: receiver.topics("restrictions.changed"))
        assert delivered[0]["data"]["restrictions"]["functions"] == ["live"]
        assert client.get("/v1/webhooks/deliveries", params={"pending": "true"}, headers=auth(keys.admin)).json() == []
