"""Comparing two versions of a rule pack: a line diff of the YAML and what changed rule by rule.

The line diff is :mod:`difflib`'s, grouped into hunks with the line numbers of both sides; the summary
reads both packs with the tolerant loader (``parse_rule_pack``) and compares rules by id, so a rule that
moved in the file is not reported as changed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fanzha.rules.pack import CounterDef, RuleDef, RulePack, parse_rule_pack


class LineKind(StrEnum):
    hunk = "hunk"
    context = "context"
    add = "add"
    delete = "del"


@dataclass(frozen=True)
class DiffLine:
    """One line of the diff; ``old`` and ``new`` are 1-based line numbers on each side (None when absent)."""

    kind: LineKind
    old: int | None
    new: int | None
    text: str


@dataclass(frozen=True)
class RuleChange:
    """A rule present in both versions, with the names of the fields that differ (``condition``, ``mode``...)
    and, for the one-word fields (outcome, score, mode), the value before and after."""

    rule_id: str
    fields: tuple[str, ...]
    values: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class PackDiff:
    """How the ``new`` pack differs from the ``old`` one."""

    lines: tuple[DiffLine, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[RuleChange, ...]
    counters_added: tuple[str, ...]
    counters_removed: tuple[str, ...]
    counters_changed: tuple[str, ...]
    thresholds_changed: bool
    header_changed: bool  # the pack's name or description

    @property
    def identical(self) -> bool:
        return not self.lines

    @property
    def lines_added(self) -> int:
        return sum(1 for line in self.lines if line.kind is LineKind.add)

    @property
    def lines_removed(self) -> int:
        return sum(1 for line in self.lines if line.kind is LineKind.delete)

    @property
    def rules_touched(self) -> int:
        return len(self.added) + len(self.removed) + len(self.changed)


_RULE_FIELDS = (
    "description",
    "events",
    "condition",
    "outcome",
    "score",
    "mode",
    "message",
    "legal_basis",
    "actions",
    "tags",
    "warning",
)

_SCALARS = ("outcome", "score", "mode")
_RULE_ID = re.compile(r"^\s*-\s*id:\s*['\"]?([A-Za-z0-9_]+)")


def diff_packs(old: str, new: str, *, context: int = 3) -> PackDiff:
    """The line diff (``context`` unchanged lines around each change) and the rule-level summary."""
    lines = _line_diff(old.splitlines(), new.splitlines(), context)
    old_pack, _ = parse_rule_pack(old)
    new_pack, _ = parse_rule_pack(new)
    old_rules = _rules(old_pack)
    new_rules = _rules(new_pack)
    changed = []
    for rule_id, rule in new_rules.items():
        before = old_rules.get(rule_id)
        if before is None:
            continue
        fields = tuple(name for name in _RULE_FIELDS if _rule_field(before, name) != _rule_field(rule, name))
        if fields:
            values = tuple(
                (name, str(getattr(before, name)), str(getattr(rule, name))) for name in fields if name in _SCALARS
            )
            changed.append(RuleChange(rule_id, fields, values))
    old_counters = _counters(old_pack)
    new_counters = _counters(new_pack)
    return PackDiff(
        lines=tuple(lines),
        added=tuple(rule_id for rule_id in new_rules if rule_id not in old_rules),
        removed=tuple(rule_id for rule_id in old_rules if rule_id not in new_rules),
        changed=tuple(changed),
        counters_added=tuple(name for name in new_counters if name not in old_counters),
        counters_removed=tuple(name for name in old_counters if name not in new_counters),
        counters_changed=tuple(
            name for name, counter in new_counters.items() if name in old_counters and old_counters[name] != counter
        ),
        thresholds_changed=_thresholds(old_pack) != _thresholds(new_pack),
        header_changed=_header(old_pack) != _header(new_pack),
    )


def _line_diff(old: list[str], new: list[str], context: int) -> list[DiffLine]:
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    out: list[DiffLine] = []
    for group in matcher.get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        old_start, old_end, new_start, new_end = first[1], last[2], first[3], last[4]
        header = f"@@ -{old_start + 1},{old_end - old_start} +{new_start + 1},{new_end - new_start} @@"
        # Like git's function context: the rule the first changed line is in (the nearest rule id above it).
        tag, i1, _i2, j1, _j2 = next(code for code in group if code[0] != "equal")
        rule_id = _rule_above(old, i1) if tag == "delete" else _rule_above(new, j1)
        if rule_id is not None:
            header += f" {rule_id}"
        out.append(DiffLine(LineKind.hunk, None, None, header))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(DiffLine(LineKind.context, i + 1, j1 + (i - i1) + 1, old[i]) for i in range(i1, i2))
                continue
            if tag in ("replace", "delete"):
                out.extend(DiffLine(LineKind.delete, i + 1, None, old[i]) for i in range(i1, i2))
            if tag in ("replace", "insert"):
                out.extend(DiffLine(LineKind.add, None, j + 1, new[j]) for j in range(j1, j2))
    return out


def _rule_above(lines: list[str], index: int) -> str | None:
    for line in reversed(lines[: index + 1]):
        found = _RULE_ID.match(line)
        if found:
            return found.group(1)
        if line and not line[0].isspace() and not line.startswith("#"):
            return None  # reached a top-level key above the rules
    return None


def _rules(pack: RulePack | None) -> dict[str, RuleDef]:
    return {} if pack is None else {rule.id: rule for rule in pack.rules}


def _rule_field(rule: RuleDef, name: str) -> Any:
    if name == "condition":
        # Re-indenting or re-folding a condition is not a change of what it says.
        return " ".join(rule.condition.text.split())
    return getattr(rule, name)


def _counters(pack: RulePack | None) -> dict[str, tuple[Any, ...]]:
    if pack is None:
        return {}
    return {counter.name: _counter_key(counter) for counter in pack.counters}


def _counter_key(counter: CounterDef) -> tuple[Any, ...]:
    return (counter.events, counter.key, counter.distinct, counter.windows)


def _thresholds(pack: RulePack | None) -> dict[str, int]:
    return {} if pack is None else {outcome.value: value for outcome, value in pack.thresholds.items()}


def _header(pack: RulePack | None) -> tuple[str, str]:
    return ("", "") if pack is None else (pack.name, pack.description)
