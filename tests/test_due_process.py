"""The whole due-process loop through the API, on every stack (the issue's "done when")."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from fanzha.cli.main import app as cli
from fanzha.runtime import Runtime
from fanzha.webhooks.service import verify_signature
from tests.fixtures.app import auth
from tests.fixtures.due_process import Keys, Receiver, drive, open_case, tamper
from tests.fixtures.stack import Stack


def test_block_case_measure_statement_appeal_and_verified_audit(
    client: TestClient,
    keys: Keys,
    runtime: Runtime,
    receiver: Receiver,
    stack: Stack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hook = client.post("/v1/webhooks", json={"url": receiver.url}, headers=auth(keys.admin))
    assert hook.status_code == 201, hook.text
    secret = hook.json()["secret"]

    # A blocked event opens a case (through the outbox and the bus).
    case = open_case(client, keys, "fraud-1", "loop-1")
    assert case["state"] == "new"
    assert case["source_type"] == "decision"
    assert case["rules"] == ["blocklisted_counterparty"]
    assert case["legal_basis"] == ["ATOFL-22", "ATOFL-25"]
    case_id = case["id"]

    # A reviewer claims and decides it.
    claimed = client.post(f"/v1/cases/{case_id}/claim", headers=auth(keys.analyst))
    assert claimed.status_code == 200, claimed.text
    decided = client.post(
        f"/v1/cases/{case_id}/decision",
        json={
            "outcome": "action",
            "reason": "sent scam links to many users",
            "fraud_type": "refund_scam",
            "measures": [{"kind": "restrict", "functions": ["send_links", "transfer"], "duration_hours": 72}],
        },
        headers=auth(keys.analyst),
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "notified"
    assert [t["to_state"] for t in decided.json()["transitions"]] == ["new", "decided", "actioned", "notified"]
    measure = decided.json()["measures"][0]

    # The account is restricted: at the restrictions endpoint and by a signed webhook.
    restrictions = client.get("/v1/accounts/fraud-1/restrictions", headers=auth(keys.client)).json()
    assert restrictions["restricted"] is True
    assert restrictions["functions"] == ["send_links", "transfer"]
    applied = drive(client, lambda: receiver.topics("restrictions.changed"))
    assert applied[0]["data"]["change"] == "applied"
    assert applied[0]["data"]["restrictions"]["functions"] == ["send_links", "transfer"]
    headers, body = receiver.received[0]
    assert verify_signature(secret, headers["fanzha-signature"], body)
    assert not verify_signature("whsec_wrong", headers["fanzha-signature"], body)

    # The statement of reasons is produced, in Chinese and English.
    statements = client.get("/v1/accounts/fraud-1/statements", headers=auth(keys.client)).json()
    assert len(statements) == 1
    statement = statements[0]
    assert statement["text_zh"].startswith("【处置告知】")
    assert "发送链接、转账" in statement["text_zh"]
    assert "《反电信网络诈骗法》第22条" in statement["text_zh"]
    assert "是否自动化决定：否" in statement["text_zh"]
    assert "Automated decision: no" in statement["text_en"]
    assert statement["fields"]["materials"] == ["proof of identity", "an explanation of the trades or chats"]
    assert statement["appeal_deadline"] > statement["issued_at"]

    # An appeal overturns it, handled by someone else; the restriction lifts at once.
    appeal = client.post(
        "/v1/appeals",
        json={"measure_id": measure["id"], "account_id": "fraud-1", "grounds": "my account was stolen that day"},
        headers=auth(keys.client),
    )
    assert appeal.status_code == 201, appeal.text
    appeal_id = appeal.json()["id"]
    assert client.post(f"/v1/appeals/{appeal_id}/claim", headers=auth(keys.appeals)).status_code == 200
    overturned = client.post(
        f"/v1/appeals/{appeal_id}/decision",
        json={"outcome": "overturn", "reason": "device records confirm the takeover"},
        headers=auth(keys.appeals),
    )
    assert overturned.status_code == 200, overturned.text
    restored = client.get("/v1/accounts/fraud-1/restrictions", headers=auth(keys.client)).json()
    assert restored["restricted"] is False
    assert restored["functions"] == []
    reversed_hooks = drive(
        client, lambda: [h for h in receiver.topics("restrictions.changed") if h["data"]["change"] == "reversed"]
    )
    assert reversed_hooks[0]["data"]["restrictions"]["restricted"] is False
    assert client.get(f"/v1/cases/{case_id}", headers=auth(keys.analyst)).json()["state"] == "reversed"
    counts = client.get("/v1/appeals/rules", headers=auth(keys.auditor)).json()
    assert counts == [{"rule": "blocklisted_counterparty", "appeals": 1, "upheld": 0, "overturned": 1}]

    # The audit log verifies; altering one row directly in the database breaks it at that row.
    monkeypatch.setenv("FANZHA_DATABASE_URL", stack.database_url)
    runner = CliRunner()
    data_dir = str(tmp_path / "cli")
    result = runner.invoke(cli, ["audit", "verify", "--data-dir", data_dir])
    assert result.exit_code == 0, result.stderr
    assert "OK" in result.stderr
    entries = client.get("/v1/audit", params={"action": "measure.activate"}, headers=auth(keys.auditor)).json()
    target = entries["items"][0]["seq"]
    tamper(runtime, target)
    result = runner.invoke(cli, ["audit", "verify", "--data-dir", data_dir])
    assert result.exit_code == 1
    assert f"entry {target}" in result.stderr
