"""The audit page: who may read it, filters, paging, masking, CSV export and the chain check."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fanzha.audit import service as audit_service
from fanzha.audit.models import AuditEntry
from fanzha.auth.roles import Role
from fanzha.kit.clock import utcnow
from fanzha.kit.db import transaction
from fanzha.runtime import Runtime
from tests.fixtures.app import auth
from tests.fixtures.console import ConsoleUserLogin, sign_in
from tests.fixtures.console_data import report
from tests.fixtures.due_process import Keys, tamper

PHONE = "+8613800138000"


def _seqs(html: str) -> list[int]:
    return [int(seq) for seq in re.findall(r'data-testid="audit-entry" data-seq="(\d+)"', html)]


def _actions(html: str) -> list[str]:
    return re.findall(r'data-testid="entry-action">([^<]*)<', html)


def _record(runtime: Runtime, count: int, *, actor: str = "system:test", action: str = "test.poke") -> None:
    with transaction(runtime.sessions) as session:
        for index in range(count):
            audit_service.record(session, actor=actor, action=action, object_type="thing", object_id=str(index))


@pytest.mark.parametrize(
    ("role", "status"), [(Role.auditor, 200), (Role.admin, 200), (Role.analyst, 403), (Role.police_liaison, 403)]
)
def test_only_audit_readers_open_the_log(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], role: Role, status: int
) -> None:
    sign_in(console_client, make_console_user(role))
    assert console_client.get("/console/audit").status_code == status
    assert console_client.get("/console/audit/verify").status_code == status
    assert console_client.get("/console/audit/export.csv").status_code == status


def test_filters_narrow_the_log(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys, runtime: Runtime
) -> None:
    _record(runtime, 3, actor="user:wang", action="case.decide")
    _record(runtime, 2, actor="user:li", action="list.entry.add")
    sign_in(console_client, make_console_user(Role.auditor))
    everything = _actions(console_client.get("/console/audit").text)
    assert {"case.decide", "list.entry.add", "console_user.sign_in"} <= set(everything)
    by_actor = console_client.get("/console/audit", params={"actor": "user:wa"}).text
    assert _actions(by_actor) == ["case.decide"] * 3
    by_action = console_client.get("/console/audit", params={"action": "list.entry.add"}).text
    assert _actions(by_action) == ["list.entry.add"] * 2
    by_object = console_client.get("/console/audit", params={"object_type": "thing", "object_id": "1"}).text
    assert len(_seqs(by_object)) == 2  # one "1" from each actor
    later = (utcnow() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    earlier = (utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert _seqs(console_client.get("/console/audit", params={"since": later}).text) == []
    assert _seqs(console_client.get("/console/audit", params={"until": earlier}).text) == []
    assert len(_seqs(console_client.get("/console/audit", params={"since": earlier, "until": later}).text)) == len(
        _seqs(console_client.get("/console/audit").text)
    )
    assert console_client.get("/console/audit", params={"since": "yesterday"}).status_code == 422


def test_paging_walks_back_without_gaps_or_overlap(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], runtime: Runtime
) -> None:
    _record(runtime, 70)
    sign_in(console_client, make_console_user(Role.auditor))
    seen: list[int] = []
    url: str | None = "/console/audit?action=test.poke"
    while url:
        page = console_client.get(url).text
        seen.extend(_seqs(page))
        found = re.search(r'href="([^"]+)" data-testid="older"', page)
        url = found.group(1).replace("&amp;", "&") if found else None
    with runtime.sessions() as session:
        expected = list(
            session.execute(
                select(AuditEntry.seq).where(AuditEntry.action == "test.poke").order_by(AuditEntry.seq.desc())
            ).scalars()
        )
    assert seen == expected
    assert len(seen) == 70


def test_verify_chain_shows_ok_then_the_first_broken_entry(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], runtime: Runtime
) -> None:
    _record(runtime, 5)
    sign_in(console_client, make_console_user(Role.auditor))
    ok = console_client.get("/console/audit/verify", headers={"HX-Request": "true"})
    assert ok.status_code == 200
    assert 'data-testid="chain-ok"' in ok.text
    assert "<html" not in ok.text  # a fragment for htmx
    with runtime.sessions() as session:
        victim = session.execute(
            select(AuditEntry.seq).where(AuditEntry.action == "test.poke").order_by(AuditEntry.seq).offset(2).limit(1)
        ).scalar_one()
    tamper(runtime, victim)
    broken = console_client.get("/console/audit/verify")
    assert 'data-testid="chain-broken"' in broken.text
    assert f"#{victim}" in broken.text or f"第 {victim} 条" in broken.text
    assert f"mark={victim}" in broken.text
    shown = console_client.get(f"/console/audit?before_seq={victim + 1}&mark={victim}").text
    assert f'data-seq="{victim}" class="marked"' in shown


def test_phone_numbers_in_the_log_are_masked_for_an_auditor(
    console_client: TestClient,
    make_console_user: Callable[..., ConsoleUserLogin],
    keys: Keys,
    runtime: Runtime,
) -> None:
    console_client.post(
        "/v1/lists/blocked_phones/entries",
        json={"value": PHONE, "reason": f"reported {PHONE}, also as 139 0013 9000 and 137-0013-7000"},
        headers=auth(keys.admin),
    )
    csrf = sign_in(console_client, make_console_user(Role.auditor))
    page = console_client.get("/console/audit").text
    assert PHONE not in page
    assert "0013 9000" not in page  # spaced or dashed, a number is still personal data
    assert "0013-7000" not in page
    assert "blocked_phones:+86*******8000" in page
    assert PHONE not in console_client.get("/console/audit/export.csv").text
    assert console_client.post("/console/audit/reveal", data={"csrf_token": csrf}).status_code == 403
    console_client.cookies.clear()
    csrf = sign_in(console_client, make_console_user(Role.admin, "boss"))
    revealed = console_client.post("/console/audit/reveal", data={"csrf_token": csrf, "reason": "checking a complaint"})
    assert PHONE in revealed.text
    with runtime.sessions() as session:
        reveals = list(session.execute(select(AuditEntry).where(AuditEntry.action == "personal_data.reveal")).scalars())
    assert [(entry.actor, entry.object_type, entry.reason) for entry in reveals] == [
        ("user:boss", "audit_log", "checking a complaint")
    ]


def test_csv_export_follows_the_filters_and_is_formula_safe(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys, runtime: Runtime
) -> None:
    console_client.post(
        "/v1/lists/blocked_domains/entries",
        json={"value": "scam.example", "reason": '=HYPERLINK("http://x","y")'},
        headers=auth(keys.admin),
    )
    _record(runtime, 2)
    sign_in(console_client, make_console_user(Role.auditor))
    answer = console_client.get("/console/audit/export.csv", params={"action": "list.entry.add"})
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0][:4] == ["seq", "at", "actor", "action"]
    assert [row[3] for row in rows[1:]] == ["list.entry.add"]
    assert rows[1][6] == '\'=HYPERLINK("http://x","y")'
    assert not [cell for row in rows[1:] for cell in row if cell and cell[0] in "=+-@"]


def test_the_reporter_in_the_log_is_hidden_from_an_auditor(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys
) -> None:
    reporter = "victim-secret-42"
    report(console_client, keys.client, reporter=reporter, subjects=[{"type": "account", "id": "acct-1"}])
    sign_in(console_client, make_console_user(Role.auditor))
    page = console_client.get("/console/audit").text
    assert "report.file" in page
    assert reporter not in page
    assert reporter not in console_client.get("/console/audit/export.csv").text
    console_client.cookies.clear()
    csrf = sign_in(console_client, make_console_user(Role.admin, "boss"))
    revealed = console_client.post("/console/audit/reveal", data={"csrf_token": csrf, "reason": "complaint"})
    assert reporter in revealed.text


def test_an_auditor_matches_object_ids_whole_so_masked_numbers_cannot_be_probed(
    console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin], keys: Keys
) -> None:
    console_client.post(
        "/v1/lists/blocked_phones/entries", json={"value": PHONE, "reason": "notice"}, headers=auth(keys.admin)
    )
    sign_in(console_client, make_console_user(Role.auditor))
    probe = console_client.get("/console/audit", params={"object_id": "blocked_phones:+86138"}).text
    assert _actions(probe) == []
    assert _actions(console_client.get("/console/audit", params={"object_id": f"blocked_phones:{PHONE}"}).text) == [
        "list.entry.add"
    ]
    console_client.cookies.clear()
    sign_in(console_client, make_console_user(Role.admin, "boss"))
    assert _actions(console_client.get("/console/audit", params={"object_id": "blocked_phones:+86138"}).text) == [
        "list.entry.add"
    ]
