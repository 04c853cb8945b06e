"""Deadlines: a notice close to its deadline is warned about and its case escalated; a passed one is marked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from fanzha.bus.worker import DueProcessJobs
from fanzha.kit.clock import utcnow
from fanzha.runtime import Runtime
from tests.fixtures.app import auth
from tests.fixtures.due_process import Keys, drive, jobs
from tests.fixtures.stack import Stack
from tests.notices.helpers import notice


def create(client: TestClient, keys: Keys, document_no: str, due_in: timedelta) -> dict[str, Any]:
    now = utcnow()
    body = notice(
        document_no,
        case_no=f"case-{document_no}",
        received_at=(now - timedelta(hours=1)).isoformat(),
        deadline=(now + due_in).isoformat(),
    )
    response = client.post("/v1/notices", json=body, headers=auth(keys.police))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def read(client: TestClient, keys: Keys, notice_id: int) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/v1/notices/{notice_id}", headers=auth(keys.police)).json()
    return body


def audit_actions(stack: Stack, notice_id: int) -> list[str]:
    with stack.engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT action FROM audit_log WHERE object_type = 'notice' AND object_id = :id ORDER BY seq"),
            {"id": str(notice_id)},
        ).all()
    return [row[0] for row in rows]


def test_a_notice_near_its_deadline_is_warned_once_and_its_case_escalated(
    client: TestClient, keys: Keys, stack: Stack
) -> None:
    near = create(client, keys, "near", timedelta(hours=10))
    far = create(client, keys, "far", timedelta(days=3))
    warned = drive(client, lambda: read(client, keys, near["id"])["deadline_warned_at"])
    assert warned is not None
    jobs(client).tick()
    assert audit_actions(stack, near["id"]) == ["notice.import", "notice.deadline_warning"]
    case = client.get(f"/v1/cases/{near['case_id']}", headers=auth(keys.police)).json()
    assert case["state"] == "escalated"
    assert read(client, keys, far["id"])["deadline_warned_at"] is None
    assert read(client, keys, near["id"])["overdue_at"] is None
    soon = (utcnow() + timedelta(hours=24)).isoformat()
    listed = client.get("/v1/notices", params={"due_before": soon}, headers=auth(keys.police)).json()
    assert [item["document_no"] for item in listed] == ["near"]


def test_a_passed_deadline_is_marked_and_listed_until_answered(client: TestClient, keys: Keys, stack: Stack) -> None:
    late = create(client, keys, "late", timedelta(minutes=-5))
    marked = drive(client, lambda: read(client, keys, late["id"])["overdue_at"])
    assert marked is not None
    body = read(client, keys, late["id"])
    assert body["overdue"] is True
    assert body["deadline_warned_at"] is None  # past already when it arrived: marked, not warned
    assert "notice.overdue" in audit_actions(stack, late["id"])
    case = client.get(f"/v1/cases/{late['case_id']}", headers=auth(keys.police)).json()
    assert case["state"] == "escalated"
    overdue = client.get("/v1/notices", params={"overdue": "true"}, headers=auth(keys.police)).json()
    assert [item["document_no"] for item in overdue] == ["late"]
    client.post(f"/v1/notices/{late['id']}/answered", json={"note": "faxed"}, headers=auth(keys.police))
    assert client.get("/v1/notices", params={"overdue": "true"}, headers=auth(keys.police)).json() == []


def test_the_warning_lead_is_a_setting(client: TestClient, keys: Keys, runtime: Runtime) -> None:
    created = create(client, keys, "in-30h", timedelta(hours=30))
    jobs(client).tick()  # the default lead (24 h) leaves it alone
    assert read(client, keys, created["id"])["deadline_warned_at"] is None
    wide = DueProcessJobs(runtime.sessions, notice_warning_hours=48)
    report = wide.tick()
    assert report.notice_warnings == 1
    assert read(client, keys, created["id"])["deadline_warned_at"] is not None
    assert wide.tick().notice_warnings == 0
