"""The review queue page: queue sizes and SLA breaches, filters, claim next, pending approvals."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from fanzha.auth.roles import Role
from fanzha.cases.models import Case
from fanzha.kit.clock import utcnow
from fanzha.runtime import Runtime
from tests.fixtures.app import auth
from tests.fixtures.casework import open_blocked_case, post_form, untranslated
from tests.fixtures.console import ConsoleUserLogin, sign_in
from tests.fixtures.due_process import Keys


def _card(html: str, queue: str) -> str:
    found = re.search(rf'data-testid="queue-{queue}">(.*?)</article>', html, re.S)
    assert found, f"no card for queue {queue}"
    return found.group(1)


def _figures(card: str) -> list[int]:
    return [int(value) for value in re.findall(r"<dd>(\d+)</dd>", card)]


def test_claim_next_opens_the_most_urgent_case_and_then_says_the_queue_is_empty(
    console_client: TestClient, keys: Keys, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    first = open_blocked_case(console_client, keys, "queue-acct-1", "q-ev-1")
    csrf = sign_in(console_client, make_console_user(Role.analyst))
    page = console_client.get("/console/queue")
    assert page.status_code == 200
    assert _figures(_card(page.text, "default")) == [1, 1, 0]  # open, unclaimed, past SLA
    assert f'href="/console/cases/{first["id"]}"' in page.text
    assert untranslated(page.text) == []
    assert "Claim next" in console_client.get("/console/queue", params={"lang": "en"}).text

    claimed = post_form(console_client, "/console/queue/default/next", csrf)
    assert claimed.status_code == 303
    assert claimed.headers["location"] == f"/console/cases/{first['id']}?done=claimed"
    case = console_client.get(claimed.headers["location"])
    assert 'data-testid="decide-form"' in case.text  # the claim is the reviewer's: the decision form shows
    detail = console_client.get(f"/v1/cases/{first['id']}", headers=auth(keys.analyst)).json()
    assert detail["claimed_by"] == "user:analyst-1"

    page = console_client.get("/console/queue")
    assert _figures(_card(page.text, "default")) == [1, 0, 0]
    assert re.search(rf'data-testid="my-cases">.*?/console/cases/{first["id"]}', page.text, re.S)

    empty = post_form(console_client, "/console/queue/default/next", csrf)
    assert empty.headers["location"] == "/console/queue?empty=default"
    assert 'data-testid="queue-empty"' in console_client.get(empty.headers["location"]).text


def test_sla_breaches_are_counted_and_filters_narrow_the_list(
    console_client: TestClient,
    keys: Keys,
    runtime: Runtime,
    make_console_user: Callable[..., ConsoleUserLogin],
) -> None:
    late = open_blocked_case(console_client, keys, "queue-late", "q-ev-2")
    fresh = open_blocked_case(console_client, keys, "queue-fresh", "q-ev-3")
    with runtime.engine.begin() as connection:
        connection.execute(
            sa.update(Case).where(Case.id == late["id"]).values(sla_due_at=utcnow() - timedelta(hours=2))
        )
    sign_in(console_client, make_console_user(Role.analyst))
    page = console_client.get("/console/queue").text
    card = _card(page, "default")
    assert _figures(card) == [2, 2, 1]
    assert 'class="badge overdue"' in card

    listed = console_client.get("/console/queue", params={"state": "open", "queue": "default"}).text
    assert f'/console/cases/{late["id"]}"' in listed
    assert f'/console/cases/{fresh["id"]}"' in listed
    assert "sla overdue" in listed  # the late case's clock says it is past its SLA
    closed = console_client.get("/console/queue", params={"state": "closed"}).text
    assert f'/console/cases/{late["id"]}"' not in closed
    other_queue = console_client.get("/console/queue", params={"queue": "nowhere"}).text
    assert f'/console/cases/{fresh["id"]}"' not in other_queue


def test_a_role_without_cases_write_cannot_claim(
    console_client: TestClient, keys: Keys, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    open_blocked_case(console_client, keys, "queue-acct-3", "q-ev-4")
    csrf = sign_in(console_client, make_console_user(Role.auditor))
    page = console_client.get("/console/queue")
    assert page.status_code == 200
    assert "claim-next-default" not in page.text
    refused = post_form(console_client, "/console/queue/default/next", csrf)
    assert refused.status_code == 403
    detail = console_client.get("/v1/cases", headers=auth(keys.analyst)).json()
    assert [case["claimed_by"] for case in detail] == [None]


def test_senior_reviewers_see_what_awaits_their_approval(
    console_client: TestClient, keys: Keys, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    case = open_blocked_case(console_client, keys, "queue-close", "q-ev-5")
    console_client.post(f"/v1/cases/{case['id']}/claim", headers=auth(keys.analyst))
    decided = console_client.post(
        f"/v1/cases/{case['id']}/decision",
        json={"outcome": "action", "reason": "ring organiser", "measures": [{"kind": "close"}]},
        headers=auth(keys.analyst),
    )
    assert decided.status_code == 200, decided.text
    sign_in(console_client, make_console_user(Role.senior_reviewer))
    page = console_client.get("/console/queue").text
    approvals = page.split('data-testid="approvals"', 1)[1].split("</ul>", 1)[0]
    assert "queue-close" in approvals
    assert f'/console/cases/{case["id"]}"' in approvals


def test_the_queue_needs_cases_read(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin]
) -> None:
    sign_in(console_client, make_console_user(Role.api_client))
    assert console_client.get("/console/queue").status_code == 403
