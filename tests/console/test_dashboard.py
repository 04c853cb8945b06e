"""The dashboard: widgets per role, and numbers equal to what was decided, opened, imported and appealed."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from fanzha.auth.roles import Role
from fanzha.cases.models import Case, EvidenceRelease
from fanzha.console.pages.dashboard import Buckets, SettledBuckets, Window, decision_volume, top_rules
from fanzha.kit.clock import utcnow
from fanzha.kit.db import transaction
from fanzha.runtime import Runtime
from tests.fixtures.app import auth
from tests.fixtures.console import ConsoleUserLogin, sign_in
from tests.fixtures.console_data import appeal, decisions_mix, notice, number, store_decision, text_of
from tests.fixtures.due_process import Keys
from tests.fixtures.referrals import approve, decision_case, refer

WIDGETS = ("decisions-widget", "rules-widget", "queues-widget", "notices-widget", "appeals-widget")


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (Role.admin, set(WIDGETS)),
        (Role.analyst, {"decisions-widget", "rules-widget", "queues-widget", "appeals-widget"}),
        (Role.police_liaison, {"queues-widget", "notices-widget"}),
        (Role.auditor, {"decisions-widget", "rules-widget", "queues-widget", "appeals-widget"}),
    ],
)
def test_each_role_sees_only_the_widgets_it_may_read(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], role: Role, shown: set[str]
) -> None:
    sign_in(console_client, make_console_user(role))
    page = console_client.get("/console/")
    assert page.status_code == 200
    present = {widget for widget in WIDGETS if f'data-testid="{widget}"' in page.text}
    assert present == shown


def test_decision_numbers_and_rule_hits_equal_what_was_decided(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys
) -> None:
    made = decisions_mix(console_client, keys.admin, blocked=3, plain=2)
    assert made["outcomes"]["block"] == 3
    assert made["rules"]
    sign_in(console_client, make_console_user(Role.analyst))
    page = console_client.get("/console/?window=24h").text
    assert number(page, "kpi-decisions") == 5
    for outcome in ("allow", "warn", "review", "block"):
        assert number(page, f"total-{outcome}") == made["outcomes"][outcome]
    assert number(page, "kpi-blocked") == made["outcomes"]["block"]
    rows = re.findall(
        r'data-testid="rule-row"><td><code>([^<]+)</code></td><td class="num" data-testid="rule-hits">(\d+)<', page
    )
    shown = dict(rows)
    assert {rule: int(hits) for rule, hits in shown.items()} == dict(made["rules"])
    assert page.count('<g class="bar"') == 24
    assert console_client.get("/console/?window=7d").text.count('<g class="bar"') == 28


def test_the_window_decides_which_stored_decisions_count(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], runtime: Runtime
) -> None:
    store_decision(runtime, "recent", decision="block", decided_at=utcnow() - timedelta(minutes=5), rules=["r_recent"])
    store_decision(runtime, "older", decision="review", decided_at=utcnow() - timedelta(hours=30), rules=["r_old"])
    store_decision(runtime, "ancient", decision="block", decided_at=utcnow() - timedelta(days=9), rules=["r_old"])
    sign_in(console_client, make_console_user(Role.analyst))
    day = console_client.get("/console/").text
    assert number(day, "kpi-decisions") == 1
    assert "r_old" not in day
    week = console_client.get("/console/?window=7d").text
    assert number(week, "kpi-decisions") == 2
    assert number(week, "total-review") == 1
    assert "r_old" in week


def test_buckets_are_counted_in_the_database(runtime: Runtime) -> None:
    now = datetime(2026, 6, 1, 10, 20, tzinfo=UTC)
    moments = {
        "a": datetime(2026, 6, 1, 9, 59, 59, tzinfo=UTC),
        "b": datetime(2026, 6, 1, 10, 0, tzinfo=UTC),
        "c": datetime(2026, 6, 1, 10, 19, tzinfo=UTC),
        "d": datetime(2026, 5, 31, 11, 0, tzinfo=UTC),
        "e": datetime(2026, 5, 31, 10, 59, tzinfo=UTC),
    }
    for name, moment in moments.items():
        store_decision(runtime, name, decision="block" if name != "c" else "allow", decided_at=moment, rules=["r1"])
    buckets = Buckets.for_window(Window.day, now)
    assert buckets.start == datetime(2026, 5, 31, 11, 0, tzinfo=UTC)
    with runtime.sessions() as session:
        volume = decision_volume(session, buckets)
        rules, sampled = top_rules(session, buckets)
    assert volume.counts[0] == {"block": 1}
    assert volume.counts[22] == {"block": 1}
    assert volume.counts[23] == {"block": 1, "allow": 1}
    assert sum(sum(counts.values()) for counts in volume.counts) == 4
    assert [buckets.index_of(moment) for moment in moments.values()] == [22, 23, 23, 0, None]
    assert rules == [("r1", 4)]
    assert sampled is False


def test_settled_buckets_are_counted_once_and_the_open_one_every_time(runtime: Runtime) -> None:
    now = datetime(2026, 6, 1, 10, 20, tzinfo=UTC)
    buckets = Buckets.for_window(Window.day, now)
    store_decision(runtime, "old", decision="block", decided_at=datetime(2026, 6, 1, 8, 30, tzinfo=UTC))
    store_decision(runtime, "open", decision="allow", decided_at=datetime(2026, 6, 1, 10, 5, tzinfo=UTC))
    settled = SettledBuckets()
    with runtime.sessions() as session:
        first = settled.volume(session, buckets, now)
    assert (first.counts[21], first.counts[23], first.total) == ({"block": 1}, {"allow": 1}, 2)
    # A row appearing in a bucket that closed long ago is not looked for again; the open bucket is.
    store_decision(runtime, "late", decision="block", decided_at=datetime(2026, 6, 1, 8, 40, tzinfo=UTC))
    store_decision(runtime, "open-2", decision="review", decided_at=datetime(2026, 6, 1, 10, 10, tzinfo=UTC))
    with runtime.sessions() as session:
        again = settled.volume(session, buckets, now)
        fresh = decision_volume(session, buckets)
    assert again.counts[21] == {"block": 1}
    assert again.counts[23] == {"allow": 1, "review": 1}
    assert again.total == 3
    assert fresh.counts[21] == {"block": 2}  # what the uncached count sees


def test_queues_and_sla_breaches(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys, runtime: Runtime
) -> None:
    ids = []
    for ref in ("q-1", "q-2"):
        created = console_client.post(
            "/v1/cases",
            json={"source_type": "manual", "source_ref": ref, "subjects": [{"type": "account", "value": ref}]},
            headers=auth(keys.analyst),
        )
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    with transaction(runtime.sessions) as session:
        session.execute(update(Case).where(Case.id == ids[0]).values(sla_due_at=utcnow() - timedelta(hours=1)))
    sign_in(console_client, make_console_user(Role.police_liaison))
    page = console_client.get("/console/").text
    assert number(page, "kpi-open-cases") == 2
    assert number(page, "kpi-sla-breached") == 1


def test_notices_by_deadline(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys
) -> None:
    notice(console_client, keys.police, "SH-1", deadline_in=-timedelta(hours=2))
    notice(console_client, keys.police, "SH-2", deadline_in=timedelta(hours=5))
    notice(console_client, keys.police, "SH-3", deadline_in=timedelta(days=3))
    notice(console_client, keys.police, "SH-4", deadline_in=timedelta(days=4))
    sign_in(console_client, make_console_user(Role.police_liaison))
    page = console_client.get("/console/").text
    tallies = [number(page, f"notices-{bucket}") for bucket in ("overdue", "due-soon", "later")]
    assert tallies == [1, 1, 2]
    assert number(page, "kpi-notices-overdue") == 1
    assert page.index("SH-1") < page.index("SH-2") < page.index("SH-3")


def test_appeals_and_overturn_rate(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys
) -> None:
    appeal(console_client, keys, "u-upheld", outcome="uphold")
    appeal(console_client, keys, "u-overturned", outcome="overturn")
    appeal(console_client, keys, "u-overturned-2", outcome="overturn")
    appeal(console_client, keys, "u-waiting", outcome=None)
    sign_in(console_client, make_console_user(Role.appeals_officer))
    page = console_client.get("/console/").text
    assert number(page, "appeals-pending") == 1
    assert number(page, "appeals-upheld") == 1
    assert number(page, "appeals-overturned") == 2
    assert text_of(page, "kpi-overturn-rate") == "67%"


def test_referrals_past_their_answer_date(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys, runtime: Runtime
) -> None:
    waiting = refer(console_client, keys.police, decision_case(console_client, keys, "ring-a", "dash-ref-1")).json()
    late = refer(console_client, keys.police, decision_case(console_client, keys, "ring-b", "dash-ref-2")).json()
    for referral in (waiting, late):
        assert approve(console_client, keys.senior, referral["id"]).status_code == 200
    late_release = console_client.get(f"/v1/referrals/{late['id']}", headers=auth(keys.police)).json()["release_id"]
    with transaction(runtime.sessions) as session:
        session.execute(
            update(EvidenceRelease)
            .where(EvidenceRelease.id == late_release)
            .values(decided_at=utcnow() - timedelta(days=runtime.settings.referral_answer_days + 1))
        )
    sign_in(console_client, make_console_user(Role.police_liaison))
    page = console_client.get("/console/").text
    assert number(page, "kpi-referrals-overdue") == 1
    assert "待公安机关答复共 2 件" in page  # both approved referrals still await the answer
