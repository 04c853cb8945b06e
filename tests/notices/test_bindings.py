"""A phone in a police notice finds the accounts bound to it now, or unbound within the lookback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from fanzha.runtime import Runtime
from tests.fixtures.app import auth
from tests.fixtures.due_process import Keys
from tests.fixtures.stack import Stack
from tests.notices.helpers import bind, notice

RECEIVED = datetime(2026, 6, 1, 8, tzinfo=UTC)
PHONE = "+8613800138000"
OTHER = "+8613900139000"


def import_phones(client: TestClient, keys: Keys, document_no: str, *phones: str) -> dict[str, dict[str, object]]:
    body = notice(
        document_no,
        case_no=f"case-{document_no}",
        received_at=RECEIVED.isoformat(),
        identifiers=[{"type": "phone", "value": phone} for phone in phones],
    )
    created = client.post("/v1/notices", json=body, headers=auth(keys.police))
    assert created.status_code == 201, created.text
    feedback = client.get(f"/v1/notices/{created.json()['id']}/feedback", headers=auth(keys.police)).json()
    return {row["value"]: row for row in feedback["identifiers"]}


def test_bound_and_recently_unbound_accounts_are_found_and_disposed(
    client: TestClient, keys: Keys, stack: Stack
) -> None:
    bind(
        stack.engine,
        ("holder-now", PHONE, RECEIVED - timedelta(days=400), None),
        ("holder-before", PHONE, RECEIVED - timedelta(days=800), RECEIVED - timedelta(days=30)),
        ("holder-long-ago", PHONE, RECEIVED - timedelta(days=900), RECEIVED - timedelta(days=181)),
        ("someone-else", OTHER, RECEIVED - timedelta(days=900), RECEIVED - timedelta(days=200)),
    )
    rows = import_phones(client, keys, "doc-1", PHONE, OTHER)
    found = rows[PHONE]
    assert found["outcome"] == "found"
    assert found["accounts"] == ["holder-before", "holder-now"]
    assert any(m.startswith("holder-before:suspend#") for m in found["measures"])
    assert sorted(found["bind_periods"]) == [
        f"holder-before:{(RECEIVED - timedelta(days=800)).isoformat()}/{(RECEIVED - timedelta(days=30)).isoformat()}",
        f"holder-now:{(RECEIVED - timedelta(days=400)).isoformat()}/..",
    ]
    beyond = rows[OTHER]
    assert beyond["outcome"] == "not_found"
    assert beyond["accounts"] == []
    assert "180 days" in str(beyond["note"])
    assert "keeps no phone binding" not in str(beyond["note"])
    restrictions = client.get("/v1/accounts/holder-before/restrictions", headers=auth(keys.client)).json()
    assert restrictions["suspended_until"] is not None
    untouched = client.get("/v1/accounts/holder-long-ago/restrictions", headers=auth(keys.client)).json()
    assert untouched["suspended_until"] is None


def test_the_lookback_is_a_setting(client: TestClient, keys: Keys, stack: Stack, runtime: Runtime) -> None:
    bind(stack.engine, ("holder-before", PHONE, RECEIVED - timedelta(days=800), RECEIVED - timedelta(days=30)))
    runtime.settings.notice_binding_lookback_days = 10
    narrow = import_phones(client, keys, "doc-narrow", PHONE)[PHONE]
    assert (narrow["outcome"], narrow["accounts"]) == ("not_found", [])
    assert "10 days" in str(narrow["note"])
    runtime.settings.notice_binding_lookback_days = 31
    wide = import_phones(client, keys, "doc-wide", PHONE)[PHONE]
    assert (wide["outcome"], wide["accounts"]) == ("found", ["holder-before"])


def test_found_accounts_join_the_case_as_linked_subjects(client: TestClient, keys: Keys, stack: Stack) -> None:
    bind(stack.engine, ("holder-now", PHONE, RECEIVED - timedelta(days=5), None))
    created = client.post(
        "/v1/notices",
        json=notice(received_at=RECEIVED.isoformat(), identifiers=[{"type": "phone", "value": "138 0013 8000"}]),
        headers=auth(keys.police),
    ).json()
    assert created["found_count"] == 1
    case = client.get(f"/v1/cases/{created['case_id']}", headers=auth(keys.police)).json()
    assert {(s["type"], s["role"]) for s in case["subjects"]} == {("phone", "notified"), ("account", "linked")}
    assert ("account", "holder-now") in {(s["type"], s["value"]) for s in case["subjects"]}
