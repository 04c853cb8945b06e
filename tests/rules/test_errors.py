"""Diagnostics render like rustc; golden files pin the full report for typical mistakes.

Regenerate the snapshots after an intended change with ``FANZHA_UPDATE_GOLDEN=1 pytest tests/rules``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fanzha.rules import RuleDiagnostic, RulePackError, SourceLocation, compile_rule_pack

GOLDEN = Path(__file__).parent / "golden"

HEAD = """pack: golden
counters:
  messages_per_account:
    events: [message.sent]
    key: actor.id
    windows: [10m, 1h]
rules:
"""

CASES: dict[str, str] = {
    "yaml_syntax": "pack: golden\nrules:\n  - id: a\n    condition: [unclosed\n",
    "shape": HEAD
    + """  - id: Bad-Id
    condition: 'true'
    outcome: block
  - id: no_condition
    outcome: warn
    scor: 10
  - id: wrong_types
    condition: 42
    outcome: blok
    mode: sometimes
    score: 1000
    legal_basis: ATOFL-22
  - id: dup
    condition: 'true'
    outcome: warn
  - id: dup
    condition: 'false'
    outcome: warn
""",
    "bad_durations": """pack: golden
counters:
  c:
    key: actor.id
    windows: [10x, 1h, 60m, 0s]
thresholds: {warn: 50, review: 40}
rules: []
""",
    "cel_syntax_quoted": HEAD
    + """  - id: dangling
    condition: 'event.actor.id == "a" &&'
    outcome: warn
""",
    "cel_syntax_block": HEAD
    + """  - id: in_block
    condition: |
      has(event.context)
        && event.context.phone ==
        && true
    outcome: warn
""",
    "velocity": HEAD
    + """  - id: counters
    condition: >-
      velocity("messages_per_acount", "10m") > 3
      || velocity("messages_per_account", "2h") > 3
      || velocity(event.actor.id, "10m") > 1
      || velocity("messages_per_account", "ten minutes") > 1
    outcome: review
""",
    "names": HEAD
    + """  - id: names
    events: [message.sent, mesage.sent]
    condition: >-
      in_list("x", evnt.actor.id) || is_blocked(event.actor.id)
      || in_list("x") || event.x.has_label("a", "b", "c")
    outcome: block
""",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_diagnostics_match_golden(name: str) -> None:
    with pytest.raises(RulePackError) as caught:
        compile_rule_pack(
            CASES[name],
            filename=f"rules/{name}.yaml",
            known_event_types=["message.sent", "account.login"],
        )
    rendered = str(caught.value) + "\n"
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("FANZHA_UPDATE_GOLDEN") == "1":
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with FANZHA_UPDATE_GOLDEN=1"
    assert rendered == path.read_text(encoding="utf-8")


def test_render_points_a_caret_under_the_span() -> None:
    diagnostic = RuleDiagnostic(
        message="unknown counter 'x'",
        location=SourceLocation("rules/a.yaml", 12, 17),
        hint="declared counters: y",
        source_line="    condition: velocity('x', '1h') > 1",
        length=3,
    )
    assert diagnostic.render() == (
        "error: unknown counter 'x'\n"
        "  --> rules/a.yaml:12:17\n"
        "   |\n"
        "12 |     condition: velocity('x', '1h') > 1\n"
        "   |                 ^^^\n"
        "   = help: declared counters: y"
    )


def test_render_without_location() -> None:
    assert RuleDiagnostic("the file is empty", hint="add rules").render() == (
        "error: the file is empty\n  = help: add rules"
    )


def test_error_carries_all_diagnostics_sorted_and_a_summary() -> None:
    with pytest.raises(RulePackError) as caught:
        compile_rule_pack(CASES["shape"], filename="x.yaml")
    error = caught.value
    lines = [d.location.line for d in error.diagnostics if d.location]
    assert lines == sorted(lines)
    assert len(error.diagnostics) >= 8
    assert error.message == f"x.yaml: {len(error.diagnostics)} errors in rule pack"
    assert error.status_code == 422
    assert error.to_dict()["details"][0]["file"] == "x.yaml"
