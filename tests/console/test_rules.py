"""The console's rules area over HTTP: the active set and its history, validation as you type, diffs,
fixture runs, shadow hit counts, what an edit would change on stored events, and push with a confirmation."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fanzha.audit.models import AuditEntry
from fanzha.auth.roles import Role
from fanzha.decisions.models import DecisionRecord
from fanzha.kit.counters.memory import InMemoryCounterStore
from fanzha.rules.fixtures import load_fixtures
from fanzha.rules.models import RuleSetVersion
from fanzha.runtime import Runtime
from tests.fixtures.app import auth, event
from tests.fixtures.console import ConsoleUserLogin, sign_in

MARKER = "zebra-42 转账"  # text no shipped rule or screening model treats as fraud

NEW_RULE = """\
  - id: console_marker_block
    description: Messages carrying the test marker
    events: [message.sent]
    condition: has(event.content) && has(event.content.text) && contains_any(event.content.text, ["zebra-42"])
    outcome: block
    score: 100
    legal_basis: [ATOFL-25]
"""


def with_rule(source: str, rule: str = NEW_RULE) -> str:
    """``source`` with ``rule`` as the first rule of the pack."""
    assert "\nrules:\n" in source
    return source.replace("\nrules:\n", "\nrules:\n" + rule, 1)


def active_source(client: TestClient, key: str) -> tuple[str, str]:
    body = client.get("/v1/rules", headers=auth(key)).json()
    return body["version"], body["source"]


def decide(client: TestClient, key: str, payload: dict[str, Any]) -> dict[str, Any]:
    answer = client.post("/v1/decisions", json=payload, headers=auth(key))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def hx(csrf: str) -> dict[str, str]:
    return {"X-CSRF-Token": csrf, "HX-Request": "true"}


def location_of(source: str, needle: str, offset: int = 0) -> str:
    """``line:column`` (1-based) of ``needle`` (plus ``offset`` characters) in ``source``."""
    index = source.index(needle) + offset
    line = source.count("\n", 0, index) + 1
    column = index - (source.rfind("\n", 0, index) + 1) + 1
    return f"{line}:{column}"


@pytest.fixture
def analyst(console_client: TestClient, make_console_user: Callable[..., ConsoleUserLogin]) -> tuple[TestClient, str]:
    csrf = sign_in(console_client, make_console_user(Role.analyst))
    console_client.post("/console/language", data={"csrf_token": csrf, "lang": "en"})
    return console_client, csrf


def test_rules_page_lists_the_active_version_and_its_rules(analyst: tuple[TestClient, str], admin_key: str) -> None:
    client, _ = analyst
    version, _source = active_source(client, admin_key)
    page = client.get("/console/rules")
    assert page.status_code == 200
    active = re.search(r'data-testid="active-version">([0-9a-f]+)<', page.text)
    assert active
    assert active.group(1) == version
    assert "system:init" in page.text  # who pushed it
    rules = client.get("/v1/rules", headers=auth(admin_key)).json()["rules"]
    for rule in rules:
        assert f'data-rule="{rule["id"]}"' in page.text
    shadow = [rule["id"] for rule in rules if rule["mode"] == "shadow"]
    assert all(f'data-shadow-rule="{rule_id}"' in page.text for rule_id in shadow)
    assert "ATOFL-22" in page.text
    assert 'href="/console/rules/edit"' in page.text  # an analyst may edit


@pytest.mark.parametrize(
    ("original", "broken", "needle", "offset", "message"),
    [
        # A CEL syntax error: the second && has nothing before it.
        ("has(event.content) && has", "has(event.content) && && has", "&& && has", 3, "Syntax error"),
        # A YAML indentation error: a rule's key indented under the previous value.
        ("outcome: block\n    score", "outcome: block\n      score", "score: 100", 5, "mapping values are not allowed"),
    ],
    ids=["cel-syntax", "yaml-indentation"],
)
def test_validate_points_at_line_and_column(
    analyst: tuple[TestClient, str],
    admin_key: str,
    original: str,
    broken: str,
    needle: str,
    offset: int,
    message: str,
) -> None:
    client, csrf = analyst
    _, source = active_source(client, admin_key)
    assert original in NEW_RULE
    bad = with_rule(source, NEW_RULE.replace(original, broken, 1))
    answer = client.post("/console/rules/validate", data={"source": bad, "filename": "default.yaml"}, headers=hx(csrf))
    assert answer.status_code == 422
    assert f"({location_of(bad, needle, offset)})" in answer.text
    assert message in answer.text
    assert answer.text.count('data-testid="diagnostic"') == 1
    good = client.post(
        "/console/rules/validate", data={"source": with_rule(source), "filename": "default.yaml"}, headers=hx(csrf)
    )
    assert good.status_code == 200
    rules = len(client.get("/v1/rules", headers=auth(admin_key)).json()["rules"])
    assert f"valid: {rules + 1} rules" in good.text


def test_validate_needs_the_csrf_token(analyst: tuple[TestClient, str], admin_key: str) -> None:
    client, _ = analyst
    _, source = active_source(client, admin_key)
    assert client.post("/console/rules/validate", data={"source": source}).status_code == 403


@pytest.mark.parametrize("role", [Role.senior_reviewer, Role.auditor])
def test_push_and_editor_need_rules_write(
    console_client: TestClient,
    make_console_user: Callable[..., ConsoleUserLogin],
    admin_key: str,
    runtime: Runtime,
    role: Role,
) -> None:
    csrf = sign_in(console_client, make_console_user(role))
    version, source = active_source(console_client, admin_key)
    page = console_client.get("/console/rules")
    assert page.status_code == 200  # they may read the rules
    assert 'href="/console/rules/edit"' not in page.text
    assert console_client.get("/console/rules/edit").status_code == 403
    form = {"csrf_token": csrf, "source": with_rule(source), "filename": "default.yaml"}
    assert console_client.post("/console/rules/push/review", data=form).status_code == 403
    pushed = console_client.post("/console/rules/push", data={**form, "expected": version, "reason": "try"})
    assert pushed.status_code == 403
    with runtime.sessions() as session:
        assert session.execute(select(func.count()).select_from(RuleSetVersion)).scalar_one() == 1


def test_push_with_confirmation_activates_a_new_version(
    analyst: tuple[TestClient, str], admin_key: str, runtime: Runtime
) -> None:
    client, csrf = analyst
    version, source = active_source(client, admin_key)
    editor = client.get("/console/rules/edit")
    assert editor.status_code == 200
    assert 'hx-trigger="keyup changed delay:500ms"' in editor.text
    assert "console_marker_block" not in editor.text
    edited = with_rule(source).replace("\n", "\r\n")  # as a browser sends a textarea
    form = {"csrf_token": csrf, "source": edited, "filename": "default.yaml"}
    review = client.post("/console/rules/push/review", data=form)
    assert review.status_code == 200
    summary = review.text.split('data-testid="diff-summary"', 1)[1].split("</div>", 1)[0]
    assert "console_marker_block" in summary
    assert f'name="expected" value="{version}"' in review.text

    back = client.post("/console/rules/edit", data=form)  # "back to the editor" keeps the edited text
    assert back.status_code == 200
    assert "console_marker_block" in back.text.split('data-testid="rules-source">', 1)[1]

    no_reason = client.post("/console/rules/push", data={**form, "expected": version, "reason": "  "})
    assert no_reason.status_code == 422
    assert active_source(client, admin_key)[0] == version

    pushed = client.post(
        "/console/rules/push",
        data={**form, "expected": version, "reason": "block the zebra marker"},
        follow_redirects=False,
    )
    assert pushed.status_code == 303
    new_version, new_source = active_source(client, admin_key)
    assert new_version != version
    assert new_source == with_rule(source)  # stored with LF line breaks, as pushed through the API
    assert pushed.headers["location"] == f"/console/rules?pushed={new_version}"
    assert runtime.rules.current().version == new_version  # active at once, no restart
    api_rules = [rule["id"] for rule in client.get("/v1/rules", headers=auth(admin_key)).json()["rules"]]
    assert "console_marker_block" in api_rules
    page = client.get(pushed.headers["location"])
    assert f'data-testid="active-version">{new_version}<' in page.text
    assert "block the zebra marker" in page.text
    with runtime.sessions() as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == "rules.activate").order_by(AuditEntry.seq.desc()).limit(1)
        ).scalar_one()
    assert (entry.actor, entry.object_id, entry.reason) == ("user:analyst-1", new_version, "block the zebra marker")

    # A second push reviewed against the old active version is refused rather than silently overwriting.
    stale = client.post("/console/rules/push", data={**form, "expected": version, "reason": "again"})
    assert stale.status_code == 409


def test_review_of_a_broken_pack_goes_back_to_the_editor(analyst: tuple[TestClient, str], admin_key: str) -> None:
    client, csrf = analyst
    _, source = active_source(client, admin_key)
    bad = with_rule(source, NEW_RULE.replace("outcome: block", "outcome: blok"))
    answer = client.post("/console/rules/push/review", data={"csrf_token": csrf, "source": bad, "filename": "x.yaml"})
    assert answer.status_code == 422
    assert "outcome of rule &#39;console_marker_block&#39; &#39;blok&#39; is not one of" in answer.text
    assert 'data-testid="rules-source"' in answer.text


def test_diff_shows_an_added_rule(analyst: tuple[TestClient, str], admin_key: str) -> None:
    client, _ = analyst
    old, source = active_source(client, admin_key)
    answer = client.post(
        "/v1/rules", json={"source": with_rule(source), "filename": "default.yaml"}, headers=auth(admin_key)
    )
    assert answer.status_code == 201
    new = answer.json()["version"]
    query = client.get(f"/console/rules/diff?a={old}&b={new}", follow_redirects=False)
    assert query.status_code == 303
    assert query.headers["location"] == f"/console/rules/versions/{old}/diff/{new}"
    page = client.get(query.headers["location"])
    assert page.status_code == 200
    summary = page.text.split('data-testid="diff-summary"', 1)[1].split("</div>", 1)[0]
    assert "console_marker_block" in summary
    assert "added" in summary
    added_rows = re.findall(r'<tr class="add">.*?</tr>', page.text)
    assert len(added_rows) == NEW_RULE.count("\n")
    assert any("id: console_marker_block" in row for row in added_rows)
    assert '<tr class="del">' not in page.text
    assert client.get(f"/console/rules/versions/{old}/diff/000000000000").status_code == 404
    version_page = client.get(f"/console/rules/versions/{old}")
    assert version_page.status_code == 200
    assert "Re-activate this version" in version_page.text


def test_what_would_change_counts_a_decision_a_new_blocking_rule_changes(
    analyst: tuple[TestClient, str], admin_key: str, runtime: Runtime
) -> None:
    client, csrf = analyst
    _, source = active_source(client, admin_key)
    marked = decide(client, admin_key, event("evt-marked", content={"text": MARKER}))
    plain = decide(client, admin_key, event("evt-plain", actor="acct-2", content={"text": "今晚一起吃饭吗"}))
    assert marked["decision"] == plain["decision"] == "allow"
    with runtime.sessions() as session:
        stored_before = session.execute(select(func.count()).select_from(DecisionRecord)).scalar_one()
        audit_before = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    observations = runtime.counters.observation_count if isinstance(runtime.counters, InMemoryCounterStore) else None

    answer = client.post(
        "/console/rules/what-if",
        data={"source": with_rule(source), "filename": "default.yaml", "n": "100"},
        headers=hx(csrf),
    )
    assert answer.status_code == 200
    assert re.search(r'data-testid="whatif-replayed">2<', answer.text)
    assert re.search(r'data-testid="whatif-changed">1<', answer.text)
    sample = answer.text.split('data-testid="whatif-sample"', 1)[1].split("</table>", 1)[0]
    assert "evt-marked" in sample
    assert "console_marker_block" in sample
    assert "evt-plain" not in sample

    unchanged = client.post(
        "/console/rules/what-if", data={"source": source, "filename": "default.yaml", "n": "100"}, headers=hx(csrf)
    )
    assert re.search(r'data-testid="whatif-changed">0<', unchanged.text)
    too_many = client.post(
        "/console/rules/what-if", data={"source": source, "n": "5001"}, headers=hx(csrf), follow_redirects=False
    )
    assert too_many.status_code == 422
    with runtime.sessions() as session:
        assert session.execute(select(func.count()).select_from(DecisionRecord)).scalar_one() == stored_before
        assert session.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == audit_before
    if observations is not None:
        assert runtime.counters.observation_count == observations  # type: ignore[attr-defined]


def test_shadow_rule_hit_counts_and_what_it_would_change(analyst: tuple[TestClient, str], admin_key: str) -> None:
    client, _ = analyst
    _, source = active_source(client, admin_key)
    shadow_rule = NEW_RULE.replace("console_marker_block", "console_marker_shadow").replace(
        "    score: 100\n", "    score: 100\n    mode: shadow\n"
    )
    pushed = client.post(
        "/v1/rules",
        json={"source": with_rule(source, shadow_rule), "filename": "default.yaml"},
        headers=auth(admin_key),
    )
    assert pushed.status_code == 201
    decide(client, admin_key, event("evt-1", content={"text": MARKER}))
    decide(client, admin_key, event("evt-2", actor="acct-2", content={"text": MARKER}))
    decide(client, admin_key, event("evt-3", actor="acct-3", content={"text": "周末愉快"}))
    page = client.get("/console/rules?n=100")
    row = page.text.split('data-shadow-rule="console_marker_shadow"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r'data-testid="shadow-hits">2<', row)
    preview = client.get("/console/rules/shadow/console_marker_shadow?n=100")
    assert preview.status_code == 200
    assert re.search(r'data-testid="whatif-changed">2<', preview.text)
    assert client.get("/console/rules/shadow/no_such_rule").status_code == 404


def test_fixtures_written_beside_the_pack_run_from_the_editor(analyst: tuple[TestClient, str], admin_key: str) -> None:
    client, csrf = analyst
    _, source = active_source(client, admin_key)
    from importlib import resources

    shipped = resources.files("fanzha.rules").joinpath("packs/default.fixtures.yaml").read_text(encoding="utf-8")
    cases = load_fixtures(shipped).cases
    passing = client.post(
        "/console/rules/fixtures", data={"source": source, "filename": "default.yaml"}, headers=hx(csrf)
    )
    assert passing.status_code == 200
    assert f"{len(cases)} passed, 0 failed" in passing.text
    # Turning the phone blocklist rule off makes its cases fail.
    broken = source.replace('message: "手机号在黑名单中', 'mode: disabled\n    message: "手机号在黑名单中', 1)
    assert broken != source
    failing = client.post(
        "/console/rules/fixtures", data={"source": broken, "filename": "default.yaml"}, headers=hx(csrf)
    )
    expected_failures = sum(1 for case in cases if "blocklisted_phone" in case.expect.rules)
    assert expected_failures > 0
    assert f"{len(cases) - expected_failures} passed, {expected_failures} failed" in failing.text
    assert "rule blocklisted_phone did not hit" in failing.text


def test_the_fixture_file_is_never_looked_for_beside_a_path_the_browser_sends(
    analyst: tuple[TestClient, str], admin_key: str, tmp_path: Any
) -> None:
    client, csrf = analyst
    _, source = active_source(client, admin_key)
    probe = tmp_path / "probe.fixtures.yaml"
    probe.write_text("pack: default\ncases: [not, a, mapping]\n", encoding="utf-8")
    answer = client.post(
        "/console/rules/fixtures",
        data={"source": source, "filename": str(tmp_path / "probe.yaml")},
        headers=hx(csrf),
    )
    assert answer.status_code == 200
    assert "probe.fixtures.yaml" not in answer.text
    assert "passed, 0 failed" in answer.text  # the shipped fixtures of the active pack ran instead
