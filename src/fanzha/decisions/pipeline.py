"""The decision pipeline: one event in, one decision out, with everything that explains it.

The pipeline is pure CPU over in-memory state (rules, list indexes, labels, counters): it writes
nothing to the database itself. :mod:`fanzha.decisions.service` makes its results durable.

Order of work for an event (one pass):
1. build the rule input (``event`` in CEL, with links found in the text added to ``content.urls``);
2. record the event in every velocity counter that counts its type and read every counter the
   applicable rules ask for, in one call to the counter store;
3. evaluate the active rule set (compiled CEL), which calls back for lists, labels, account age
   and screening signals only when a rule needs them;
4. build the answer and the decision record;
5. when a live hit declares a victim warning, have the warning issuer (in memory: templates, rate
   limit) add it to the answer; the journal commits its row with the decision.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol

from fanzha.events.entities import EntityRef, extract_entities
from fanzha.events.schemas import Event
from fanzha.kit.clock import ensure_utc, utcnow
from fanzha.kit.counters import CounterQuery, CounterStore, CounterUnavailable, Observation
from fanzha.rules.engine import CompiledRuleSet, Evaluation, Outcome, RuleHit
from fanzha.settings import FailurePolicy, Settings

log = logging.getLogger(__name__)

SCREENING_KIND_BY_EVENT = {
    "message.sent": "message",
    "content.published": "post",
    "listing.published": "listing",
    "account.profile_changed": "profile",
    "account.registered": "profile",
}

EMPTY_SCREEN: dict[str, object] = {
    "risk": 0.0,
    "flagged": False,
    "labels": [],
    "typology": "",
    "indicators": [],
}


class World(Protocol):
    """What the pipeline reads besides the event: lists, labels and account registration times."""

    def in_list(self, list_name: str, value: str, at: float) -> bool: ...

    def labels(self, entity_type: str, value: str, at: float) -> list[str]: ...

    def registered_at(self, account_id: str) -> float | None: ...


Screener = Callable[[str, str], Mapping[str, object]]


class IssuedWarning(Protocol):
    """A victim warning (:class:`fanzha.earlywarning.runtime.IssuedWarning`): answer part, row, record note."""

    @property
    def response(self) -> dict[str, Any] | None: ...

    @property
    def row(self) -> dict[str, Any] | None: ...

    @property
    def note(self) -> dict[str, Any]: ...


class WarningIssuer(Protocol):
    """Issues the victim warning a live hit declares (:class:`fanzha.earlywarning.runtime.WarningIssuer`)."""

    def issue(self, event: Event, hits: Sequence[RuleHit], features: Mapping[str, Any]) -> IssuedWarning | None: ...


@dataclass
class DecisionOutcome:
    """What the pipeline decided, ready to be stored and answered."""

    event: Event
    evaluation: Evaluation
    response: dict[str, Any]
    record: dict[str, Any]
    degraded: list[str] = field(default_factory=list)
    # The victim_warnings row to commit with the decision, when the decision issued a warning.
    warning: dict[str, Any] | None = None

    @cached_property
    def entities(self) -> list[EntityRef]:
        """The entities the event names (only computed when something needs them)."""
        return extract_entities(self.event)


def lookup_path(data: Mapping[str, Any], path: str) -> str | None:
    """The value at a dotted path (``actor.id``) as a string, or None when absent or not a scalar."""
    current: Any = data
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
        if current is None:
            return None
    if isinstance(current, bool | int | float | str):
        return str(current)
    return None


def counter_observations(
    rule_set: CompiledRuleSet, event_id: str, event_type: str, data: Mapping[str, Any], at: float
) -> list[Observation]:
    """What one event records in the velocity counters of ``rule_set`` (used live and on replay)."""
    observations = []
    for spec in rule_set.counters_recording(event_type):
        key = lookup_path(data, spec.key)
        if key is None:
            continue
        member = None
        if spec.distinct is not None:
            member = lookup_path(data, spec.distinct)
            if member is None:
                continue
        observations.append(
            Observation(
                key=f"{spec.name}|{key}",
                at=at,
                observation_id=event_id,
                member=member,
                retention=max(spec.windows),
            )
        )
    return observations


class EventBindings:
    """The rule engine's view of one event's world; remembers every feature it hands out."""

    __slots__ = ("_at", "_event", "_pipeline", "_screen", "_velocity", "degraded", "features")

    def __init__(
        self, pipeline: DecisionPipeline, event: Event, at: float, velocity: dict[tuple[str, int], int]
    ) -> None:
        self._pipeline = pipeline
        self._event = event
        self._at = at
        self._velocity = velocity
        self._screen: dict[str, object] | None = None
        self.features: dict[str, Any] = {}
        self.degraded: list[str] = []

    def in_list(self, list_name: str, value: str) -> bool:
        found = self._pipeline.world.in_list(list_name, value, self._at)
        self.features[f"in_list:{list_name}:{value}"] = found
        return found

    def velocity(self, counter: str, window_seconds: int) -> int:
        return self._velocity.get((counter, window_seconds), 0)

    def labels(self, entity_type: str, value: str) -> list[str]:
        found = self._pipeline.world.labels(entity_type, value, self._at)
        if found:
            self.features[f"labels:{entity_type}:{value}"] = found
        return found

    def account_age_hours(self, account_id: str) -> float:
        registered = None
        actor = self._event.actor
        if account_id == actor.id:
            declared = (actor.model_extra or {}).get("registered_at")
            registered = _epoch(declared)
        if registered is None:
            registered = self._pipeline.world.registered_at(account_id)
        age = -1.0 if registered is None else max(0.0, (self._at - registered) / 3600.0)
        self.features[f"account_age_hours:{account_id}"] = round(age, 3)
        return age

    def screen(self) -> dict[str, object]:
        if self._screen is None:
            try:
                self._screen = self._pipeline.screen_event(self._event)
            except Exception:
                log.exception("screening failed for event %s", self._event.event_id)
                self.degraded.append("screening")
                self._screen = dict(EMPTY_SCREEN)
            self.features["screen"] = self._screen
        return self._screen


def _epoch(value: object) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return ensure_utc(datetime.fromisoformat(value)).timestamp()
        except ValueError:
            return None
    return None


class DecisionPipeline:
    """Evaluates events against the active rule set and the world, for the API, the CLI and fixtures."""

    def __init__(
        self,
        *,
        settings: Settings,
        rules: Callable[[], CompiledRuleSet],
        counters: CounterStore,
        world: World,
        screener: Screener | None,
        warnings: WarningIssuer | None = None,
    ) -> None:
        self.settings = settings
        self._rules = rules
        self.counters = counters
        self.world = world
        self._screener = screener
        # None for replays (`fanzha decide`): they show decisions without issuing warnings to anyone.
        self._warnings = warnings

    def screen_event(self, event: Event) -> dict[str, object]:
        content = event.content
        if self._screener is None or content is None or not (content.text or content.title):
            return dict(EMPTY_SCREEN)
        text = "\n".join(part for part in (content.title, content.text) if part)
        kind = SCREENING_KIND_BY_EVENT.get(event.type, "message")
        return dict(self._screener(text, kind))

    def _counters(
        self, rule_set: CompiledRuleSet, event: Event, data: Mapping[str, Any], at: float
    ) -> dict[tuple[str, int], int]:
        observations = counter_observations(rule_set, event.event_id, event.type, data, at)
        wanted: list[tuple[str, int]] = []
        queries = []
        for name, window in rule_set.counter_queries(event.type):
            spec = rule_set.counters[name]
            key = lookup_path(data, spec.key)
            if key is None:
                continue
            wanted.append((name, window))
            queries.append(CounterQuery(key=f"{name}|{key}", window=window, at=at, distinct=spec.distinct is not None))
        if not observations and not queries:
            return {}
        values = self.counters.apply(observations, queries)
        return dict(zip(wanted, values, strict=True))

    def evaluate(self, event: Event, *, started: float | None = None) -> DecisionOutcome:
        """Decide on ``event``. Dependency failures follow the event type's failure policy."""
        started = time.perf_counter() if started is None else started
        rule_set = self._rules()
        data = event.as_rule_input()
        at = event.occurred_at.timestamp()
        degraded: list[str] = []
        try:
            velocity = self._counters(rule_set, event, data, at)
        except CounterUnavailable as error:
            log.warning("velocity counters unavailable for %s: %s", event.event_id, error)
            degraded.append("counters")
            velocity = {}
        bindings = EventBindings(self, event, at, velocity)
        evaluation = rule_set.evaluate(data, bindings, now=time.time())
        degraded.extend(bindings.degraded)
        latency_ms = (time.perf_counter() - started) * 1000.0
        budget = self.settings.budget_ms(event.type)
        if latency_ms > budget:
            degraded.append("latency_budget")
        decision = evaluation.decision
        reasons = [{"rule": hit.rule_id, "message": hit.message} for hit in evaluation.hits]
        actions = list(evaluation.actions)
        policy = self.settings.policy(event.type)
        dependency_failed = "counters" in degraded or "screening" in degraded
        if dependency_failed and policy is FailurePolicy.fail_closed:
            decision = Outcome.block
            reasons.append({"rule": "fail_closed", "message": "a dependency was unavailable / 依赖不可用"})
        if velocity:
            bindings.features.update({f"velocity:{name}:{window}": value for (name, window), value in velocity.items()})
        response: dict[str, Any] = {
            "event_id": event.event_id,
            "decision": decision.value,
            "score": evaluation.score,
            "reasons": reasons,
            "actions": actions,
            "ruleset_version": rule_set.version,
            "latency_ms": round(latency_ms, 3),
        }
        if degraded:
            response["degraded"] = degraded
        record = {
            "event": data,
            "features": bindings.features,
            "hits": [_hit(hit) for hit in evaluation.hits],
            "shadow_hits": [_hit(hit) for hit in evaluation.shadow_hits],
            "errors": [{"rule": error.rule_id, "message": error.message} for error in evaluation.errors],
            "degraded": degraded,
            "ruleset": {"name": rule_set.name, "version": rule_set.version},
            "failure_policy": policy.value,
            "decided_at": utcnow().isoformat(),
        }
        warning_row = None
        if evaluation.hits and self._warnings is not None:
            issued = self._warnings.issue(event, evaluation.hits, bindings.features)
            if issued is not None:
                record["warning"] = issued.note
                if issued.response is not None:
                    response["warning"] = issued.response
                    warning_row = issued.row
        return DecisionOutcome(event, evaluation, response, record, degraded, warning_row)


def _hit(hit: Any) -> dict[str, Any]:
    return {
        "rule": hit.rule_id,
        "outcome": hit.outcome.value,
        "score": hit.score,
        "message": hit.message,
        "legal_basis": list(hit.legal_basis),
        "actions": list(hit.actions),
    }
