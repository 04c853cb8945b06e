"""A fake RuleBindings and helpers shared by the rule engine tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fanzha.rules.engine import CompiledRuleSet, compile_rule_pack

EVENT_TYPES = (
    "account.registered",
    "account.login",
    "account.profile_changed",
    "message.sent",
    "content.published",
    "listing.published",
    "payment.created",
)


@dataclass
class FakeBindings:
    """In-memory bindings; records every call so tests can check what the engine asked for."""

    lists: dict[str, set[str]] = field(default_factory=dict)
    counts: dict[tuple[str, int], int] = field(default_factory=dict)
    entity_labels: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    ages: dict[str, float] = field(default_factory=dict)
    signals: dict[str, object] | None = None
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def in_list(self, list_name: str, value: str) -> bool:
        self.calls.append(("in_list", list_name, value))
        return value in self.lists.get(list_name, set())

    def velocity(self, counter: str, window_seconds: int) -> int:
        self.calls.append(("velocity", counter, window_seconds))
        return self.counts.get((counter, window_seconds), 0)

    def labels(self, entity_type: str, value: str) -> list[str]:
        self.calls.append(("labels", entity_type, value))
        return self.entity_labels.get((entity_type, value), [])

    def account_age_hours(self, account_id: str) -> float:
        self.calls.append(("account_age_hours", account_id))
        return self.ages.get(account_id, -1.0)

    def screen(self) -> dict[str, object]:
        self.calls.append(("screen",))
        if self.signals is None:
            raise RuntimeError("screening unavailable")
        return self.signals


def pack(rules: str, *, head: str = "") -> CompiledRuleSet:
    """Compile a pack from a YAML ``rules:`` body (already indented by two spaces)."""
    return compile_rule_pack(f"pack: test\n{head}rules:\n{rules}", filename="test.yaml")


def dig(event: Mapping[str, Any], path: str) -> Any:
    value: Any = event
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value
