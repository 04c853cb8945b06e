"""Loading rule packs from YAML while keeping every node's position.

This is the front end of the rule compiler: ``load_rule_pack`` parses and validates the pack's shape
(keys, types, outcomes, modes, durations, duplicate ids) and returns a :class:`RulePack` whose parts remember
where in the file they came from, so that later stages (``engine.compile_rule_pack``) can point their errors
at ``file:line:column`` too — including positions inside a CEL condition written as a quoted or block scalar.

The format is documented in ``docs/rules.md``.
"""

from __future__ import annotations

import bisect
import difflib
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from fanzha.kit.durations import parse_duration
from fanzha.rules.errors import RuleDiagnostic, RulePackError, SourceLocation
from fanzha.rules.outcomes import (
    AUTO_TYPOLOGY,
    WARNING_TYPOLOGIES,
    Outcome,
    RuleMode,
    WarningChannel,
    WarningRecipient,
    WarningSpec,
)

T = TypeVar("T")

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_NULL = "tag:yaml.org,2002:null"

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


@dataclass(frozen=True)
class Span:
    """A range of character offsets ``[start, end)`` in the pack's text."""

    start: int
    end: int


@dataclass(frozen=True)
class PackSource:
    """The text of a pack and its name, with helpers to turn offsets into locations and diagnostics."""

    filename: str
    text: str
    line_starts: tuple[int, ...]

    @classmethod
    def of(cls, text: str, filename: str) -> PackSource:
        starts = [0]
        starts.extend(m.end() for m in re.finditer("\n", text))
        return cls(filename=filename, text=text, line_starts=tuple(starts))

    def location(self, offset: int) -> SourceLocation:
        """The 1-based line and column of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return SourceLocation(self.filename, line + 1, offset - self.line_starts[line] + 1)

    def line_text(self, line: int) -> str:
        """The text of a 1-based line without its line break."""
        start = self.line_starts[line - 1]
        end = self.line_starts[line] - 1 if line < len(self.line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r")

    def diagnostic(self, message: str, span: Span | None, hint: str | None = None) -> RuleDiagnostic:
        """A diagnostic underlining ``span`` (to the end of its first line)."""
        if span is None:
            return RuleDiagnostic(message=message, hint=hint)
        location = self.location(span.start)
        source_line = self.line_text(location.line)
        length = max(1, min(span.end - span.start, len(source_line) - location.column + 1))
        return RuleDiagnostic(message, location, hint, source_line, length)


@dataclass(frozen=True)
class ConditionSource:
    """A CEL condition and, for each of its characters, the offset it was read from in the pack's text.

    YAML quoting, escapes, folding and block indentation all move characters around; ``offsets`` undoes
    that so an error CEL reports at ``<input>:LINE:COL`` can be shown at the right place in the file.
    """

    text: str
    offsets: tuple[int, ...]  # one per character of ``text``, plus one for the end

    def offset_of(self, line: int, column: int) -> int:
        """The index into ``text`` of a CEL position (1-based line and character column)."""
        lines = self.text.split("\n")
        line = max(1, min(line, len(lines)))
        index = sum(len(part) + 1 for part in lines[: line - 1]) + column - 1
        return max(0, min(index, len(self.text)))

    def span(self, start: int, end: int) -> Span:
        """The file span of ``text[start:end]``."""
        start = max(0, min(start, len(self.text)))
        end = max(start, min(end, len(self.text)))
        last = self.offsets[end - 1] + 1 if end > start else self.offsets[start] + 1
        return Span(self.offsets[start], max(last, self.offsets[start] + 1))


@dataclass(frozen=True)
class CounterDef:
    """A velocity counter as written in the pack (see ``engine.CounterSpec`` for the compiled form)."""

    name: str
    description: str
    events: tuple[str, ...] | None
    key: str
    distinct: str | None
    windows: tuple[int, ...]
    span: Span
    event_spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class RuleDef:
    """A rule as written in the pack; ``spans`` holds the position of each field's value."""

    id: str
    description: str
    events: tuple[str, ...] | None
    condition: ConditionSource
    outcome: Outcome
    score: int
    mode: RuleMode
    message: str
    legal_basis: tuple[str, ...]
    actions: tuple[str, ...]
    tags: tuple[str, ...]
    span: Span
    spans: Mapping[str, Span] = field(default_factory=dict)
    event_spans: tuple[Span, ...] = ()
    warning: WarningSpec | None = None


@dataclass(frozen=True)
class RulePack:
    """A parsed and shape-checked rule pack, not yet compiled."""

    name: str
    description: str
    counters: tuple[CounterDef, ...]
    thresholds: Mapping[Outcome, int]
    rules: tuple[RuleDef, ...]
    source: PackSource


def load_rule_pack(text: str, *, filename: str = "<rules>") -> RulePack:
    """Parse and validate the shape of a rule pack.

    Raises:
        RulePackError: with one diagnostic per problem found (YAML syntax, unknown or missing keys, wrong
            types, bad outcomes, modes or durations, duplicate rule or counter ids, ...).
    """
    pack, diagnostics = parse_rule_pack(text, filename=filename)
    if diagnostics or pack is None:
        raise RulePackError(diagnostics, filename=filename)
    return pack


def parse_rule_pack(text: str, *, filename: str = "<rules>") -> tuple[RulePack | None, list[RuleDiagnostic]]:
    """Like :func:`load_rule_pack` but returns what could be read along with the diagnostics.

    The compiler uses this to keep checking the conditions of a pack that has shape errors too, so that one
    run reports everything. ``None`` is returned when the text is not YAML or not a mapping.
    """
    source = PackSource.of(text, filename)
    reader = NodeReader(source)
    root = reader.compose()
    if root is None:
        return None, reader.diagnostics
    pack = _read_pack(reader, root)
    return pack, reader.diagnostics


# --------------------------------------------------------------------------------------------------
# Reading nodes


def node_span(node: Node) -> Span:
    """The file span of a YAML node."""
    return Span(node.start_mark.index, max(node.end_mark.index, node.start_mark.index + 1))


class NodeReader:
    """Typed accessors over a composed YAML tree that record a diagnostic (and return ``None``) on mismatch.

    Shared with the fixture loader.
    """

    def __init__(self, source: PackSource) -> None:
        self.source = source
        self.diagnostics: list[RuleDiagnostic] = []

    def error(self, message: str, span: Span | None, hint: str | None = None) -> None:
        self.diagnostics.append(self.source.diagnostic(message, span, hint))

    def compose(self) -> Node | None:
        """Parse the text into a node tree; a syntax error or an empty document becomes a diagnostic."""
        try:
            root = yaml.compose(self.source.text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or "invalid YAML"
            hint = exc.context if exc.context else None
            span = Span(mark.index, mark.index + 1) if mark is not None else None
            self.error(f"YAML syntax error: {problem}", span, hint)
            return None
        except yaml.YAMLError as exc:
            self.error(f"YAML error: {exc}", None)
            return None
        if root is None:
            self.error("the file is empty", None, "a rule pack is a mapping with at least `pack` and `rules`")
            return None
        return root

    def mapping(
        self,
        node: Node,
        what: str,
        *,
        allowed: Sequence[str] | None = None,
        required: Sequence[str] = (),
    ) -> dict[str, tuple[ScalarNode, Node]] | None:
        """The entries of a mapping node by string key; reports unknown, duplicate and missing keys."""
        if not isinstance(node, MappingNode):
            self.error(f"{what} must be a mapping, found {_describe(node)}", node_span(node))
            return None
        entries: dict[str, tuple[ScalarNode, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag != _STR:
                self.error(f"keys of {what} must be strings", node_span(key_node))
                continue
            key = key_node.value
            if key in entries:
                self.error(f"duplicate key '{key}' in {what}", node_span(key_node))
                continue
            if allowed is not None and key not in allowed:
                self.error(f"unknown key '{key}' in {what}", node_span(key_node), _suggest(key, allowed, "key"))
                continue
            entries[key] = (key_node, value_node)
        for key in required:
            if key not in entries:
                self.error(
                    f"{what} is missing the required key '{key}'",
                    Span(node.start_mark.index, node.start_mark.index + 1),
                )
        return entries

    def sequence(self, node: Node, what: str) -> list[Node] | None:
        if not isinstance(node, SequenceNode):
            self.error(f"{what} must be a list, found {_describe(node)}", node_span(node))
            return None
        return list(node.value)

    def string(self, node: Node, what: str, *, pattern: re.Pattern[str] | None = None) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag != _STR:
            self.error(f"{what} must be a string, found {_describe(node)}", node_span(node), _quote_hint(node))
            return None
        if pattern is not None and not pattern.match(node.value):
            self.error(f"{what} {node.value!r} is not valid", node_span(node), f"it must match {pattern.pattern}")
            return None
        return str(node.value)

    def integer(self, node: Node, what: str, *, low: int, high: int) -> int | None:
        if not isinstance(node, ScalarNode) or node.tag != _INT:
            self.error(f"{what} must be a whole number, found {_describe(node)}", node_span(node))
            return None
        value = self.plain(node)
        if not isinstance(value, int) or not low <= value <= high:
            self.error(f"{what} must be between {low} and {high}, found {value}", node_span(node))
            return None
        return value

    def string_list(
        self, node: Node, what: str, *, pattern: re.Pattern[str] | None = None
    ) -> tuple[list[str], list[Span]] | None:
        items = self.sequence(node, what)
        if items is None:
            return None
        values: list[str] = []
        spans: list[Span] = []
        ok = True
        for item in items:
            value = self.string(item, f"each entry of {what}", pattern=pattern)
            if value is None:
                ok = False
                continue
            values.append(value)
            spans.append(node_span(item))
        return (values, spans) if ok else None

    def enum(self, node: Node, what: str, choices: Callable[[str], T], names: Sequence[str]) -> T | None:
        text = self.string(node, what)
        if text is None:
            return None
        if text not in names:
            self.error(
                f"{what} {text!r} is not one of {', '.join(names)}",
                node_span(node),
                _suggest(text, names, "value"),
            )
            return None
        return choices(text)

    def plain(self, node: Node) -> Any:
        """Construct the Python value of a node (mappings, lists and scalars) with YAML's safe rules."""
        constructor = yaml.SafeLoader("")
        try:
            return constructor.construct_object(node, deep=True)
        finally:
            constructor.dispose()


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, ScalarNode):
        if node.tag == _NULL:
            return "nothing (null)"
        kind = {"str": "string"}.get(node.tag.rsplit(":", 1)[-1], node.tag.rsplit(":", 1)[-1])
        return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} ({node.value!r})"
    return "something else"


def _quote_hint(node: Node) -> str | None:
    if isinstance(node, ScalarNode) and node.tag != _STR and node.style is None:
        return f'quote it to make it a string: "{node.value}"'
    return None


def _suggest(word: str, choices: Sequence[str], noun: str) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    listing = f"expected one of: {', '.join(choices)}"
    return f"did you mean '{close[0]}'? {listing}" if close else listing


# --------------------------------------------------------------------------------------------------
# The pack


_PACK_KEYS = ("pack", "description", "counters", "thresholds", "rules")
_COUNTER_KEYS = ("description", "events", "key", "distinct", "windows")
_RULE_KEYS = (
    "id",
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
_WARNING_KEYS = ("typology", "recipient", "channel")
_TYPOLOGIES = (*WARNING_TYPOLOGIES, AUTO_TYPOLOGY)
_RECIPIENTS = tuple(r.value for r in WarningRecipient)
_CHANNELS = tuple(c.value for c in WarningChannel)
_OUTCOMES = tuple(o.value for o in Outcome)
_MODES = tuple(m.value for m in RuleMode)
_THRESHOLD_KEYS = ("warn", "review", "block")


def _read_pack(reader: NodeReader, root: Node) -> RulePack | None:
    entries = reader.mapping(root, "the rule pack", allowed=_PACK_KEYS, required=("pack", "rules"))
    if entries is None:
        return None
    name = "<invalid>"
    if "pack" in entries:
        name = reader.string(entries["pack"][1], "the pack name", pattern=_PACK_NAME) or name
    description = ""
    if "description" in entries:
        description = reader.string(entries["description"][1], "the pack description") or ""
    counters: list[CounterDef] = []
    if "counters" in entries:
        counters = _read_counters(reader, entries["counters"][1])
    thresholds: dict[Outcome, int] = {}
    if "thresholds" in entries:
        thresholds = _read_thresholds(reader, entries["thresholds"][1])
    rules: list[RuleDef] = []
    if "rules" in entries:
        rules = _read_rules(reader, entries["rules"][1])
    return RulePack(
        name=name,
        description=description,
        counters=tuple(counters),
        thresholds=thresholds,
        rules=tuple(rules),
        source=reader.source,
    )


def _read_counters(reader: NodeReader, node: Node) -> list[CounterDef]:
    entries = reader.mapping(node, "counters")
    if entries is None:
        return []
    counters: list[CounterDef] = []
    for name, (key_node, value_node) in entries.items():
        if not _NAME.match(name):
            reader.error(
                f"counter name {name!r} is not valid",
                node_span(key_node),
                "use lower-case letters, digits and underscores, starting with a letter",
            )
            continue
        what = f"counter '{name}'"
        fields = reader.mapping(value_node, what, allowed=_COUNTER_KEYS, required=("key", "windows"))
        if fields is None:
            continue
        ok = True
        description = ""
        if "description" in fields:
            description = reader.string(fields["description"][1], f"the description of {what}") or ""
        events: tuple[str, ...] | None = None
        event_spans: tuple[Span, ...] = ()
        if "events" in fields:
            read = reader.string_list(fields["events"][1], f"the events of {what}")
            if read is None:
                ok = False
            else:
                events, event_spans = tuple(read[0]), tuple(read[1])
        key = None
        if "key" in fields:
            key = reader.string(fields["key"][1], f"the key of {what}", pattern=_PATH)
        distinct = None
        if "distinct" in fields:
            distinct = reader.string(fields["distinct"][1], f"the distinct path of {what}", pattern=_PATH)
            ok = ok and distinct is not None
        windows = _read_windows(reader, fields["windows"][1], what) if "windows" in fields else None
        if ok and key is not None and windows is not None:
            counters.append(
                CounterDef(
                    name=name,
                    description=description,
                    events=events,
                    key=key,
                    distinct=distinct,
                    windows=windows,
                    span=node_span(key_node),
                    event_spans=event_spans,
                )
            )
    return counters


def _read_windows(reader: NodeReader, node: Node, what: str) -> tuple[int, ...] | None:
    items = reader.sequence(node, f"the windows of {what}")
    if items is None:
        return None
    if not items:
        reader.error(f"{what} needs at least one window", node_span(node), "for example: windows: [10m, 1h]")
        return None
    windows: list[int] = []
    ok = True
    for item in items:
        if not isinstance(item, ScalarNode) or item.tag not in (_STR, _INT):
            reader.error(f"a window of {what} must be a duration such as 10m", node_span(item))
            ok = False
            continue
        try:
            seconds = parse_duration(str(item.value))
        except ValueError as exc:
            reader.error(str(exc), node_span(item), "durations are a number and a unit: s, m, h, d or w")
            ok = False
            continue
        if seconds in windows:
            reader.error(f"{what} lists the window {item.value!r} twice", node_span(item))
            ok = False
            continue
        windows.append(seconds)
    return tuple(windows) if ok else None


def _read_thresholds(reader: NodeReader, node: Node) -> dict[Outcome, int]:
    entries = reader.mapping(node, "thresholds", allowed=_THRESHOLD_KEYS)
    if entries is None:
        return {}
    thresholds: dict[Outcome, int] = {}
    for key, (_, value_node) in entries.items():
        value = reader.integer(value_node, f"the {key} threshold", low=1, high=100)
        if value is not None:
            thresholds[Outcome(key)] = value
    ordered = [(o, thresholds[o], entries[o.value][1]) for o in Outcome if o in thresholds]
    for (low_outcome, low, _), (high_outcome, high, high_node) in itertools.pairwise(ordered):
        if high < low:
            reader.error(
                f"the {high_outcome} threshold ({high}) is below the {low_outcome} threshold ({low})",
                node_span(high_node),
                "thresholds must not decrease from warn to review to block",
            )
    return thresholds


def _read_rules(reader: NodeReader, node: Node) -> list[RuleDef]:
    items = reader.sequence(node, "rules")
    if items is None:
        return []
    rules: list[RuleDef] = []
    seen: dict[str, Span] = {}
    for item in items:
        rule = _read_rule(reader, item)
        if rule is None:
            continue
        if rule.id in seen:
            first = reader.source.location(seen[rule.id].start)
            reader.error(
                f"duplicate rule id '{rule.id}'",
                rule.span,
                f"the id is first used at line {first.line}; rule ids must be unique in a pack",
            )
            continue
        seen[rule.id] = rule.span
        rules.append(rule)
    return rules


def _read_rule(reader: NodeReader, node: Node) -> RuleDef | None:
    fields = reader.mapping(node, "a rule", allowed=_RULE_KEYS, required=("id", "condition", "outcome"))
    if fields is None:
        return None
    rule_id = reader.string(fields["id"][1], "the rule id", pattern=_NAME) if "id" in fields else None
    what = f"rule '{rule_id}'" if rule_id else "the rule"
    spans = {key: node_span(value) for key, (_, value) in fields.items()}

    def text(key: str) -> str:
        if key not in fields:
            return ""
        return reader.string(fields[key][1], f"the {key} of {what}") or ""

    def tags(key: str) -> tuple[str, ...]:
        if key not in fields:
            return ()
        read = reader.string_list(fields[key][1], f"the {key} of {what}")
        return tuple(read[0]) if read else ()

    events: tuple[str, ...] | None = None
    event_spans: tuple[Span, ...] = ()
    if "events" in fields:
        read = reader.string_list(fields["events"][1], f"the events of {what}")
        if read is not None:
            events, event_spans = tuple(read[0]), tuple(read[1])
            if not events:
                reader.error(
                    f"{what} lists no events, so it never applies",
                    spans["events"],
                    "remove `events` to apply the rule to every event type",
                )
    condition = None
    if "condition" in fields:
        condition_node = fields["condition"][1]
        condition_text = reader.string(condition_node, f"the condition of {what}")
        if condition_text is not None and isinstance(condition_node, ScalarNode):
            if not condition_text.strip():
                reader.error(f"the condition of {what} is empty", node_span(condition_node))
            condition = ConditionSource(condition_text, _scalar_offsets(reader.source.text, condition_node))
    outcome = None
    if "outcome" in fields:
        outcome = reader.enum(fields["outcome"][1], f"the outcome of {what}", Outcome, _OUTCOMES)
    mode: RuleMode | None = RuleMode.live
    if "mode" in fields:
        mode = reader.enum(fields["mode"][1], f"the mode of {what}", RuleMode, _MODES)
    score: int | None = 0
    if "score" in fields:
        score = reader.integer(fields["score"][1], f"the score of {what}", low=0, high=100)
    if outcome is Outcome.allow and score:
        reader.error(
            f"{what} has outcome allow, so its score has no effect",
            spans["score"],
            "an allow hit ends evaluation with score 0; remove the score",
        )
    description = text("description")
    message = text("message") or description or (rule_id or "")
    legal_basis, actions, tag_names = tags("legal_basis"), tags("actions"), tags("tags")
    warning = None
    if "warning" in fields:
        warning = _read_warning(reader, fields["warning"][1], what)
        if outcome is Outcome.allow:
            reader.error(
                f"{what} has outcome allow, so it cannot warn anyone",
                spans["warning"],
                "a warning goes with outcome warn (or review or block); remove `warning` or change the outcome",
            )
    if rule_id is None or condition is None:
        return None
    # With a bad outcome, mode or score the rule is still returned (with stand-in values) so that the
    # compiler checks its condition as well; the diagnostics already recorded make the pack fail anyway.
    return RuleDef(
        id=rule_id,
        description=description,
        events=events,
        condition=condition,
        outcome=outcome or Outcome.block,
        score=score or 0,
        mode=mode or RuleMode.live,
        message=message,
        legal_basis=legal_basis,
        actions=actions,
        tags=tag_names,
        span=spans["id"],
        spans=spans,
        event_spans=event_spans,
        warning=warning,
    )


def _read_warning(reader: NodeReader, node: Node, what: str) -> WarningSpec | None:
    """A rule's ``warning: {typology, recipient?, channel?}`` (see docs/early-warning.md)."""
    fields = reader.mapping(node, f"the warning of {what}", allowed=_WARNING_KEYS, required=("typology",))
    if fields is None:
        return None
    typology = None
    if "typology" in fields:
        typology = reader.enum(fields["typology"][1], f"the warning typology of {what}", str, _TYPOLOGIES)
    recipient: WarningRecipient | None = WarningRecipient.actor
    if "recipient" in fields:
        recipient = reader.enum(
            fields["recipient"][1], f"the warning recipient of {what}", WarningRecipient, _RECIPIENTS
        )
    channel: WarningChannel | None = None
    if "channel" in fields:
        channel = reader.enum(fields["channel"][1], f"the warning channel of {what}", WarningChannel, _CHANNELS)
        if channel is None:
            return None
    if typology is None or recipient is None:
        return None
    return WarningSpec(typology=typology, recipient=recipient, channel=channel)


def _scalar_offsets(text: str, node: ScalarNode) -> tuple[int, ...]:
    """For each character of a scalar's value, its offset in ``text`` (plus one entry for the end)."""
    value: str = node.value
    start, end = node.start_mark.index, node.end_mark.index
    if node.style == "|":
        return _literal_offsets(text, value, start, end)
    if node.style == ">":
        first = text.find("\n", start, end) + 1 or start
    elif node.style in ("'", '"'):
        first = start + 1
    else:
        first = start
    # Walk the raw text alongside the value: quotes, escapes and folded line breaks are skipped over.
    offsets: list[int] = []
    raw = first
    for char in value:
        probe = raw
        while probe < end and not (text[probe] == char or (char == " " and text[probe] == "\n")):
            probe += 1
        if probe < end:
            offsets.append(probe)
            raw = probe + 1
        else:
            offsets.append(min(raw, end))
    offsets.append(min(raw, end))
    return tuple(offsets)


def _literal_offsets(text: str, value: str, start: int, end: int) -> tuple[int, ...]:
    """Offsets for a literal block scalar (``|``): each value line is a file line minus the indentation."""
    first = text.find("\n", start, end) + 1
    if first == 0:
        return tuple(start for _ in range(len(value) + 1))
    raw_lines = text[first:end].split("\n")
    indent = 0
    for line in raw_lines:
        if line.strip():
            indent = len(line) - len(line.lstrip(" "))
            break
    offsets: list[int] = []
    line_start = first
    for index, line in enumerate(value.split("\n")):
        raw_length = len(raw_lines[index]) if index < len(raw_lines) else 0
        for column in range(len(line) + 1):  # the extra column is the line break (or the end)
            offsets.append(line_start + min(indent + column, raw_length))
        line_start += raw_length + 1
    return tuple(offsets[: len(value) + 1])
