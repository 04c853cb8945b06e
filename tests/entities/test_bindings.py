"""Phone bindings: from the decision path's events, from the account system, and the look-up by phone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from fanzha.entities import bindings
from fanzha.entities.repository import BindingRepository
from fanzha.kit.db import session_factory, transaction
from tests.fixtures.app import auth, event
from tests.fixtures.due_process import Keys, drive
from tests.fixtures.stack import Stack

T0 = datetime(2026, 1, 1, 8, tzinfo=UTC)


def lookup(client: TestClient, keys: Keys, phone: str) -> dict[str, Any]:
    response = client.get(f"/v1/phones/{phone}/accounts", headers=auth(keys.police))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def periods(client: TestClient, keys: Keys, phone: str) -> list[tuple[str, str | None]]:
    return [(item["account_id"], item["unbound_at"]) for item in lookup(client, keys, phone)["bindings"]]


def decide(client: TestClient, keys: Keys, event_id: str, event_type: str, account: str, phone: str, at: str) -> str:
    response = client.post(
        "/v1/decisions",
        json=event(event_id, event_type, actor=account, occurred_at=at, context={"phone": phone}),
        headers=auth(keys.client),
    )
    assert response.status_code == 200, response.text
    decision: str = response.json()["decision"]
    return decision


class TestFromEvents:
    def test_registration_binds_and_a_change_of_phone_closes_the_old_binding(
        self, client: TestClient, keys: Keys
    ) -> None:
        decide(client, keys, "reg-1", "account.registered", "acct-a", "138 0013 8000", "2026-06-01T08:00:00+00:00")
        found = drive(client, lambda: lookup(client, keys, "+8613800138000")["current"] == 1)
        assert found
        decide(
            client, keys, "chg-1", "account.profile_changed", "acct-a", "+8613900139000", "2026-07-01T08:00:00+00:00"
        )
        drive(client, lambda: lookup(client, keys, "13900139000")["current"] == 1)
        old = lookup(client, keys, "13800138000")
        assert (old["phone"], old["current"], old["total"]) == ("+8613800138000", 0, 1)
        assert old["bindings"][0]["account_id"] == "acct-a"
        assert old["bindings"][0]["unbound_at"].startswith("2026-07-01T08:00:00")
        assert old["bindings"][0]["source"] == "event:reg-1"
        new = lookup(client, keys, "+86 139 0013 9000")
        assert [(b["account_id"], b["current"], b["source"]) for b in new["bindings"]] == [
            ("acct-a", True, "event:chg-1")
        ]

    def test_the_same_phone_again_changes_nothing_and_a_blocked_change_binds_nothing(
        self, client: TestClient, keys: Keys
    ) -> None:
        decide(client, keys, "reg-2", "account.registered", "acct-b", "+8613800138001", "2026-06-01T08:00:00+00:00")
        decide(
            client, keys, "chg-2", "account.profile_changed", "acct-b", "+8613800138001", "2026-06-02T08:00:00+00:00"
        )
        client.post("/v1/lists/blocked_phones/entries", json={"value": "+8613700137000"}, headers=auth(keys.admin))
        blocked = decide(
            client, keys, "chg-3", "account.profile_changed", "acct-b", "+8613700137000", "2026-06-03T08:00:00+00:00"
        )
        assert blocked == "block"
        # A login names the session's phone, not the account's binding.
        decide(client, keys, "login-1", "account.login", "acct-b", "+8613600136000", "2026-06-04T08:00:00+00:00")
        drive(client, lambda: lookup(client, keys, "+8613800138001")["current"] == 1)
        drive(client, lambda: True)  # one more round: every message is handled
        assert periods(client, keys, "+8613800138001") == [("acct-b", None)]
        assert lookup(client, keys, "+8613700137000")["total"] == 0
        assert lookup(client, keys, "+8613600136000")["total"] == 0


def record(engine: Engine, *facts: tuple[str, str, datetime, datetime | None]) -> bindings.Recorded:
    with transaction(session_factory(engine)) as session:
        return bindings.record(
            session,
            [
                bindings.BindingFact(account, bindings.normalise_phone(phone), start, end, "test")
                for account, phone, start, end in facts
            ],
        )


def stored(engine: Engine, account: str) -> list[tuple[str, datetime, datetime | None]]:
    with session_factory(engine)() as session:
        rows = BindingRepository(session).for_accounts([account]).get(account, [])
        return [(row.phone, row.bound_at, row.unbound_at) for row in rows]


class TestRecording:
    def test_rebinding_closes_the_previous_binding(self, stack: Stack) -> None:
        p1, p2 = "+8613800138000", "+8613900139000"
        first = record(stack.engine, ("a", p1, T0, None))
        second = record(stack.engine, ("a", p2, T0 + timedelta(days=10), None))
        assert (first.recorded, second.recorded, second.closed) == (1, 1, 1)
        assert stored(stack.engine, "a") == [(p1, T0, T0 + timedelta(days=10)), (p2, T0 + timedelta(days=10), None)]

    def test_a_late_event_becomes_history_and_an_earlier_sighting_moves_the_start(self, stack: Stack) -> None:
        p0, p1 = "+8613700137000", "+8613800138000"
        record(stack.engine, ("a", p1, T0, None))
        late = record(stack.engine, ("a", p0, T0 - timedelta(days=30), None))
        assert (late.recorded, late.closed) == (1, 0)
        earlier = record(stack.engine, ("a", p1, T0 - timedelta(days=5), None))
        assert (earlier.recorded, earlier.updated) == (0, 1)
        assert stored(stack.engine, "a") == [
            (p0, T0 - timedelta(days=30), T0 - timedelta(days=5)),
            (p1, T0 - timedelta(days=5), None),
        ]

    def test_a_phone_seen_again_after_a_rebinding_that_arrives_late_is_current(self, stack: Stack) -> None:
        p1, p2 = "+8613800138000", "+8613900139000"
        t1, t2, t3 = T0, T0 + timedelta(days=10), T0 + timedelta(days=20)
        record(stack.engine, ("a", p1, t1, None))
        seen_again = record(stack.engine, ("a", p1, t3, None))  # arrives before the change at t2
        assert seen_again.changed is False
        late = record(stack.engine, ("a", p2, t2, None))
        assert (late.recorded, late.closed) == (2, 1)
        assert stored(stack.engine, "a") == [(p1, t1, t2), (p2, t2, t3), (p1, t3, None)]

    def test_sending_a_binding_again_with_its_end_records_the_unbinding(self, stack: Stack) -> None:
        phone = "+8613800138000"
        record(stack.engine, ("a", phone, T0, None))
        again = record(stack.engine, ("a", phone, T0, None))
        assert (again.recorded, again.unchanged) == (0, 1)
        ended = record(stack.engine, ("a", phone, T0, T0 + timedelta(days=3)))
        assert ended.updated == 1
        assert stored(stack.engine, "a") == [(phone, T0, T0 + timedelta(days=3))]

    def test_an_ended_binding_known_from_earlier_closes_the_binding_an_event_opened(self, stack: Stack) -> None:
        # The event path opened the binding at the registration event; the account system later sends
        # the same binding with its own (earlier) start and its end: it is one binding, now ended.
        phone = "+8613800138000"
        record(stack.engine, ("a", phone, T0, None))
        ended = record(stack.engine, ("a", phone, T0 - timedelta(seconds=5), T0 + timedelta(days=3)))
        assert (ended.recorded, ended.updated) == (0, 1)
        assert stored(stack.engine, "a") == [(phone, T0 - timedelta(seconds=5), T0 + timedelta(days=3))]

    def test_bound_accounts_within_the_lookback_only(self, stack: Stack) -> None:
        phone = "+8613800138000"
        at = T0 + timedelta(days=365)
        record(
            stack.engine,
            ("now", phone, T0, None),
            ("recent", phone, T0, at - timedelta(days=30)),
            ("long-ago", phone, T0, at - timedelta(days=200)),
        )
        with session_factory(stack.engine)() as session:
            found = bindings.bound_accounts(session, [phone], at=at, lookback=timedelta(days=180))
            narrow = bindings.bound_accounts(session, [phone], at=at, lookback=timedelta(days=10))
        assert sorted(account for account, _start, _end in found[phone]) == ["now", "recent"]
        assert [account for account, _start, _end in narrow[phone]] == ["now"]


class TestApi:
    def test_the_account_system_pushes_bindings_and_unbindings(self, client: TestClient, keys: Keys) -> None:
        batch = [
            {"account_id": "u1", "phone": "13800138000", "bound_at": "2026-01-01T00:00:00Z"},
            {
                "account_id": "u2",
                "phone": "+86 138 0013 8000",
                "bound_at": "2026-02-01T00:00:00Z",
                "source": "acct-sys",
            },
            {"account_id": "u1", "phone": "13900139000", "bound_at": "2026-03-01T00:00:00Z"},
        ]
        response = client.post("/v1/accounts/bindings", json={"bindings": batch}, headers=auth(keys.client))
        assert response.status_code == 200, response.text
        assert response.json() == {"recorded": 3, "updated": 0, "closed": 1, "unchanged": 0}
        body = lookup(client, keys, "+8613800138000")
        assert (body["current"], body["total"]) == (1, 2)
        assert [(b["account_id"], b["current"]) for b in body["bindings"]] == [("u2", True), ("u1", False)]
        assert body["bindings"][0]["source"] == "acct-sys"
        assert body["bindings"][1]["source"].startswith("api:")
        unbind = {**batch[1], "unbound_at": "2026-04-01T00:00:00Z"}
        again = client.post("/v1/accounts/bindings", json={"bindings": [unbind]}, headers=auth(keys.client))
        assert again.json()["updated"] == 1
        assert lookup(client, keys, "13800138000")["current"] == 0

    def test_a_bad_phone_stores_nothing(self, client: TestClient, keys: Keys, stack: Stack) -> None:
        batch = [
            {"account_id": "u1", "phone": "13800138000", "bound_at": "2026-01-01T00:00:00Z"},
            {"account_id": "u2", "phone": "12345", "bound_at": "2026-01-01T00:00:00Z"},
        ]
        response = client.post("/v1/accounts/bindings", json={"bindings": batch}, headers=auth(keys.client))
        assert response.status_code == 422, response.text
        assert [(d["index"], d["value"]) for d in response.json()["details"]] == [(1, "12345")]
        with stack.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM phone_bindings")).scalar_one() == 0
        ends_first = {**batch[0], "unbound_at": "2025-12-01T00:00:00Z"}
        refused = client.post("/v1/accounts/bindings", json={"bindings": [ends_first]}, headers=auth(keys.client))
        assert refused.status_code == 422

    @pytest.mark.parametrize(("who", "status"), [("auditor", 403), ("police", 200), ("analyst", 200), ("client", 200)])
    def test_who_may_look_up_a_phone(self, client: TestClient, keys: Keys, who: str, status: int) -> None:
        response = client.get("/v1/phones/13800138000/accounts", headers=auth(getattr(keys, who)))
        assert response.status_code == status

    def test_only_the_platform_and_admin_push_bindings_and_a_bad_phone_is_refused(
        self, client: TestClient, keys: Keys
    ) -> None:
        body = {"bindings": [{"account_id": "u1", "phone": "13800138000", "bound_at": "2026-01-01T00:00:00Z"}]}
        assert client.post("/v1/accounts/bindings", json=body, headers=auth(keys.police)).status_code == 403
        assert client.post("/v1/accounts/bindings", json=body, headers=auth(keys.admin)).status_code == 200
        assert client.get("/v1/phones/not-a-phone/accounts", headers=auth(keys.police)).status_code == 422

    def test_lookups_are_audited_with_the_phone_masked(self, client: TestClient, keys: Keys, stack: Stack) -> None:
        lookup(client, keys, "13800138000")
        with stack.engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT object_id FROM audit_log WHERE action = 'phone_binding.lookup'")
            ).all()
        assert [row[0] for row in rows] == ["+86*******8000"]
