"""Victim early warning end to end through the HTTP app: issue with the decision, delivery, choice, counts."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.testclient import TestClient

from fanzha.runtime import Runtime
from tests.fixtures.app import auth, event
from tests.fixtures.due_process import Keys


def report_account(client: TestClient, keys: Keys, account: str, category: str = "T04_fake_cs_refund") -> None:
    """Enough reliable users report ``account`` for it to go on ``reported_accounts``."""
    flagged: list[str] = []
    for i in range(10):
        body = {
            "reporter": {"id": f"reporter-{account}-{i}"},
            "subjects": [{"type": "account", "id": account}],
            "category": category,
            "text": "对方冒充客服让我转账退款",
        }
        answer = client.post("/v1/reports", json=body, headers=auth(keys.client))
        assert answer.status_code == 201, answer.text
        flagged = answer.json()["flagged_subjects"]
        if flagged:
            return
    raise AssertionError(f"{account} never went on the reported list")


def decide(client: TestClient, key: str, payload: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/decisions", json=payload, headers=auth(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def payment(event_id: str, payer: str, payee: str, **fields: Any) -> dict[str, Any]:
    return event(
        event_id, "payment.created", actor=payer, counterparty={"id": payee}, attributes={"amount": 800}, **fields
    )


def test_payment_to_a_reported_counterparty_is_warned_in_chinese(client: TestClient, keys: Keys) -> None:
    report_account(client, keys, "fake-cs-1")
    body = decide(client, keys.client, payment("pay-1", "payer-1", "fake-cs-1", context={"locale": "zh-CN"}))
    assert body["decision"] == "warn"
    assert [reason["rule"] for reason in body["reasons"]] == ["reported_counterparty"]
    warning = body["warning"]
    assert (warning["recipient"], warning["recipient_id"]) == ("actor", "payer-1")
    assert warning["channel"] == "payment_interstitial"
    assert warning["rule"] == "reported_counterparty"
    assert list(warning["message"]) == ["zh"]
    zh = warning["message"]["zh"]
    assert "安全提醒" in zh["title"]
    assert zh["body"]
    assert zh["advice"]
    # What the platform was told is what was stored.
    stored = client.get(f"/v1/warnings/{warning['id']}", headers=auth(keys.analyst))
    assert stored.status_code == 200, stored.text
    assert stored.json()["message"] == warning["message"]
    assert stored.json()["state"] == "issued"
    assert stored.json()["event_id"] == "pay-1"


def test_english_or_both_languages_by_the_requested_locale(client: TestClient, keys: Keys) -> None:
    report_account(client, keys, "fake-cs-2")
    english = decide(client, keys.client, payment("pay-en", "payer-en", "fake-cs-2", context={"locale": "en-GB"}))
    assert list(english["warning"]["message"]) == ["en"]
    assert english["warning"]["message"]["en"]["title"].startswith("[Safety notice]")
    both = decide(client, keys.client, payment("pay-both", "payer-both", "fake-cs-2"))
    assert sorted(both["warning"]["message"]) == ["en", "zh"]


def test_the_same_event_id_gives_the_same_warning_not_two(client: TestClient, keys: Keys) -> None:
    report_account(client, keys, "fake-cs-3")
    first = decide(client, keys.client, payment("pay-twice", "payer-3", "fake-cs-3"))
    again = decide(client, keys.client, payment("pay-twice", "payer-3", "fake-cs-3"))
    assert again["warning"] == first["warning"]
    listed = client.get("/v1/warnings", params={"recipient_id": "payer-3"}, headers=auth(keys.analyst)).json()
    assert listed["total"] == 1
    assert [item["id"] for item in listed["items"]] == [first["warning"]["id"]]


def test_delivery_and_choice_are_recorded_audited_and_counted(client: TestClient, keys: Keys) -> None:
    report_account(client, keys, "fake-cs-4")
    warned = [
        decide(client, keys.client, payment(f"pay-choice-{i}", f"payer-choice-{i}", "fake-cs-4"))["warning"]
        for i in range(3)
    ]
    cancelled, continued, unseen = (w["id"] for w in warned)

    delivered = client.post(f"/v1/warnings/{cancelled}/delivery", json={}, headers=auth(keys.client))
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["state"] == "delivered"
    assert delivered.json()["delivered_at"] is not None
    repeated = client.post(f"/v1/warnings/{cancelled}/delivery", json={}, headers=auth(keys.client))
    assert repeated.json()["delivered_at"] == delivered.json()["delivered_at"]

    chose = client.post(f"/v1/warnings/{cancelled}/choice", json={"choice": "cancelled"}, headers=auth(keys.client))
    assert chose.status_code == 200, chose.text
    assert (chose.json()["state"], chose.json()["choice"]) == ("cancelled", "cancelled")
    same = client.post(f"/v1/warnings/{cancelled}/choice", json={"choice": "cancelled"}, headers=auth(keys.client))
    assert same.status_code == 200
    changed = client.post(f"/v1/warnings/{cancelled}/choice", json={"choice": "continued"}, headers=auth(keys.client))
    assert changed.status_code == 409

    # A choice reported without a delivery report means the warning was shown.
    went_on = client.post(f"/v1/warnings/{continued}/choice", json={"choice": "continued"}, headers=auth(keys.client))
    assert went_on.json()["delivered_at"] is not None

    stats = client.get("/v1/warnings/stats", headers=auth(keys.auditor))
    assert stats.status_code == 200, stats.text
    (generic,) = [row for row in stats.json()["by_typology"] if row["typology"] == "generic"]
    assert (generic["warned"], generic["delivered"], generic["cancelled"], generic["continued"]) == (3, 2, 1, 1)
    assert (generic["dissuaded"], generic["dissuasion_rate"]) == (1, 0.5)
    assert stats.json()["total"]["warned"] == 3

    unchosen = client.get("/v1/warnings", params={"state": "issued"}, headers=auth(keys.analyst)).json()
    assert [item["id"] for item in unchosen["items"]] == [unseen]

    trail = client.get("/v1/audit", params={"object_type": "victim_warning"}, headers=auth(keys.auditor)).json()
    assert sorted((entry["action"], entry["object_id"]) for entry in trail["items"]) == sorted(
        [("warning.delivered", cancelled), ("warning.choice", cancelled), ("warning.choice", continued)]
    )


def test_warnings_are_rate_limited_per_user_and_typology(client: TestClient, keys: Keys, runtime: Runtime) -> None:
    limit = runtime.settings.warning_rate_limit
    assert limit > 0
    report_account(client, keys, "fake-cs-5")
    answers = [decide(client, keys.client, payment(f"pay-limit-{i}", "payer-5", "fake-cs-5")) for i in range(limit + 2)]
    assert [answer["decision"] for answer in answers] == ["warn"] * (limit + 2)
    assert ["warning" in answer for answer in answers] == [True] * limit + [False, False]
    listed = client.get("/v1/warnings", params={"recipient_id": "payer-5"}, headers=auth(keys.analyst)).json()
    assert listed["total"] == limit
    # The decision record says why no warning came with the answer.
    record = client.get(f"/v1/decisions/pay-limit-{limit}", headers=auth(keys.analyst)).json()
    assert record["record"]["warning"]["suppressed"] == "rate_limited"
    # Another user, or another typology for the same user, is still warned.
    other_user = decide(client, keys.client, payment("pay-limit-other", "payer-6", "fake-cs-5"))
    assert "warning" in other_user
    client.post(
        "/v1/labels",
        json={"entity_type": "account", "value": "romance-1", "label": "t10_romance", "reason": "case 7"},
        headers=auth(keys.admin),
    )
    report_account(client, keys, "romance-1", category="T10_romance")
    other_typology = decide(client, keys.client, payment("pay-limit-romance", "payer-5", "romance-1"))
    assert other_typology["warning"]["typology"] == "T10_romance"


def test_a_warning_never_names_the_other_party(client: TestClient, keys: Keys) -> None:
    phone_id = "+8613912345678"
    payee_account = "6222020000001234567"
    report_account(client, keys, phone_id)
    body = decide(
        client,
        keys.client,
        event(
            "pay-pii",
            "payment.created",
            actor="payer-7",
            counterparty={"id": phone_id, "nickname": "王客服", "phone": phone_id},
            attributes={"amount": 5000, "payee_account": payee_account},
        ),
    )
    warning = body["warning"]
    stored = client.get(f"/v1/warnings/{warning['id']}", headers=auth(keys.analyst)).json()
    for text in (orjson.dumps(warning).decode(), orjson.dumps(stored).decode()):
        for secret in (phone_id, phone_id[-11:], phone_id[-4:], payee_account, payee_account[-4:], "王客服"):
            assert secret not in text


def test_a_message_from_a_reported_sender_warns_its_receiver(client: TestClient, keys: Keys) -> None:
    report_account(client, keys, "scam-sender")
    body = decide(
        client,
        keys.client,
        event("msg-1", actor="scam-sender", counterparty={"id": "victim-9"}, content={"text": "您好，我是客服"}),
    )
    assert body["decision"] == "warn"
    warning = body["warning"]
    assert (warning["recipient"], warning["recipient_id"], warning["channel"]) == (
        "counterparty",
        "victim-9",
        "chat_banner",
    )
    stored = client.get(f"/v1/warnings/{warning['id']}", headers=auth(keys.analyst)).json()
    assert stored["recipient_id"] == "victim-9"
    assert "scam-sender" not in orjson.dumps(stored).decode()


def test_who_may_report_and_read_warnings(client: TestClient, keys: Keys) -> None:
    report_account(client, keys, "fake-cs-8")
    warning_id = decide(client, keys.client, payment("pay-roles", "payer-8", "fake-cs-8"))["warning"]["id"]
    assert client.get("/v1/warnings", headers=auth(keys.client)).status_code == 403
    assert client.get("/v1/warnings/stats", headers=auth(keys.client)).status_code == 403
    assert client.post(f"/v1/warnings/{warning_id}/delivery", json={}, headers=auth(keys.analyst)).status_code == 403
    assert client.post("/v1/warnings/wrn_missing/delivery", json={}, headers=auth(keys.client)).status_code == 404
    bad = client.post(f"/v1/warnings/{warning_id}/choice", json={"choice": "maybe"}, headers=auth(keys.client))
    assert bad.status_code == 422
