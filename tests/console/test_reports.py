"""The reports pages: who may open them, filters, the hidden reporter, masking, the linked case, CSV export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fanzha.audit.models import AuditEntry
from fanzha.auth.roles import Role
from fanzha.runtime import Runtime
from tests.fixtures.app import auth
from tests.fixtures.console import ConsoleUserLogin, sign_in
from tests.fixtures.console_data import report
from tests.fixtures.due_process import Keys

PHONE = "+8613911112222"
REPORTER = "victim-secret-42"


def _refs(html: str) -> list[str]:
    return re.findall(r'data-testid="report-ref">([^<]*)<', html)


def _ref(body: dict[str, object]) -> str:
    return f"R{int(str(body['id'])):08d}"


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.analyst, 200), (Role.police_liaison, 200), (Role.auditor, 200), (Role.metrics, 403), (Role.api_client, 403)],
)
def test_who_may_open_the_reports(
    console_client: TestClient,
    make_console_user: Callable[..., ConsoleUserLogin],
    keys: Keys,
    role: Role,
    status: int,
) -> None:
    filed = report(console_client, keys.client, reporter=REPORTER, subjects=[{"type": "account", "id": "acct-1"}])
    sign_in(console_client, make_console_user(role))
    assert console_client.get("/console/reports").status_code == status
    assert console_client.get(f"/console/reports/{filed['id']}").status_code == status
    assert console_client.get("/console/reports/export.csv").status_code == status


def test_filters_narrow_the_reports(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys
) -> None:
    phone = report(console_client, keys.client, reporter="r1", subjects=[{"type": "phone", "id": PHONE}])
    task_a = report(
        console_client,
        keys.client,
        reporter="r2",
        subjects=[{"type": "account", "id": "acct-a"}],
        category="T01_task_rebate",
    )
    task_b = report(
        console_client,
        keys.client,
        reporter="r3",
        subjects=[{"type": "account", "id": "acct-b"}],
        category="T01_task_rebate",
    )
    resolved = console_client.post(
        f"/v1/reports/{task_b['id']}/resolution",
        json={"founded": True, "reason": "chat logs"},
        headers=auth(keys.analyst),
    )
    assert resolved.status_code == 200, resolved.text
    sign_in(console_client, make_console_user(Role.analyst))
    assert _refs(console_client.get("/console/reports").text) == [_ref(task_b), _ref(task_a), _ref(phone)]
    by_category = console_client.get("/console/reports", params={"category": "T01_task_rebate"}).text
    assert _refs(by_category) == [_ref(task_b), _ref(task_a)]
    by_state = console_client.get("/console/reports", params={"state": "founded"}).text
    assert _refs(by_state) == [_ref(task_b)]
    by_subject = console_client.get("/console/reports", params={"subject_type": "account", "subject": "acct-a"}).text
    assert _refs(by_subject) == [_ref(task_a)]
    # a phone is found however it is written
    by_phone = console_client.get("/console/reports", params={"subject_type": "phone", "subject": "139 1111 2222"}).text
    assert _refs(by_phone) == [_ref(phone)]


def test_an_analyst_sees_neither_the_reporter_nor_the_phone(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys
) -> None:
    filed = report(
        console_client,
        keys.client,
        reporter=REPORTER,
        subjects=[{"type": "phone", "id": PHONE}],
        text=f"对方用 {PHONE} 打给我，说是公安局的",
    )
    csrf = sign_in(console_client, make_console_user(Role.analyst))
    for url in ("/console/reports", f"/console/reports/{filed['id']}", "/console/reports/export.csv"):
        body = console_client.get(url).text
        assert PHONE not in body
        assert REPORTER not in body
    page = console_client.get(f"/console/reports/{filed['id']}").text
    assert "+86*******2222" in page
    assert "说是公安局的" in page  # the narrative is there, its number masked
    refused = console_client.post(f"/console/reports/{filed['id']}/reveal", data={"csrf_token": csrf})
    assert refused.status_code == 403
    assert REPORTER not in refused.text


def test_a_reviewer_may_reveal_the_reporter_and_it_is_audited(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys, runtime: Runtime
) -> None:
    filed = report(console_client, keys.client, reporter=REPORTER, subjects=[{"type": "phone", "id": PHONE}])
    csrf = sign_in(console_client, make_console_user(Role.senior_reviewer, "senior"))
    assert REPORTER not in console_client.get(f"/console/reports/{filed['id']}").text
    revealed = console_client.post(
        f"/console/reports/{filed['id']}/reveal", data={"csrf_token": csrf, "reason": "possible repeat reporter"}
    )
    assert re.search(rf'data-testid="reporter-id">{REPORTER}<', revealed.text)
    assert PHONE in revealed.text
    with runtime.sessions() as session:
        entries = list(session.execute(select(AuditEntry).where(AuditEntry.action == "personal_data.reveal")).scalars())
    assert [(entry.actor, entry.object_type, entry.object_id, entry.reason) for entry in entries] == [
        ("user:senior", "report", str(filed["id"]), "possible repeat reporter")
    ]


def test_the_report_page_links_its_case(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys
) -> None:
    first = report(console_client, keys.client, reporter="r1", subjects=[{"type": "account", "id": "acct-x"}])
    second = report(console_client, keys.client, reporter="r2", subjects=[{"type": "account", "id": "acct-x"}])
    assert first["case_id"] == second["case_id"]
    sign_in(console_client, make_console_user(Role.analyst))
    page = console_client.get(f"/console/reports/{second['id']}").text
    assert f'href="/console/cases/{second["case_id"]}" data-testid="case-link"' in page
    assert f'/console/reports/{first["id"]}"' in page  # the other report in the case


def test_csv_export_is_formula_safe_and_follows_the_filters(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys
) -> None:
    report(console_client, keys.client, reporter="r1", subjects=[{"type": "account", "id": '=HYPERLINK("x")'}])
    report(
        console_client, keys.client, reporter="r2", subjects=[{"type": "phone", "id": PHONE}], category="T05_fake_loan"
    )
    sign_in(console_client, make_console_user(Role.analyst))
    answer = console_client.get("/console/reports/export.csv", params={"category": "T02_investment"})
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0][:4] == ["report", "received_at", "category", "state"]
    assert [row[2] for row in rows[1:]] == ["T02_investment"]
    assert rows[1][4] == '\'=HYPERLINK("x") (account)'
    everything = list(csv.reader(io.StringIO(console_client.get("/console/reports/export.csv").text)))
    assert not [cell for row in everything[1:] for cell in row if cell and cell[0] in "=+-@"]
    assert "'+86*******2222 (phone)" in [row[4] for row in everything[1:]]


def test_numbers_in_an_evidence_description_are_masked_for_an_analyst(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys
) -> None:
    card = "6222021234567890123"
    answer = console_client.post(
        "/v1/reports",
        json={
            "reporter": {"id": REPORTER},
            "subjects": [{"type": "account", "id": "acct-ev"}],
            "category": "T02_investment",
            "text": "转账截图",
            "evidence": [
                {"sha256": "a" * 64, "type": "image/png", "size_bytes": 10, "description": f"转到卡号 {card}"}
            ],
        },
        headers=auth(keys.client),
    )
    assert answer.status_code == 201, answer.text
    filed = answer.json()
    sign_in(console_client, make_console_user(Role.analyst))
    for url in (f"/console/reports/{filed['id']}", f"/console/cases/{filed['case_id']}"):
        page = console_client.get(url)
        assert page.status_code == 200
        assert "转到卡号" in page.text
        assert card not in page.text, url


def test_an_uploaded_file_is_a_recorded_download_for_roles_that_may_reveal(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys, runtime: Runtime
) -> None:
    import hashlib

    from tests.fixtures.reports import PNG, answers, form_link, open_form, reference_of, report_id_of

    url = form_link(console_client, keys.client, "victim-file")
    filed = console_client.post(
        "/report",
        data={**open_form(console_client, url), **answers()},
        files=[("evidence", ("chat.png", PNG, "application/octet-stream"))],
        follow_redirects=False,
    )
    assert filed.status_code == 303, filed.text
    report_id = report_id_of(reference_of(filed.headers["location"]))
    digest = hashlib.sha256(PNG).hexdigest()
    download = f"/console/reports/{report_id}/evidence/{digest}"

    csrf = sign_in(console_client, make_console_user(Role.analyst))
    assert 'data-testid="open-evidence"' not in console_client.get(f"/console/reports/{report_id}").text
    assert console_client.post(download, data={"csrf_token": csrf}).status_code == 403

    console_client.cookies.clear()
    csrf = sign_in(console_client, make_console_user(Role.senior_reviewer))
    assert 'data-testid="open-evidence"' in console_client.get(f"/console/reports/{report_id}").text
    assert console_client.post(download, data={}).status_code == 403  # no CSRF token
    answer = console_client.post(download, data={"csrf_token": csrf})
    assert answer.status_code == 200
    assert answer.content == PNG
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["content-disposition"].startswith("attachment;")
    other = f"/console/reports/{report_id}/evidence/{'0' * 64}"
    assert console_client.post(other, data={"csrf_token": csrf}).status_code == 404
    with runtime.sessions() as session:
        reveals = session.execute(
            select(AuditEntry.object_id).where(
                AuditEntry.action == "personal_data.reveal", AuditEntry.object_type == "report_evidence"
            )
        ).scalars()
        assert list(reveals) == [f"{report_id}:{digest}"]
