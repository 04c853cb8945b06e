"""The rule compiler and evaluator: parse -> validate -> compile -> execute.

``compile_rule_pack`` reads a pack (``pack.py``), compiles every condition with CEL once, and checks what CEL
itself cannot: that a condition only reads known variables and calls known functions with the right number
of arguments, and that ``velocity`` names a declared counter and one of its windows. Every problem becomes a
diagnostic with a file location; all of them are raised together.

The resulting :class:`CompiledRuleSet` precomputes, per event type, which programs apply and which functions
and variables they need, so that :meth:`CompiledRuleSet.evaluate` is a dictionary lookup, one
``cel.Context`` and one ``execute`` per applicable rule.

Outcome algebra: ``allow < warn < review < block``. A live ``allow`` hit ends the decision as ``allow``
(allowlists); otherwise the decision is the most severe live hit, raised to the outcome of the highest
score threshold reached (score = sum of live hits' scores, at most 100). Shadow rules are evaluated and
reported but change nothing; disabled rules are compiled but never run. A condition that fails at run time
(missing field, wrong type) does not hit and is reported as a :class:`RuleError`.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import cel

from fanzha.kit.durations import format_duration, parse_duration
from fanzha.rules.errors import RuleDiagnostic, RulePackError, SourceLocation
from fanzha.rules.functions import (
    CEL_BUILTINS,
    CEL_TYPE_NAMES,
    FUNCTIONS,
    VARIABLES,
    RuleBindings,
    RuleFunction,
)
from fanzha.rules.outcomes import Outcome, RuleMode, WarningSpec
from fanzha.rules.pack import ConditionSource, CounterDef, RuleDef, RulePack, Span, parse_rule_pack

__all__ = [
    "CompiledRule",
    "CompiledRuleSet",
    "CounterSpec",
    "Evaluation",
    "Outcome",
    "RuleError",
    "RuleHit",
    "RuleMode",
    "compile_pack",
    "compile_rule_pack",
]


@dataclass(frozen=True)
class CounterSpec:
    """A velocity counter: for each ``key`` entity, observations of ``events`` (all types when ``None``),
    or distinct values of ``distinct``, kept for each of ``windows`` (seconds)."""

    name: str
    events: frozenset[str] | None
    key: str
    distinct: str | None
    windows: tuple[int, ...]
    description: str


@dataclass(frozen=True)
class RuleHit:
    """A rule whose condition was true for the event."""

    rule_id: str
    outcome: Outcome
    score: int
    message: str
    mode: RuleMode
    legal_basis: tuple[str, ...]
    actions: tuple[str, ...]
    warning: WarningSpec | None = None  # the victim warning the rule declares (see docs/early-warning.md)


@dataclass(frozen=True)
class RuleError:
    """A rule whose condition failed at run time; it did not hit."""

    rule_id: str
    message: str


@dataclass(frozen=True)
class Evaluation:
    """The result of evaluating a rule set against one event.

    ``hits`` are the live hits that formed the decision, most severe first (pack order among equals);
    ``actions`` are their action tags, deduplicated in that order. ``shadow_hits`` never affect the rest.
    """

    decision: Outcome
    score: int
    hits: tuple[RuleHit, ...]
    shadow_hits: tuple[RuleHit, ...]
    errors: tuple[RuleError, ...]
    actions: tuple[str, ...]


@dataclass(frozen=True)
class CompiledRule:
    """A rule with its compiled CEL program and what the program needs."""

    id: str
    description: str
    outcome: Outcome
    score: int
    mode: RuleMode
    message: str
    legal_basis: tuple[str, ...]
    actions: tuple[str, ...]
    tags: tuple[str, ...]
    events: frozenset[str] | None
    condition: str
    location: SourceLocation
    program: Any
    variables: frozenset[str]
    # Top-level event fields the condition reads (``event.actor``, ``event["context"]``); None when it
    # uses ``event`` in a way that needs the whole event (passed to a function, bound by a macro).
    event_keys: frozenset[str] | None
    functions: tuple[str, ...]
    counter_queries: tuple[tuple[str, int], ...]
    hit: RuleHit
    warning: WarningSpec | None = None

    def applies_to(self, event_type: str) -> bool:
        return self.events is None or event_type in self.events

    @property
    def uses_screen(self) -> bool:
        return "screen" in self.variables


@dataclass(frozen=True)
class _Plan:
    """What evaluating one event type needs, computed once at compile time."""

    allow: tuple[CompiledRule, ...]
    live: tuple[CompiledRule, ...]
    shadow: tuple[CompiledRule, ...]
    functions: tuple[RuleFunction, ...]
    uses_event: bool
    event_keys: tuple[str, ...] | None
    uses_now: bool
    uses_screen: bool
    counter_queries: tuple[tuple[str, int], ...]
    counters: tuple[CounterSpec, ...]

    @classmethod
    def build(cls, rules: Iterable[CompiledRule], counters: Iterable[CounterSpec]) -> _Plan:
        active = [r for r in rules if r.mode is not RuleMode.disabled]
        live = [r for r in active if r.mode is RuleMode.live]
        variables = frozenset().union(*(r.variables for r in active))
        function_names = {name for r in active for name in r.functions}
        queries = sorted({q for r in active for q in r.counter_queries})
        return cls(
            allow=tuple(r for r in live if r.outcome is Outcome.allow),
            # Most severe first, pack order among equals, so hits come out ordered without sorting per event.
            live=tuple(sorted((r for r in live if r.outcome is not Outcome.allow), key=_severity_desc)),
            shadow=tuple(r for r in active if r.mode is RuleMode.shadow),
            functions=tuple(FUNCTIONS[name] for name in sorted(function_names)),
            uses_event="event" in variables,
            event_keys=_union_event_keys(active),
            uses_now="now" in variables,
            uses_screen="screen" in variables,
            counter_queries=tuple(queries),
            counters=tuple(counters),
        )


def _union_event_keys(rules: list[CompiledRule]) -> tuple[str, ...] | None:
    keys: set[str] = set()
    for rule in rules:
        if "event" not in rule.variables:
            continue
        if rule.event_keys is None:
            return None
        keys |= rule.event_keys
    return tuple(sorted(keys))


def _severity_desc(rule: CompiledRule) -> int:
    return -rule.outcome.severity


class CompiledRuleSet:
    """A compiled rule pack, ready to evaluate events. Immutable and safe to share between threads."""

    def __init__(self, pack: RulePack, rules: tuple[CompiledRule, ...]) -> None:
        self.source: str = pack.source.text
        self.version: str = hashlib.sha256(self.source.encode("utf-8")).hexdigest()[:12]
        self.name: str = pack.name
        self.description: str = pack.description
        self.filename: str = pack.source.filename
        self.counters: Mapping[str, CounterSpec] = MappingProxyType(
            {
                c.name: CounterSpec(
                    name=c.name,
                    events=frozenset(c.events) if c.events is not None else None,
                    key=c.key,
                    distinct=c.distinct,
                    windows=c.windows,
                    description=c.description,
                )
                for c in pack.counters
            }
        )
        self.thresholds: Mapping[Outcome, int] = MappingProxyType(dict(pack.thresholds))
        self.rules: tuple[CompiledRule, ...] = rules
        # Highest outcome first, so the first threshold the score reaches is the one that applies.
        self._thresholds = tuple(
            (outcome, self.thresholds[outcome])
            for outcome in sorted(self.thresholds, key=lambda o: o.severity, reverse=True)
        )
        event_types: set[str] = set()
        for rule in rules:
            event_types.update(rule.events or ())
        for counter in self.counters.values():
            event_types.update(counter.events or ())
        self._fallback = self._plan_for(None)
        self._plans: dict[str, _Plan] = {event_type: self._plan_for(event_type) for event_type in event_types}
        self._empty = Evaluation(Outcome.allow, 0, (), (), (), ())

    @property
    def event_types(self) -> frozenset[str]:
        """Event types that some rule or counter names explicitly."""
        return frozenset(self._plans)

    def _plan_for(self, event_type: str | None) -> _Plan:
        def applies(events: frozenset[str] | None) -> bool:
            return events is None or (event_type is not None and event_type in events)

        return _Plan.build(
            (r for r in self.rules if applies(r.events)),
            (c for c in self.counters.values() if applies(c.events)),
        )

    def _plan(self, event_type: str) -> _Plan:
        return self._plans.get(event_type, self._fallback)

    def counter_queries(self, event_type: str) -> tuple[tuple[str, int], ...]:
        """(counter name, window seconds) pairs read by the live and shadow rules that apply to this type."""
        return self._plan(event_type).counter_queries

    def counters_recording(self, event_type: str) -> tuple[CounterSpec, ...]:
        """Counters whose ``events`` include this type (or that record every type)."""
        return self._plan(event_type).counters

    def uses_screen(self, event_type: str) -> bool:
        """Whether some live or shadow rule for this type reads ``screen`` (so screening must run)."""
        return self._plan(event_type).uses_screen

    def rule(self, rule_id: str) -> CompiledRule:
        """The rule with this id (``KeyError`` when there is none)."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def evaluate(
        self,
        event: Mapping[str, Any],
        bindings: RuleBindings,
        *,
        now: float,
        event_type: str | None = None,
    ) -> Evaluation:
        """Evaluate the rules that apply to ``event`` (its type is ``event["type"]`` unless given).

        Never raises for a rule's failure: see :attr:`Evaluation.errors`. Errors raised by ``bindings``
        inside a function call also fail only the calling rule; ``bindings.screen()`` is called at most once,
        and only when an applicable rule reads ``screen``.
        """
        kind = event_type if event_type is not None else event.get("type")
        plan = self._plans.get(kind, self._fallback) if isinstance(kind, str) else self._fallback
        if not (plan.allow or plan.live or plan.shadow):
            return self._empty
        variables: dict[str, Any] = {}
        if plan.uses_event:
            keys = plan.event_keys
            if keys is None:
                variables["event"] = event if type(event) is dict else dict(event)
            else:
                # Only the fields some rule reads: CEL converts every value it is given, and an
                # event's text and ids it never reads cost more than the whole evaluation of a rule.
                variables["event"] = {key: event[key] for key in keys if key in event}
        if plan.uses_now:
            variables["now"] = float(now)
        screen_error: str | None = None
        if plan.uses_screen:
            try:
                variables["screen"] = bindings.screen()
            except Exception as exc:
                screen_error = f"screening failed: {_error_text(exc)}"
        functions = {fn.name: fn.bind(bindings) for fn in plan.functions}
        context = cel.Context(variables, functions)
        errors: list[RuleError] = []

        def hits_of(rules: tuple[CompiledRule, ...]) -> list[RuleHit]:
            found: list[RuleHit] = []
            for rule in rules:
                if screen_error is not None and "screen" in rule.variables:
                    errors.append(RuleError(rule.id, screen_error))
                    continue
                try:
                    result = rule.program.execute(context)
                except Exception as exc:
                    errors.append(RuleError(rule.id, _error_text(exc)))
                    continue
                if result is True:
                    found.append(rule.hit)
                elif result is not False:
                    errors.append(
                        RuleError(rule.id, f"the condition gave {type(result).__name__} {result!r}, not a bool")
                    )
            return found

        allowed = hits_of(plan.allow) if plan.allow else []
        hits = allowed if allowed else hits_of(plan.live)
        shadow_hits = hits_of(plan.shadow) if plan.shadow else []
        if allowed:
            decision, score = Outcome.allow, 0
        elif hits:
            score = min(100, sum(hit.score for hit in hits))
            decision = hits[0].outcome  # plan.live is ordered most severe first
            for outcome, threshold in self._thresholds:
                if score >= threshold:
                    if outcome > decision:
                        decision = outcome
                    break
        else:
            decision, score = Outcome.allow, 0
        actions: dict[str, None] = {}
        for hit in hits:
            for action in hit.actions:
                actions[action] = None
        return Evaluation(decision, score, tuple(hits), tuple(shadow_hits), tuple(errors), tuple(actions))


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"no such field or key: {exc.args[0]!r}" if exc.args else "no such field"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


# --------------------------------------------------------------------------------------------------
# Compiling


def compile_rule_pack(
    text: str,
    *,
    filename: str = "<rules>",
    known_event_types: Collection[str] | None = None,
) -> CompiledRuleSet:
    """Load, validate and compile a rule pack.

    Args:
        text: The pack's YAML.
        filename: Shown in diagnostics.
        known_event_types: When given, every event type the pack names must be one of these.

    Raises:
        RulePackError: carrying every diagnostic found, shape errors and condition errors alike.
    """
    pack, diagnostics = parse_rule_pack(text, filename=filename)
    if pack is None:
        raise RulePackError(diagnostics, filename=filename)
    compiler = _Compiler(pack, known_event_types)
    rules = compiler.compile()
    diagnostics.extend(compiler.diagnostics)
    if diagnostics:
        raise RulePackError(diagnostics, filename=filename)
    return CompiledRuleSet(pack, rules)


def compile_pack(pack: RulePack, *, known_event_types: Collection[str] | None = None) -> CompiledRuleSet:
    """Compile a pack already returned by ``load_rule_pack``."""
    compiler = _Compiler(pack, known_event_types)
    rules = compiler.compile()
    if compiler.diagnostics:
        raise RulePackError(compiler.diagnostics, filename=pack.source.filename)
    return CompiledRuleSet(pack, rules)


_CEL_ERROR = re.compile(r"<input>:(\d+):(\d+): (.*)")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>//[^\n]*)
    | (?P<string>(?:[rR][bB]?|[bB][rR]?)?
        (?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
    | (?P<number>0[xX][0-9a-fA-F]+[uU]?|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[uU]?)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class _Call:
    name: _Token
    method: bool
    args: tuple[tuple[_Token, ...], ...]
    close: int  # offset just after the closing parenthesis (or the end of the text)


def _event_keys(tokens: list[_Token]) -> frozenset[str] | None:
    """The top-level fields of ``event`` a condition reads, or None if it may need all of them."""
    keys: set[str] = set()
    for index, token in enumerate(tokens):
        if token.kind != "ident" or token.text != "event":
            continue
        if index > 0 and tokens[index - 1].text == ".":
            continue  # a field named "event" of something else
        following = tokens[index + 1 : index + 3]
        called = index + 3 < len(tokens) and tokens[index + 3].text == "("  # event.size(): the whole map
        if len(following) == 2 and following[0].text == "." and following[1].kind == "ident" and not called:
            keys.add(following[1].text)
        elif (
            len(following) == 2
            and following[0].text == "["
            and following[1].kind == "string"
            and following[1].text[:1] in "\"'"
            and len(following[1].text) >= 2
            and not following[1].text.startswith(('"""', "'''"))
            and "\\" not in following[1].text
        ):
            keys.add(following[1].text[1:-1])
        else:
            return None
    return frozenset(keys)


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "punct"
        if kind not in ("space", "comment"):
            tokens.append(_Token(kind, match.group(), match.start(), match.end()))
    return tokens


def _calls(tokens: list[_Token]) -> list[_Call]:
    """Every ``name(...)`` in the token stream, with its top-level arguments."""
    calls = []
    for index, token in enumerate(tokens[:-1]):
        if token.kind != "ident" or tokens[index + 1].text != "(":
            continue
        method = index > 0 and tokens[index - 1].text == "."
        depth = 0
        args: list[tuple[_Token, ...]] = []
        current: list[_Token] = []
        close = tokens[-1].end
        for inner in tokens[index + 1 :]:
            if inner.text in "([{" and inner.kind == "punct":
                depth += 1
                if depth == 1:
                    continue
            elif inner.text in ")]}" and inner.kind == "punct":
                depth -= 1
                if depth == 0:
                    close = inner.end
                    break
            elif inner.text == "," and depth == 1:
                args.append(tuple(current))
                current = []
                continue
            current.append(inner)
        if current or args:
            args.append(tuple(current))
        calls.append(_Call(token, method, tuple(args), close))
    return calls


def _string_literal(tokens: tuple[_Token, ...]) -> str | None:
    """The value of an argument that is exactly one plain string literal without escapes."""
    if len(tokens) != 1 or tokens[0].kind != "string":
        return None
    text = tokens[0].text
    if text[0] in "rRbB" or text.startswith(('"""', "'''")) or "\\" in text:
        return None
    return text[1:-1]


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'? " if close else ""


class _Compiler:
    def __init__(self, pack: RulePack, known_event_types: Collection[str] | None) -> None:
        self.pack = pack
        self.known = frozenset(known_event_types) if known_event_types is not None else None
        self.counters: dict[str, CounterDef] = {c.name: c for c in pack.counters}
        self.diagnostics: list[RuleDiagnostic] = []

    def error(self, message: str, span: Span | None, hint: str | None = None) -> None:
        self.diagnostics.append(self.pack.source.diagnostic(message, span, hint))

    def compile(self) -> tuple[CompiledRule, ...]:
        for counter in self.pack.counters:
            self.check_event_types(counter.events, counter.event_spans, f"counter '{counter.name}'")
        compiled = []
        for rule in self.pack.rules:
            self.check_event_types(rule.events, rule.event_spans, f"rule '{rule.id}'")
            result = self.compile_rule(rule)
            if result is not None:
                compiled.append(result)
        return tuple(compiled)

    def check_event_types(self, events: tuple[str, ...] | None, spans: tuple[Span, ...], what: str) -> None:
        if self.known is None or events is None:
            return
        for event_type, span in zip(events, spans, strict=True):
            if event_type not in self.known:
                self.error(
                    f"unknown event type '{event_type}' in {what}",
                    span,
                    f"{_did_you_mean(event_type, sorted(self.known))}known event types: "
                    + ", ".join(sorted(self.known)),
                )

    def compile_rule(self, rule: RuleDef) -> CompiledRule | None:
        condition = rule.condition
        before = len(self.diagnostics)
        try:
            program = cel.compile(condition.text)
        except ValueError as exc:
            self.report_syntax_error(rule, str(exc))
            return None
        except Exception as exc:  # the binding raises other types for some malformed input
            self.error(f"the condition of rule '{rule.id}' does not compile: {exc}", rule.spans.get("condition"))
            return None
        references = program.references()
        tokens = _tokenize(condition.text)
        calls = _calls(tokens)
        variables = frozenset(str(v) for v in references.get("variables", ()))
        function_names = frozenset(str(f) for f in references.get("functions", ()))
        self.check_variables(rule, variables, tokens)
        self.check_functions(rule, function_names, calls)
        queries = self.check_calls(rule, calls)
        if len(self.diagnostics) != before:
            return None
        location = self.pack.source.location(rule.span.start)
        return CompiledRule(
            id=rule.id,
            description=rule.description,
            outcome=rule.outcome,
            score=rule.score,
            mode=rule.mode,
            message=rule.message,
            legal_basis=rule.legal_basis,
            actions=rule.actions,
            tags=rule.tags,
            events=frozenset(rule.events) if rule.events is not None else None,
            condition=condition.text,
            location=location,
            program=program,
            variables=frozenset(v for v in variables if v in VARIABLES),
            event_keys=_event_keys(tokens),
            functions=tuple(sorted(f for f in function_names if f in FUNCTIONS)),
            counter_queries=tuple(sorted(set(queries))),
            hit=RuleHit(
                rule_id=rule.id,
                outcome=rule.outcome,
                score=rule.score,
                message=rule.message,
                mode=rule.mode,
                legal_basis=rule.legal_basis,
                actions=rule.actions,
                warning=rule.warning,
            ),
            warning=rule.warning,
        )

    def report_syntax_error(self, rule: RuleDef, text: str) -> None:
        condition = rule.condition
        match = _CEL_ERROR.search(text)
        if match is None:
            self.error(f"the condition of rule '{rule.id}' does not compile: {text}", rule.spans.get("condition"))
            return
        line, column, message = int(match.group(1)), int(match.group(2)), match.group(3).strip()
        hint = None
        if " expecting " in message:
            message, expecting = message.split(" expecting ", 1)
            hint = f"expected one of {expecting}"
        # CEL reports running out of input after any trailing newline of a block scalar; point at the last
        # character written instead of the line below the condition.
        offset = min(condition.offset_of(line, column), len(condition.text.rstrip()))
        self.error(f"in the condition of rule '{rule.id}': {message}", condition.span(offset, offset + 1), hint)

    def check_variables(self, rule: RuleDef, variables: frozenset[str], tokens: list[_Token]) -> None:
        bound = {
            tokens[i + 2].text
            for i in range(1, len(tokens) - 3)
            if tokens[i].text in _MACROS
            and tokens[i - 1].text == "."
            and tokens[i + 1].text == "("
            and tokens[i + 2].kind == "ident"
            and tokens[i + 3].text == ","
        }
        for name in sorted(variables - VARIABLES.keys() - bound - CEL_TYPE_NAMES):
            token = _first_identifier(tokens, name)
            self.error(
                f"unknown variable '{name}' in the condition of rule '{rule.id}'",
                _token_span(rule.condition, token),
                f"{_did_you_mean(name, VARIABLES)}conditions can read: {', '.join(VARIABLES)}",
            )

    def check_functions(self, rule: RuleDef, functions: frozenset[str], calls: list[_Call]) -> None:
        known = sorted(FUNCTIONS.keys() | CEL_BUILTINS)
        for name in sorted(functions):
            if not _IDENT.fullmatch(name) or name in FUNCTIONS or name in CEL_BUILTINS:
                continue  # operators (_&&_, @in, ...) and known functions
            token = next((c.name for c in calls if c.name.text == name), None)
            self.error(
                f"unknown function '{name}' in the condition of rule '{rule.id}'",
                _token_span(rule.condition, token),
                f"{_did_you_mean(name, known)}see the function reference in docs/rules.md",
            )

    def check_calls(self, rule: RuleDef, calls: list[_Call]) -> list[tuple[str, int]]:
        queries: list[tuple[str, int]] = []
        for call in calls:
            fn = FUNCTIONS.get(call.name.text)
            if fn is None:
                continue
            span = rule.condition.span(call.name.start, call.close)
            if call.method:
                self.error(
                    f"{fn.name}() is a function, not a method",
                    span,
                    f"call it as {fn.signature}",
                )
                continue
            if len(call.args) != len(fn.params):
                self.error(
                    f"{fn.name}() takes {len(fn.params)} argument{'s' if len(fn.params) != 1 else ''}, "
                    f"given {len(call.args)}",
                    span,
                    f"signature: {fn.signature}",
                )
                continue
            literals: dict[str, tuple[str, Span]] = {}
            for param, arg in zip(fn.params, call.args, strict=True):
                if not param.literal:
                    continue
                value = _string_literal(arg)
                arg_span = rule.condition.span(arg[0].start, arg[-1].end) if arg else span
                if value is None:
                    self.error(
                        f"the {param.name} argument of {fn.name}() must be a plain string literal",
                        arg_span,
                        f"write it in quotes, e.g. {fn.example or fn.signature}",
                    )
                    continue
                literals[param.name] = (value, arg_span)
            if fn.name == "velocity" and len(literals) == 2:
                query = self.check_velocity(literals["counter"], literals["window"])
                if query is not None:
                    queries.append(query)
        return queries

    def check_velocity(self, counter_arg: tuple[str, Span], window_arg: tuple[str, Span]) -> tuple[str, int] | None:
        name, name_span = counter_arg
        counter = self.counters.get(name)
        if counter is None:
            declared = ", ".join(self.counters) or "none"
            self.error(
                f"unknown counter '{name}'",
                name_span,
                f"{_did_you_mean(name, self.counters)}declared counters: {declared}",
            )
            return None
        window, window_span = window_arg
        try:
            seconds = parse_duration(window)
        except ValueError as exc:
            self.error(str(exc), window_span, "durations are a number and a unit: s, m, h, d or w")
            return None
        if seconds not in counter.windows:
            windows = ", ".join(format_duration(w) for w in counter.windows)
            self.error(
                f"counter '{name}' is not kept for a {window} window",
                window_span,
                f"its windows are: {windows} (add {window} to the counter's windows to use it)",
            )
            return None
        return (name, seconds)


def _first_identifier(tokens: list[_Token], name: str) -> _Token | None:
    for index, token in enumerate(tokens):
        if token.kind == "ident" and token.text == name and (index == 0 or tokens[index - 1].text != "."):
            return token
    return None


def _token_span(condition: ConditionSource, token: _Token | None) -> Span:
    if token is None:
        return condition.span(0, len(condition.text))
    return condition.span(token.start, token.end)
