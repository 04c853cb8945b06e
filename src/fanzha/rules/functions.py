"""The functions and variables rule conditions can use, each a small typed class documented from its code.

A rule condition is a CEL expression. Besides CEL's own operators and a few of its built-in functions, it may
call the functions in :data:`FUNCTIONS`. Most of them ask the decision pipeline for state (lists, counters,
labels, account ages) through a per-event :class:`RuleBindings` object: :meth:`RuleFunction.bind` turns a
function into a plain callable closed over that object, and the engine registers it in the event's
``cel.Context``. ``render_function_docs`` writes the reference in ``docs/rules.md`` from these classes.
"""

from __future__ import annotations

import functools
import inspect
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

from fanzha.kit.durations import parse_duration
from fanzha.lists.kinds import InvalidListValue, domain_candidates


class RuleBindings(Protocol):
    """What a rule may ask about the world while one event is evaluated.

    Implemented by the decision pipeline, one object per evaluated event.
    """

    def in_list(self, list_name: str, value: str) -> bool: ...

    def velocity(self, counter: str, window_seconds: int) -> int: ...

    def labels(self, entity_type: str, value: str) -> list[str]: ...  # entity labels currently in force (names)

    def account_age_hours(self, account_id: str) -> float: ...  # -1.0 when unknown

    def screen(self) -> dict[str, object]: ...  # {"risk", "flagged", "labels", "typology", "indicators"}


@dataclass(frozen=True)
class Param:
    """One argument of a rule function; ``literal`` ones must be string literals in the condition."""

    name: str
    type: str
    literal: bool = False


@dataclass(frozen=True)
class Variable:
    """A variable a condition can read."""

    name: str
    type: str
    description: str


class RuleFunction(ABC):
    """A function rule conditions can call.

    Subclasses set the class attributes and implement :meth:`bind`; the class docstring is the user-facing
    documentation and must contain a line ``Example: <CEL expression>`` (the test suite compiles it).
    """

    name: ClassVar[str]
    params: ClassVar[tuple[Param, ...]]
    returns: ClassVar[str]
    category: ClassVar[str]

    @abstractmethod
    def bind(self, bindings: RuleBindings) -> Callable[..., Any]:
        """A callable for one event's CEL context; it may raise, which fails only the calling rule."""

    @property
    def signature(self) -> str:
        args = ", ".join(f"{p.name}: {p.type}" for p in self.params)
        return f"{self.name}({args}) -> {self.returns}"

    @property
    def doc(self) -> str:
        """The docstring without its ``Example:`` line."""
        text = inspect.getdoc(self) or ""
        return "\n".join(line for line in text.splitlines() if not line.startswith("Example:")).strip()

    @property
    def example(self) -> str:
        for line in (inspect.getdoc(self) or "").splitlines():
            if line.startswith("Example:"):
                return line.removeprefix("Example:").strip()
        return ""


def _text(value: object, function: str, param: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{function}(): {param} must be a string, got {type(value).__name__}")
    return value


class InList(RuleFunction):
    """True when ``value`` is an active entry of the named list (blocklists, allowlists, watch lists).

    Lists of salted hashes that partners share (``intel_phone_sha256_<group>``, ``intel_account_sha256_<group>``,
    ``intel_payment_account_sha256_<group>``) match the value in clear: it is normalised and hashed with the
    group's salt from ``FANZHA_SHARING_SALTS`` (once per value, cached; no database query), then looked up.

    Example: in_list("blocked_phones", event.context.phone)
    """

    name = "in_list"
    params = (Param("list_name", "string"), Param("value", "string"))
    returns = "bool"
    category = "Lists"

    def bind(self, bindings: RuleBindings) -> Callable[[object, object], bool]:
        def in_list(list_name: object, value: object) -> bool:
            # The most called function: check the common case inline rather than through _text.
            if type(list_name) is str and type(value) is str:
                return bindings.in_list(list_name, value)
            return bindings.in_list(_text(list_name, "in_list", "list_name"), _text(value, "in_list", "value"))

        return in_list


class DomainInList(RuleFunction):
    """True when the host of ``url`` (a URL or a bare host name), or any parent domain of it, is on the list.

    ``https://pay.evil.example.com/x`` matches a list entry ``evil.example.com``. The walk stops at the
    registrable domain (public suffix list, as lists use): ``shop.co.uk`` is looked up, ``co.uk`` is not.

    Example: event.content.urls.exists(u, domain_in_list("blocked_domains", u))
    """

    name = "domain_in_list"
    params = (Param("list_name", "string"), Param("url", "string"))
    returns = "bool"
    category = "Lists"

    def bind(self, bindings: RuleBindings) -> Callable[[object, object], bool]:
        def domain_in_list(list_name: object, url: object) -> bool:
            name = _text(list_name, "domain_in_list", "list_name")
            host = url_host(_text(url, "domain_in_list", "url"))
            return any(bindings.in_list(name, candidate) for candidate in _domain_candidates(host))

        return domain_in_list


class UrlHost(RuleFunction):
    """The lower-case host name of a URL (no port, credentials or trailing dot); ``""`` when there is none.

    A missing scheme is tolerated: ``url_host("Evil.example.com/pay")`` is ``"evil.example.com"``.

    Example: url_host("https://Pay.Example.com:8443/x") == "pay.example.com"
    """

    name = "url_host"
    params = (Param("url", "string"),)
    returns = "string"
    category = "Text"

    def bind(self, bindings: RuleBindings) -> Callable[[object], str]:
        return _url_host_checked


def url_host(url: str) -> str:
    """See :class:`UrlHost`."""
    text = url.strip()
    if "://" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".").lower()


@functools.lru_cache(maxsize=65_536)
def _domain_candidates(host: str) -> tuple[str, ...]:
    try:
        return tuple(domain_candidates(host)) if host else ()
    except InvalidListValue:
        return ()


def _url_host_checked(url: object) -> str:
    return url_host(_text(url, "url_host", "url"))


_window_seconds = functools.lru_cache(maxsize=128)(parse_duration)


class Velocity(RuleFunction):
    """How many observations a counter declared in this pack has for the event's entity in a window.

    The entity is the counter's ``key`` read from the current event; for a ``distinct`` counter the result is
    the number of distinct values seen. Both arguments must be string literals: the compiler checks that the
    counter is declared and that the window is one of its windows, and asks the pipeline for exactly those.

    Example: velocity("recipients_per_account", "10m") >= 20
    """

    name = "velocity"
    params = (Param("counter", "string", literal=True), Param("window", "string", literal=True))
    returns = "int"
    category = "Counters"

    def bind(self, bindings: RuleBindings) -> Callable[[object, object], int]:
        def velocity(counter: object, window: object) -> int:
            seconds = _window_seconds(_text(window, "velocity", "window"))
            return int(bindings.velocity(_text(counter, "velocity", "counter"), seconds))

        return velocity


class HasLabel(RuleFunction):
    """True when the entity (``entity_type``, ``value``) currently carries the named label.

    Example: has_label("account", event.counterparty.id, "fraud")
    """

    name = "has_label"
    params = (Param("entity_type", "string"), Param("value", "string"), Param("label", "string"))
    returns = "bool"
    category = "Labels"

    def bind(self, bindings: RuleBindings) -> Callable[[object, object, object], bool]:
        def has_label(entity_type: object, value: object, label: object) -> bool:
            names = bindings.labels(_text(entity_type, "has_label", "entity_type"), _text(value, "has_label", "value"))
            return _text(label, "has_label", "label") in names

        return has_label


class Labels(RuleFunction):
    """The names of the labels the entity (``entity_type``, ``value``) currently carries.

    Example: "mule" in labels("payment_account", event.attributes.payee_account)
    """

    name = "labels"
    params = (Param("entity_type", "string"), Param("value", "string"))
    returns = "list(string)"
    category = "Labels"

    def bind(self, bindings: RuleBindings) -> Callable[[object, object], list[str]]:
        def labels(entity_type: object, value: object) -> list[str]:
            return list(bindings.labels(_text(entity_type, "labels", "entity_type"), _text(value, "labels", "value")))

        return labels


class AccountAgeHours(RuleFunction):
    """Hours since the account was first seen, or ``-1.0`` when fanzha has never seen it.

    Test for ``>= 0.0`` before comparing, so that unknown accounts are not treated as new.

    Example: account_age_hours(event.actor.id) >= 0.0 && account_age_hours(event.actor.id) < 24.0
    """

    name = "account_age_hours"
    params = (Param("account_id", "string"),)
    returns = "double"
    category = "Accounts"

    def bind(self, bindings: RuleBindings) -> Callable[[object], float]:
        def account_age_hours(account_id: object) -> float:
            return float(bindings.account_age_hours(_text(account_id, "account_age_hours", "account_id")))

        return account_age_hours


class ContainsAny(RuleFunction):
    """True when ``text`` contains any of ``needles``, ignoring case (Unicode case folding).

    Example: contains_any(event.content.text, ["安全账户", "刷单", "safe account"])
    """

    name = "contains_any"
    params = (Param("text", "string"), Param("needles", "list(string)"))
    returns = "bool"
    category = "Text"

    def bind(self, bindings: RuleBindings) -> Callable[[object, object], bool]:
        return _contains_any


def _contains_any(text: object, needles: object) -> bool:
    haystack = _text(text, "contains_any", "text").casefold()
    if not isinstance(needles, list):
        raise TypeError(f"contains_any(): needles must be a list, got {type(needles).__name__}")
    return any(_text(n, "contains_any", "needles").casefold() in haystack for n in needles)


class MatchesAny(RuleFunction):
    """True when any of the regular expressions in ``patterns`` is found in ``text`` (Python ``re`` syntax).

    Patterns are compiled once and cached. For a single pattern CEL's own ``text.matches(pattern)`` works too.

    Example: matches_any(event.content.text, [r"1[3-9]\\d{9}", r"(?i)wechat"])
    """

    name = "matches_any"
    params = (Param("text", "string"), Param("patterns", "list(string)"))
    returns = "bool"
    category = "Text"

    def bind(self, bindings: RuleBindings) -> Callable[[object, object], bool]:
        return _matches_any


@functools.lru_cache(maxsize=512)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _matches_any(text: object, patterns: object) -> bool:
    subject = _text(text, "matches_any", "text")
    if not isinstance(patterns, list):
        raise TypeError(f"matches_any(): patterns must be a list, got {type(patterns).__name__}")
    return any(_pattern(_text(p, "matches_any", "patterns")).search(subject) for p in patterns)


class Lower(RuleFunction):
    """``text`` in lower case (full Unicode; CEL's ``lowerAscii`` is not available in this runtime).

    Example: lower(event.context.user_agent).contains("headless")
    """

    name = "lower"
    params = (Param("text", "string"),)
    returns = "string"
    category = "Text"

    def bind(self, bindings: RuleBindings) -> Callable[[object], str]:
        return _lower


def _lower(text: object) -> str:
    return _text(text, "lower", "text").lower()


FUNCTIONS: Mapping[str, RuleFunction] = {
    fn.name: fn
    for fn in (
        InList(),
        DomainInList(),
        Velocity(),
        HasLabel(),
        Labels(),
        AccountAgeHours(),
        ContainsAny(),
        MatchesAny(),
        UrlHost(),
        Lower(),
    )
}
"""Every function a condition may call, by name."""

VARIABLES: Mapping[str, Variable] = {
    v.name: v
    for v in (
        Variable(
            "event",
            "map",
            "The event being decided, as a plain map: `type`, `actor` (`id`, ...), `counterparty`, `context` "
            "(`ip`, `device_id`, `phone`, ...), `content` (`text`, `urls`), `attributes`. Reading a field "
            "that is absent is an error (the rule does not hit): guard optional fields with `has(...)`, one level "
            "at a time: `has(event.context) && has(event.context.phone)`.",
        ),
        Variable("now", "double", "The decision time in seconds since the Unix epoch."),
        Variable(
            "screen",
            "map",
            "Text-screening signals for the event's content: `risk` (double 0..1), `flagged` (bool), "
            "`labels` (list of strings), `typology` (string), `indicators` (list of maps with `type` and "
            "`value`). Computed only for events that some applicable rule reads it for.",
        ),
    )
}
"""Every variable a condition may read, by name."""

CEL_BUILTINS: frozenset[str] = frozenset(
    {
        "size",
        "int",
        "uint",
        "double",
        "string",
        "bytes",
        "dyn",
        "type",
        "timestamp",
        "duration",
        "matches",
        "contains",
        "startsWith",
        "endsWith",
        "getFullYear",
        "getMonth",
        "getDate",
        "getDayOfMonth",
        "getDayOfWeek",
        "getDayOfYear",
        "getHours",
        "getMinutes",
        "getSeconds",
        "getMilliseconds",
    }
)
"""CEL's own functions that this runtime provides and conditions may call (macros such as ``has``,
``exists`` and ``all`` are always available)."""

CEL_TYPE_NAMES: frozenset[str] = frozenset(
    {"int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type"}
)


def render_function_docs() -> str:
    """The Markdown function reference embedded in ``docs/rules.md`` (a test keeps the two identical)."""
    out = [
        "<!-- BEGIN GENERATED FUNCTION REFERENCE: fanzha.rules.functions.render_function_docs() -->",
        "",
        "### Variables",
        "",
        "| name | type | meaning |",
        "| --- | --- | --- |",
    ]
    out.extend(f"| `{v.name}` | {v.type} | {v.description} |" for v in VARIABLES.values())
    categories: dict[str, list[RuleFunction]] = {}
    for fn in FUNCTIONS.values():
        categories.setdefault(fn.category, []).append(fn)
    for category in sorted(categories):
        out.extend(["", f"### {category}"])
        for fn in sorted(categories[category], key=lambda f: f.name):
            out.extend(["", f"#### `{fn.signature}`", "", fn.doc])
            literal = [p.name for p in fn.params if p.literal]
            if literal:
                out.extend(["", f"Arguments that must be string literals: {', '.join(f'`{n}`' for n in literal)}."])
            out.extend(["", "```cel", fn.example, "```"])
    out.extend(
        [
            "",
            "### CEL built-ins",
            "",
            "Operators (`&&`, `||`, `!`, `==`, `<`, `in`, `+`, `? :`, indexing), the macros `has`, `all`, "
            "`exists`, `exists_one`, `map` and `filter`, and these functions: "
            + ", ".join(f"`{name}`" for name in sorted(CEL_BUILTINS))
            + ".",
            "",
            "<!-- END GENERATED FUNCTION REFERENCE -->",
        ]
    )
    return "\n".join(out) + "\n"
