"""Runs a rule pack's fixture cases through the real decision pipeline, in an isolated world.

Each case gets fresh in-memory counters, its own lists, labels and account ages (from ``setup``),
replays its prior events (one second apart, ending just before ``now``), decides its event and
checks ``expect``, including the victim warning the decision issues. Nothing touches a database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fanzha.decisions.pipeline import DecisionOutcome, DecisionPipeline, Screener
from fanzha.earlywarning.runtime import WarningIssuer
from fanzha.earlywarning.templates import load_templates
from fanzha.events.schemas import Event
from fanzha.kit.counters.memory import InMemoryCounterStore
from fanzha.lists.kinds import InvalidListValue, ListKind, normalize_value
from fanzha.rules.engine import CompiledRuleSet
from fanzha.rules.fixtures import FixtureCase, FixtureFile
from fanzha.settings import Settings

DEFAULT_NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z, so fixture runs are reproducible


@dataclass
class FixtureWorld:
    """Lists, labels and account ages declared by one fixture case."""

    list_kinds: Mapping[str, ListKind]
    entries: dict[str, set[str]] = field(default_factory=dict)
    labels_by_entity: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    registered: dict[str, float] = field(default_factory=dict)

    def _normalize(self, list_name: str, value: str) -> str | None:
        kind = self.list_kinds.get(list_name)
        if kind is None:
            return value
        try:
            return normalize_value(kind, value)
        except InvalidListValue:
            return None

    def add_entry(self, list_name: str, value: str) -> None:
        normalized = self._normalize(list_name, value)
        if normalized is None:
            raise ValueError(f"invalid value {value!r} for list {list_name!r}")
        self.entries.setdefault(list_name, set()).add(normalized)

    def in_list(self, list_name: str, value: str, at: float) -> bool:
        normalized = self._normalize(list_name, value)
        return normalized is not None and normalized in self.entries.get(list_name, set())

    def labels(self, entity_type: str, value: str, at: float) -> list[str]:
        return list(self.labels_by_entity.get((entity_type, value), []))

    def registered_at(self, account_id: str) -> float | None:
        return self.registered.get(account_id)


@dataclass
class CaseResult:
    name: str
    passed: bool
    problems: list[str]
    response: dict[str, Any] | None


def _event(data: Mapping[str, Any], *, event_id: str, at: float) -> Event:
    payload = dict(data)
    payload.setdefault("event_id", event_id)
    payload.setdefault("occurred_at", datetime.fromtimestamp(at, UTC).isoformat())
    return Event.model_validate(payload)


def check_expectations(case: FixtureCase, outcome: DecisionOutcome) -> list[str]:
    """Every way the decision differs from what the case expects (empty when it passes)."""
    expect = case.expect
    response = outcome.response
    hit = {h.rule_id for h in outcome.evaluation.hits}
    shadow = {h.rule_id for h in outcome.evaluation.shadow_hits}
    problems = []
    if expect.decision is not None and response["decision"] != expect.decision:
        problems.append(f"decision is {response['decision']}, expected {expect.decision}")
    problems += [f"rule {rule} did not hit" for rule in expect.rules if rule not in hit]
    problems += [f"rule {rule} hit but must not" for rule in expect.not_rules if rule in hit | shadow]
    problems += [f"shadow rule {rule} did not hit" for rule in expect.shadow_rules if rule not in shadow]
    problems += [f"action {a} missing" for a in expect.actions if a not in response["actions"]]
    if expect.min_score is not None and response["score"] < expect.min_score:
        problems.append(f"score {response['score']} is below {expect.min_score}")
    if expect.max_score is not None and response["score"] > expect.max_score:
        problems.append(f"score {response['score']} is above {expect.max_score}")
    warning = response.get("warning")
    warned = warning["recipient"] if warning else "nobody"
    if expect.warns is not None and warned != expect.warns:
        problems.append(f"the warning goes to {warned}, expected {expect.warns}")
    if expect.warning_typology is not None and (warning or {}).get("typology") != expect.warning_typology:
        found = warning["typology"] if warning else "no warning"
        problems.append(f"warning typology is {found}, expected {expect.warning_typology}")
    for error in outcome.evaluation.errors:
        problems.append(f"rule {error.rule_id} failed: {error.message}")
    return problems


def run_case(
    case: FixtureCase,
    rule_set: CompiledRuleSet,
    *,
    settings: Settings,
    list_kinds: Mapping[str, ListKind],
    screener: Screener | None,
) -> CaseResult:
    now = case.now if case.now is not None else DEFAULT_NOW
    world = FixtureWorld(list_kinds)
    try:
        for entry in case.setup.lists:
            world.add_entry(entry.list, entry.value)
    except ValueError as error:
        return CaseResult(case.name, False, [str(error)], None)
    for label in case.setup.labels:
        world.labels_by_entity.setdefault((label.entity_type, label.value), []).append(label.label)
    for age in case.setup.account_ages:
        world.registered[age.account_id] = now - age.hours * 3600.0
    if case.setup.screen is not None:
        declared = dict(case.setup.screen)

        def fixed_screener(text: str, kind: str) -> Mapping[str, object]:
            return declared

        screener = fixed_screener
    counters = InMemoryCounterStore()
    pipeline = DecisionPipeline(
        settings=settings,
        rules=lambda: rule_set,
        counters=counters,
        world=world,
        screener=screener,
        # Each case starts with nobody warned, so the rate limit never hides the warning a case expects.
        warnings=WarningIssuer(
            templates=load_templates(),
            counters=counters,
            labels=world,
            limit=settings.warning_rate_limit,
            window_seconds=settings.warning_rate_window_seconds,
        ),
    )
    prior = case.setup.prior_events()
    try:
        for index, data in enumerate(prior):
            pipeline.evaluate(_event(data, event_id=f"prior-{index}", at=now - (len(prior) - index)))
        outcome = pipeline.evaluate(_event(case.event, event_id="case", at=now))
    except Exception as error:  # a malformed fixture event is a failed case, not a crash
        return CaseResult(case.name, False, [f"{type(error).__name__}: {error}"], None)
    problems = check_expectations(case, outcome)
    return CaseResult(case.name, not problems, problems, outcome.response)


def run_fixtures(
    fixtures: FixtureFile,
    rule_set: CompiledRuleSet,
    *,
    settings: Settings,
    list_kinds: Mapping[str, ListKind],
    screener: Screener | None,
    on_result: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    results = []
    for case in fixtures.cases:
        result = run_case(case, rule_set, settings=settings, list_kinds=list_kinds, screener=screener)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results
