"""The notices pages: who may open them, filters, per-identifier progress, masking, feedback downloads,
importing a file with row-level errors, and recording the answer."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fanzha.audit.models import AuditEntry
from fanzha.auth.roles import Role
from fanzha.kit.clock import utcnow
from fanzha.runtime import Runtime
from tests.fixtures.app import auth
from tests.fixtures.console import ConsoleUserLogin, sign_in
from tests.fixtures.console_data import notice, text_of
from tests.fixtures.due_process import Keys
from tests.notices.helpers import seed

PHONE = "+8613800138000"


def _documents(html: str) -> list[str]:
    return re.findall(r'data-testid="notice-document">([^<]*)<', html)


def _reveals(runtime: Runtime) -> list[tuple[str, str, str | None]]:
    with runtime.sessions() as session:
        rows = session.execute(select(AuditEntry).where(AuditEntry.action == "personal_data.reveal")).scalars()
        return [(row.actor, row.object_id, row.reason) for row in rows]


def _notice_csv(document_no: str, identifiers: list[tuple[str, str]]) -> bytes:
    received = (utcnow() - timedelta(hours=2)).isoformat()
    deadline = (utcnow() + timedelta(days=2)).isoformat()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "issuing_unit",
            "document_no",
            "case_no",
            "received_at",
            "deadline",
            "requested_measures",
            "identifier_type",
            "identifier_value",
        ]
    )
    for kind, value in identifiers:
        writer.writerow(["上海市公安局反诈中心", document_no, "A-2026-1", received, deadline, "", kind, value])
    return out.getvalue().encode("utf-8")


@pytest.mark.parametrize(
    ("role", "status"), [(Role.police_liaison, 200), (Role.admin, 200), (Role.analyst, 403), (Role.auditor, 403)]
)
def test_who_may_open_the_notices(
    console_client: TestClient,
    make_console_user: Callable[..., ConsoleUserLogin],
    keys: Keys,
    role: Role,
    status: int,
) -> None:
    made = notice(console_client, keys.police, "N-1", deadline_in=timedelta(days=1))
    sign_in(console_client, make_console_user(role))
    assert console_client.get("/console/notices").status_code == status
    assert console_client.get(f"/console/notices/{made['id']}").status_code == status
    assert console_client.get("/console/notices/import").status_code == status


def test_filters_narrow_the_notices(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys
) -> None:
    notice(console_client, keys.police, "SH-OVER", deadline_in=-timedelta(hours=2))
    notice(console_client, keys.police, "SH-SOON", deadline_in=timedelta(hours=5))
    notice(console_client, keys.police, "BJ-LATER", deadline_in=timedelta(days=3), issuing_unit="北京市公安局反诈中心")
    done = notice(console_client, keys.police, "SH-DONE", deadline_in=timedelta(days=4))
    answered = console_client.post(
        f"/v1/notices/{done['id']}/answered", json={"note": "sent by fax"}, headers=auth(keys.police)
    )
    assert answered.status_code == 200, answered.text
    sign_in(console_client, make_console_user(Role.police_liaison))
    assert _documents(console_client.get("/console/notices").text) == ["SH-OVER", "SH-SOON", "BJ-LATER", "SH-DONE"]
    assert _documents(console_client.get("/console/notices?due=overdue").text) == ["SH-OVER"]
    assert _documents(console_client.get("/console/notices?due=soon").text) == ["SH-SOON"]
    assert _documents(console_client.get("/console/notices?due=later").text) == ["BJ-LATER"]
    assert _documents(console_client.get("/console/notices?state=answered").text) == ["SH-DONE"]
    assert _documents(console_client.get("/console/notices", params={"unit": "北京"}).text) == ["BJ-LATER"]
    assert _documents(console_client.get("/console/notices", params={"number": "SH-S"}).text) == ["SH-SOON"]


def test_per_identifier_progress_follows_the_measures(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys, runtime: Runtime
) -> None:
    seed(runtime.engine, ["acct-known"])
    made = notice(
        console_client,
        keys.police,
        "N-CLOSE",
        deadline_in=timedelta(hours=10),
        identifiers=[{"type": "account", "value": "acct-known"}, {"type": "url", "value": "https://scam.example/x"}],
        requested_measures=[{"kind": "close"}],
    )
    sign_in(console_client, make_console_user(Role.police_liaison))
    page = console_client.get(f"/console/notices/{made['id']}").text
    assert text_of(page, "identifier-count") == "2"
    assert text_of(page, "found-count") == "1"
    assert text_of(page, "pending-total") == "1"
    assert re.findall(r'data-testid="identifier-outcome">([^<]*)<', page) == ["已查到", "未查到"]
    assert re.findall(r'<progress max="3" value="(\d)"', page) == ["2", "3"]
    assert "close · 待复核" in page
    assert "剩余" in text_of(page, "deadline-status")
    feedback = console_client.get(f"/v1/notices/{made['id']}/feedback", headers=auth(keys.police)).json()
    [measure] = feedback["identifiers"][0]["measures"]  # "acct-known:close#12:pending_approval"
    measure_id = int(measure.split("#")[1].split(":")[0])
    approved = console_client.post(
        f"/v1/measures/{measure_id}/approve", json={"reason": "notice checked"}, headers=auth(keys.senior)
    )
    assert approved.status_code == 200, approved.text
    after = console_client.get(f"/console/notices/{made['id']}").text
    assert re.findall(r'<progress max="3" value="(\d)"', after) == ["3", "3"]
    assert "close · 已生效" in after
    assert text_of(after, "pending-total") == "0"
    found_only = console_client.get(f"/console/notices/{made['id']}?outcome=not_found").text
    assert re.findall(r'data-testid="identifier-outcome">([^<]*)<', found_only) == ["未查到"]


def test_identifiers_are_masked_until_revealed_and_the_reveal_is_audited(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys, runtime: Runtime
) -> None:
    made = notice(
        console_client,
        keys.police,
        "N-PHONE",
        deadline_in=timedelta(days=1),
        identifiers=[{"type": "phone", "value": PHONE}],
    )
    csrf = sign_in(console_client, make_console_user(Role.police_liaison, "liaison"))
    page = console_client.get(f"/console/notices/{made['id']}").text
    assert PHONE not in page
    assert "+86*******8000" in page
    revealed = console_client.post(
        f"/console/notices/{made['id']}/reveal", data={"csrf_token": csrf, "reason": "call the bank"}
    )
    assert text_of(revealed.text, "identifier-value") == PHONE
    assert _reveals(runtime) == [("user:liaison", str(made["id"]), "call the bank")]


def test_feedback_downloads_are_the_apis_and_are_recorded(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys, runtime: Runtime
) -> None:
    made = notice(
        console_client,
        keys.police,
        "N-FB",
        deadline_in=timedelta(days=1),
        identifiers=[{"type": "phone", "value": PHONE}, {"type": "account", "value": "=cmd|'/C calc'!A0"}],
    )
    csrf = sign_in(console_client, make_console_user(Role.police_liaison, "liaison"))
    from_api = console_client.get(
        f"/v1/notices/{made['id']}/feedback", params={"format": "csv"}, headers=auth(keys.police)
    )
    ours = console_client.post(f"/console/notices/{made['id']}/feedback.csv", data={"csrf_token": csrf})
    assert ours.status_code == 200
    assert ours.text == from_api.text
    rows = list(csv.reader(io.StringIO(ours.text)))
    assert [row[2] for row in rows[1:]] == [PHONE, "'=cmd|'/C calc'!A0"]
    xlsx = console_client.post(f"/console/notices/{made['id']}/feedback.xlsx", data={"csrf_token": csrf})
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert xlsx.content[:2] == b"PK"
    assert console_client.get(f"/console/notices/{made['id']}/feedback.csv").status_code == 405  # only by POST
    assert [reason for _actor, _id, reason in _reveals(runtime)] == ["feedback csv", "feedback xlsx"]


def test_import_shows_row_level_errors_and_imports_nothing(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys
) -> None:
    csrf = sign_in(console_client, make_console_user(Role.police_liaison))
    bad = _notice_csv("IMP-1", [("phone", PHONE), ("phone", "not-a-phone"), ("url", "https://ok.example/")])
    answer = console_client.post(
        "/console/notices/import", data={"csrf_token": csrf}, files={"file": ("notice.csv", bad, "text/csv")}
    )
    assert answer.status_code == 422
    problems = re.findall(r"<li>([^<]*)</li>", answer.text.split('data-testid="import-problems"', 1)[1])
    assert len(problems) == 1
    assert problems[0].startswith("row 3:")
    assert console_client.get("/v1/notices", headers=auth(keys.police)).json() == []
    good = _notice_csv("IMP-1", [("phone", PHONE), ("url", "https://ok.example/")])
    imported = console_client.post(
        "/console/notices/import",
        data={"csrf_token": csrf},
        files={"file": ("notice.csv", good, "text/csv")},
        follow_redirects=False,
    )
    assert imported.status_code == 303
    assert re.match(r"/console/notices/\d+\?done=imported", imported.headers["location"])
    [stored] = console_client.get("/v1/notices", headers=auth(keys.police)).json()
    assert (stored["document_no"], stored["identifier_count"]) == ("IMP-1", 2)
    assert stored["created_by"] == "user:police-liaison-1"
    again = console_client.post(
        "/console/notices/import", data={"csrf_token": csrf}, files={"file": ("notice.csv", good, "text/csv")}
    )
    assert again.status_code == 409
    assert "IMP-1" in text_of(again.text, "import-error") or "IMP-1" in again.text


def test_only_notice_writers_import_and_answer(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys
) -> None:
    made = notice(console_client, keys.police, "N-ANS", deadline_in=timedelta(days=1))
    csrf = sign_in(console_client, make_console_user(Role.police_liaison))
    url = f"/console/notices/{made['id']}/answered"
    assert console_client.post(url, data={"csrf_token": csrf, "note": ""}).status_code == 422
    sent = console_client.post(url, data={"csrf_token": csrf, "note": "sent by secure mail"}, follow_redirects=False)
    assert sent.status_code == 303
    assert console_client.get(f"/v1/notices/{made['id']}", headers=auth(keys.police)).json()["state"] == "answered"
    page = console_client.get(f"/console/notices/{made['id']}").text
    assert 'data-testid="mark-answered"' not in page
    assert text_of(page, "deadline-status") == "已反馈"
