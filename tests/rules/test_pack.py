"""Loading packs: the parsed model, shape errors, and positions inside conditions for every YAML style."""

from __future__ import annotations

import pytest

from fanzha.rules import Outcome, RuleMode, RulePackError, compile_rule_pack, load_rule_pack
from fanzha.rules.fixtures import load_fixtures

GOOD = """pack: demo
description: A demo pack
counters:
  sent:
    description: messages sent
    events: [message.sent]
    key: actor.id
    distinct: counterparty.id
    windows: [10m, 1d]
thresholds: {warn: 20, block: 80}
rules:
  - id: r1
    description: first
    events: [message.sent]
    condition: velocity("sent", "10m") > 3
    outcome: review
    score: 30
    mode: shadow
    message: too many
    legal_basis: [ATOFL-25]
    actions: [notify]
    tags: [velocity]
  - id: r2
    condition: 'true'
    outcome: warn
"""


def test_load_returns_the_parsed_pack() -> None:
    pack = load_rule_pack(GOOD, filename="demo.yaml")
    assert (pack.name, pack.description) == ("demo", "A demo pack")
    (counter,) = pack.counters
    assert (counter.name, counter.key, counter.distinct, counter.windows) == (
        "sent",
        "actor.id",
        "counterparty.id",
        (600, 86400),
    )
    assert dict(pack.thresholds) == {Outcome.warn: 20, Outcome.block: 80}
    first, second = pack.rules
    assert (first.id, first.outcome, first.mode, first.score, first.message) == (
        "r1",
        Outcome.review,
        RuleMode.shadow,
        30,
        "too many",
    )
    assert (first.legal_basis, first.actions, first.tags, first.events) == (
        ("ATOFL-25",),
        ("notify",),
        ("velocity",),
        ("message.sent",),
    )
    assert (second.mode, second.score, second.events, second.message) == (RuleMode.live, 0, None, "r2")


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("", "the file is empty", None, None),
        ("- a\n- b\n", "the rule pack must be a mapping", 1, 1),
        ("pack: x\n", "missing the required key 'rules'", 1, 1),
        ("pack: x\nrules: []\nrules: []\n", "duplicate key 'rules'", 3, 1),
        ("pack: x\nrule: []\n", "unknown key 'rule'", 2, 1),
        ("pack: x\nrules: {}\n", "rules must be a list", 2, 8),
        ("pack: x\nthresholds: {warn: 0}\nrules: []\n", "between 1 and 100", 2, 20),
        ("pack: x\nthresholds: {warn: yes}\nrules: []\n", "must be a whole number", 2, 20),
        (
            "pack: x\nrules:\n  - id: a\n    condition: 'true'\n    outcome: allow\n    score: 5\n",
            "no effect",
            6,
            12,
        ),
        (
            "pack: x\nrules:\n  - id: a\n    events: []\n    condition: 'true'\n    outcome: warn\n",
            "never applies",
            4,
            13,
        ),
        ("pack: x\nrules:\n  - id: a\n    condition: ' '\n    outcome: warn\n", "is empty", 4, 16),
        ("pack: x\ncounters:\n  Bad:\n    key: a\n    windows: [1h]\nrules: []\n", "counter name", 3, 3),
        (
            "pack: x\ncounters:\n  c:\n    key: a..b\n    windows: [1h]\nrules: []\n",
            "key of counter 'c'",
            4,
            10,
        ),
        ("pack: x\ncounters:\n  c:\n    key: a\n    windows: []\nrules: []\n", "at least one window", 5, 14),
        (
            "pack: x\nrules:\n  - id: a\n    condition: 'true'\n    outcome: warn\n    tags: [1]\n",
            "must be a string",
            6,
            12,
        ),
    ],
)
def test_shape_errors_point_at_the_problem(text: str, message: str, line: int | None, column: int | None) -> None:
    with pytest.raises(RulePackError) as caught:
        load_rule_pack(text, filename="p.yaml")
    matching = [d for d in caught.value.diagnostics if message in d.message]
    assert matching, caught.value.render()
    location = matching[0].location
    if line is None:
        assert location is None
    else:
        assert location is not None
        assert (location.file, location.line, location.column) == ("p.yaml", line, column)


def _syntax_error_position(condition_yaml: str) -> tuple[int, int, str]:
    text = f"pack: x\nrules:\n  - id: a\n    outcome: warn\n    condition: {condition_yaml}\n"
    with pytest.raises(RulePackError) as caught:
        compile_rule_pack(text, filename="c.yaml")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.location is not None
    assert diagnostic.source_line is not None
    column = diagnostic.location.column
    return diagnostic.location.line, column, diagnostic.source_line[column - 1 :]


@pytest.mark.parametrize(
    ("condition_yaml", "expected"),
    [
        # CEL reports the stray `)`; each style must map it back to the `)` in the file.
        ("event.a == 1 ) && true", (5, 29, ") && true")),
        ("'event.a == ''x'' ) && true'", (5, 34, ") && true'")),
        ('"event.a == \\"x\\" ) && true"', (5, 34, ') && true"')),
        ("|\n      event.a == 1\n        ) && true\n", (7, 9, ") && true")),
        ("|-\n\n      event.a == 1\n        && true )\n", (8, 17, ")")),
        (">-\n      event.a == 1\n      ) && true\n", (7, 7, ") && true")),
        ("event.a == '中文' ) && true", (5, 32, ") && true")),
    ],
)
def test_cel_positions_map_into_the_file(condition_yaml: str, expected: tuple[int, int, str]) -> None:
    assert _syntax_error_position(condition_yaml) == expected


def test_all_errors_are_reported_at_once() -> None:
    text = """pack: x
rules:
  - id: a
    condition: velocity("nope", "1h") > 1
    outcome: warn
  - id: b
    condition: 'true &&'
    outcome: warn
  - id: c
    condition: 'true'
    outcome: maybe
"""
    with pytest.raises(RulePackError) as caught:
        compile_rule_pack(text, filename="x.yaml")
    assert [d.location.line for d in caught.value.diagnostics if d.location] == [4, 7, 11]


def test_known_event_types_are_checked_for_counters_too() -> None:
    text = "pack: x\ncounters:\n  c:\n    events: [mesage.sent]\n    key: a\n    windows: [1h]\nrules: []\n"
    compile_rule_pack(text)  # no known types given: anything goes
    with pytest.raises(RulePackError, match=r"unknown event type 'mesage\.sent'"):
        compile_rule_pack(text, known_event_types=["message.sent"])


FIXTURES = """pack: demo
cases:
  - name: blocked
    setup:
      lists: [{list: blocked_phones, value: "1"}]
      labels: [{entity_type: account, value: a, label: fraud}]
      account_ages: [{account_id: a, hours: 2.5}]
      events:
        - event: {type: message.sent, actor: {id: a}, counterparty: {id: "u-{i}"}}
          repeat: 3
    event: {type: account.login, actor: {id: a}}
    expect: {decision: block, rules: [blocklisted_phone], not_rules: [x]}
"""


def test_fixtures_load_and_expand_prior_events() -> None:
    fixtures = load_fixtures(FIXTURES, filename="f.yaml")
    (case,) = fixtures.cases
    assert case.setup.lists[0].list == "blocked_phones"
    assert case.setup.account_ages[0].hours == 2.5
    assert [e["counterparty"]["id"] for e in case.setup.prior_events()] == ["u-0", "u-1", "u-2"]
    assert case.expect.decision == "block"


@pytest.mark.parametrize(
    ("replace", "by", "message", "line"),
    [
        ("decision: block", "decision: maybe", "cases.0.expect.decision", 12),
        ("hours: 2.5", "hours: -1", "cases.0.setup.account_ages.0.hours", 7),
        (
            "expect: {decision: block, rules: [blocklisted_phone], not_rules: [x]}",
            "expect: {}",
            "expect must check",
            12,
        ),
        ("    event: {type: account.login", "    evnt: {type: account.login", "cases.0.evnt", 11),
        ("  - name: blocked\n", "  - name: blocked\n    repeat: 1\n", "cases.0.repeat", 4),
    ],
)
def test_fixture_errors_have_locations(replace: str, by: str, message: str, line: int) -> None:
    assert replace in FIXTURES
    with pytest.raises(RulePackError) as caught:
        load_fixtures(FIXTURES.replace(replace, by), filename="f.yaml")
    matching = [d for d in caught.value.diagnostics if message in d.message]
    assert matching, caught.value.render()
    assert matching[0].location is not None
    assert (matching[0].location.file, matching[0].location.line) == ("f.yaml", line)


def test_fixture_yaml_syntax_error() -> None:
    with pytest.raises(RulePackError, match="YAML syntax error"):
        load_fixtures("cases: [\n", filename="f.yaml")
