"""Diffs between rule pack versions: hunks with line numbers and a rule-level summary."""

from __future__ import annotations

from fanzha.rules.diff import LineKind, diff_packs

OLD = """\
pack: p
counters:
  per_actor:
    key: actor.id
    windows: [1h]
thresholds: {warn: 30}
rules:
  - id: stays
    condition: "true"
    outcome: warn
  - id: goes
    condition: "false"
    outcome: block
  - id: edited
    condition: event.type == "a"
    outcome: review
"""

NEW = """\
pack: p
counters:
  per_actor:
    key: actor.id
    windows: [1h, 1d]
thresholds: {warn: 30}
rules:
  - id: stays
    condition: "true"
    outcome: warn
  - id: edited
    condition: event.type == "b"
    outcome: review
    mode: shadow
  - id: arrives
    condition: "true"
    outcome: allow
"""


def test_rule_level_summary() -> None:
    diff = diff_packs(OLD, NEW)
    assert diff.added == ("arrives",)
    assert diff.removed == ("goes",)
    assert [(change.rule_id, change.fields) for change in diff.changed] == [("edited", ("condition", "mode"))]
    assert diff.counters_changed == ("per_actor",)
    assert not diff.thresholds_changed
    assert not diff.header_changed
    assert diff.rules_touched == 3


def test_line_diff_numbers_both_sides() -> None:
    diff = diff_packs(OLD, NEW, context=1)
    old_lines, new_lines = OLD.splitlines(), NEW.splitlines()
    for line in diff.lines:
        if line.kind is LineKind.delete:
            assert line.old is not None
            assert old_lines[line.old - 1] == line.text
        elif line.kind is LineKind.add:
            assert line.new is not None
            assert new_lines[line.new - 1] == line.text
        elif line.kind is LineKind.context:
            assert line.old is not None
            assert line.new is not None
            assert old_lines[line.old - 1] == new_lines[line.new - 1] == line.text
    hunks = [line.text for line in diff.lines if line.kind is LineKind.hunk]
    assert hunks[0].startswith("@@ -4,3 +4,3 @@")
    assert hunks[1].endswith(" goes")  # the rule the first changed line of the hunk belongs to
    assert diff.lines_added == sum(1 for line in diff.lines if line.kind is LineKind.add) > 0


def test_reflowing_a_condition_is_not_a_change() -> None:
    one_line = OLD.replace('    condition: event.type == "a"\n', '    condition: |\n      event.type == "a" && true\n')
    two_lines = OLD.replace(
        '    condition: event.type == "a"\n', '    condition: |\n      event.type == "a"\n        && true\n'
    )
    diff = diff_packs(one_line, two_lines)
    assert diff.lines_added == 2
    assert diff.lines_removed == 1
    assert diff.changed == ()
    assert diff_packs(OLD, OLD).identical
