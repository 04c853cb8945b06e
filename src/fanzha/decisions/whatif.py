"""What a rule change would have changed: stored events replayed against another rule set, writing nothing.

The last N stored decisions are read (oldest first) and each event is evaluated twice, in isolation
(``CompiledRuleSet.evaluate`` with bindings built here, not the decision pipeline): once with the active
rule set (the *current* decision) and once with the candidate (the *would-be* decision). Both evaluations
see the same inputs, so the difference between them is the effect of the edit alone:

- list, label and account-age look-ups the event's decision recorded (its ``features``) are answered as
  they were then; look-ups it did not make (a new rule asks something new) are answered from the lists,
  labels and accounts as they are now;
- velocity counts the decision recorded are reused for counters whose definition the candidate keeps;
  counts it did not record, or of new or redefined counters, come from a throwaway in-memory counter store
  fed with the replayed events only (so they undercount near the start of the replayed window). The live
  counters are never read or written;
- screening signals are the recorded ones, else the screener is run on the stored text;
- ``now`` is the time the event was decided. Failure policies (fail closed) and victim warnings are not
  replayed; the report counts how many answered decisions the active rule set reproduces.

Nothing is written to the database or to any counter, list or cache.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from fanzha.decisions.models import DecisionRecord
from fanzha.decisions.pipeline import (
    EMPTY_SCREEN,
    SCREENING_KIND_BY_EVENT,
    Screener,
    World,
    counter_observations,
    lookup_path,
)
from fanzha.kit.clock import ensure_utc
from fanzha.kit.counters import CounterQuery
from fanzha.kit.counters.memory import InMemoryCounterStore
from fanzha.rules.engine import CompiledRuleSet, Evaluation
from fanzha.rules.outcomes import Outcome, RuleMode
from fanzha.rules.pack import load_rule_pack

MAX_REPLAY = 5_000
"""The most stored events one replay reads (a console request does the work while the analyst waits)."""


@dataclass(frozen=True)
class ReplayedDecision:
    """One replayed event: its current decision (active rule set) and the would-be one (candidate)."""

    event_id: str
    event_type: str
    occurred_at: datetime
    answered: str  # the decision stored when the event was decided
    current: Outcome
    would_be: Outcome
    current_rules: tuple[str, ...]
    would_be_rules: tuple[str, ...]
    would_be_shadow: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return self.current is not self.would_be


@dataclass(frozen=True)
class RuleImpact:
    """How often a rule hit over the replay, with the active rule set and with the candidate."""

    rule_id: str
    mode: str | None  # in the candidate; None when the candidate removes the rule
    current_hits: int | None  # None when the active rule set has no such rule
    would_be_hits: int | None


@dataclass(frozen=True)
class WhatIfReport:
    """The outcome of replaying stored events against a candidate rule set."""

    replayed: int
    changed: int
    transitions: tuple[tuple[Outcome, Outcome, int], ...]  # (current, would-be, how many), most frequent first
    sample: tuple[ReplayedDecision, ...]  # changed decisions, newest first
    impacts: tuple[RuleImpact, ...]
    reproduced: int  # stored answers the active rule set's replay gives again
    other_versions: int  # events answered by a rule set other than the active one
    errors: int  # candidate rule evaluations that failed at run time
    recounted: tuple[str, ...]  # counters counted from the replayed events only
    oldest: datetime | None
    newest: datetime | None

    @property
    def stricter(self) -> int:
        return sum(count for current, would_be, count in self.transitions if would_be > current)

    @property
    def looser(self) -> int:
        return sum(count for current, would_be, count in self.transitions if would_be < current)


@dataclass(frozen=True)
class HitCounts:
    """Live and shadow hits per rule over stored decisions (from their records, nothing re-evaluated)."""

    decisions: int
    live: Mapping[str, int]
    shadow: Mapping[str, int]
    oldest: datetime | None
    newest: datetime | None


def hit_counts(records: Iterable[DecisionRecord]) -> HitCounts:
    """Count the rule hits stored with each decision."""
    live: Counter[str] = Counter()
    shadow: Counter[str] = Counter()
    decisions = 0
    oldest: datetime | None = None
    newest: datetime | None = None
    for row in records:
        decisions += 1
        at = ensure_utc(row.occurred_at)
        oldest = at if oldest is None or at < oldest else oldest
        newest = at if newest is None or at > newest else newest
        payload = row.record if isinstance(row.record, dict) else {}
        live.update({hit["rule"] for hit in payload.get("hits", ()) if isinstance(hit, dict) and "rule" in hit})
        shadow.update(
            {hit["rule"] for hit in payload.get("shadow_hits", ()) if isinstance(hit, dict) and "rule" in hit}
        )
    return HitCounts(decisions, dict(live), dict(shadow), oldest, newest)


def with_rule_live(rule_set: CompiledRuleSet, rule_id: str) -> CompiledRuleSet:
    """``rule_set`` with one (shadow or disabled) rule switched to live: what promoting it would do.

    Raises:
        KeyError: the rule set has no such rule.
    """
    target = rule_set.rule(rule_id)
    pack = load_rule_pack(rule_set.source, filename=rule_set.filename)
    promoted = replace(target, mode=RuleMode.live, hit=replace(target.hit, mode=RuleMode.live))
    return CompiledRuleSet(pack, tuple(promoted if rule.id == rule_id else rule for rule in rule_set.rules))


class _ReplayCounters:
    """Velocity counts for one rule set during a replay: recorded ones when they can be trusted, the rest
    from a throwaway store that sees the replayed events only."""

    def __init__(self, rule_set: CompiledRuleSet, trusted: frozenset[str]) -> None:
        self.rule_set = rule_set
        self.trusted = trusted
        self.store = InMemoryCounterStore()
        self.recounted: set[str] = set()

    def values(
        self, event_id: str, event_type: str, data: Mapping[str, Any], at: float, features: Mapping[str, Any]
    ) -> dict[tuple[str, int], int]:
        found: dict[tuple[str, int], int] = {}
        wanted: list[tuple[str, int]] = []
        queries: list[CounterQuery] = []
        for name, window in self.rule_set.counter_queries(event_type):
            spec = self.rule_set.counters[name]
            key = lookup_path(data, spec.key)
            if key is None:
                continue
            recorded = features.get(f"velocity:{name}:{window}")
            if name in self.trusted and isinstance(recorded, int):
                found[(name, window)] = recorded
                continue
            self.recounted.add(name)
            wanted.append((name, window))
            queries.append(CounterQuery(key=f"{name}|{key}", window=window, at=at, distinct=spec.distinct is not None))
        observations = counter_observations(self.rule_set, event_id, event_type, data, at)
        if observations or queries:
            found.update(zip(wanted, self.store.apply(observations, queries), strict=True))
        return found


class _ReplayBindings:
    """The rule engine's view of one stored event: recorded features first, the current world otherwise."""

    def __init__(
        self,
        *,
        world: World,
        screener: Screener | None,
        data: Mapping[str, Any],
        features: Mapping[str, Any],
        at: float,
    ) -> None:
        self._world = world
        self._screener = screener
        self._data = data
        self._features = features
        self._at = at
        self._screen: dict[str, object] | None = None
        self.counts: dict[tuple[str, int], int] = {}

    def in_list(self, list_name: str, value: str) -> bool:
        recorded = self._features.get(f"in_list:{list_name}:{value}")
        if isinstance(recorded, bool):
            return recorded
        return self._world.in_list(list_name, value, self._at)

    def velocity(self, counter: str, window_seconds: int) -> int:
        return self.counts.get((counter, window_seconds), 0)

    def labels(self, entity_type: str, value: str) -> list[str]:
        recorded = self._features.get(f"labels:{entity_type}:{value}")
        if isinstance(recorded, list):
            return [str(label) for label in recorded]
        return self._world.labels(entity_type, value, self._at)

    def account_age_hours(self, account_id: str) -> float:
        recorded = self._features.get(f"account_age_hours:{account_id}")
        if isinstance(recorded, int | float) and not isinstance(recorded, bool):
            return float(recorded)
        registered: float | None = None
        actor = self._data.get("actor")
        if isinstance(actor, Mapping) and actor.get("id") == account_id:
            declared = actor.get("registered_at")
            if isinstance(declared, int | float):
                registered = float(declared)
            elif isinstance(declared, str):
                try:
                    registered = ensure_utc(datetime.fromisoformat(declared)).timestamp()
                except ValueError:
                    registered = None
        if registered is None:
            registered = self._world.registered_at(account_id)
        return -1.0 if registered is None else max(0.0, (self._at - registered) / 3600.0)

    def screen(self) -> dict[str, object]:
        if self._screen is None:
            recorded = self._features.get("screen")
            self._screen = dict(recorded) if isinstance(recorded, dict) else self._run_screener()
        return self._screen

    def _run_screener(self) -> dict[str, object]:
        content = self._data.get("content")
        if self._screener is None or not isinstance(content, Mapping):
            return dict(EMPTY_SCREEN)
        text = "\n".join(str(part) for part in (content.get("title"), content.get("text")) if part)
        if not text:
            return dict(EMPTY_SCREEN)
        kind = SCREENING_KIND_BY_EVENT.get(str(self._data.get("type", "")), "message")
        return dict(self._screener(text, kind))


def what_would_change(
    records: Sequence[DecisionRecord],
    *,
    current: CompiledRuleSet,
    candidate: CompiledRuleSet,
    world: World,
    screener: Screener | None,
    sample_size: int = 25,
) -> WhatIfReport:
    """Replay ``records`` (newest first, as the repository gives them; at most :data:`MAX_REPLAY`) against
    both rule sets, oldest first.

    ``world`` is only read. See the module docstring for what the replay reproduces.
    """
    rows = sorted(records[:MAX_REPLAY], key=lambda row: row.seq)
    keeps = frozenset(name for name, spec in candidate.counters.items() if current.counters.get(name) == spec)
    current_counters = _ReplayCounters(current, frozenset(current.counters))
    candidate_counters = _ReplayCounters(candidate, keeps)
    current_hits: Counter[str] = Counter()
    would_be_hits: Counter[str] = Counter()
    transitions: Counter[tuple[Outcome, Outcome]] = Counter()
    changed: list[ReplayedDecision] = []
    replayed = reproduced = other_versions = errors = 0
    oldest: datetime | None = None
    newest: datetime | None = None
    for row in rows:
        payload = row.record if isinstance(row.record, dict) else {}
        data = payload.get("event")
        if not isinstance(data, dict):
            continue
        features = payload.get("features")
        features = features if isinstance(features, dict) else {}
        event_type = str(data.get("type") or row.event_type)
        epoch = data.get("occurred_at_epoch")
        occurred = ensure_utc(row.occurred_at)
        at = float(epoch) if isinstance(epoch, int | float) else occurred.timestamp()
        now = ensure_utc(row.decided_at).timestamp()
        bindings = _ReplayBindings(world=world, screener=screener, data=data, features=features, at=at)
        bindings.counts = current_counters.values(row.event_id, event_type, data, at, features)
        before = current.evaluate(data, bindings, now=now, event_type=event_type)
        bindings.counts = candidate_counters.values(row.event_id, event_type, data, at, features)
        after = candidate.evaluate(data, bindings, now=now, event_type=event_type)
        replayed += 1
        oldest = occurred if oldest is None or occurred < oldest else oldest
        newest = occurred if newest is None or occurred > newest else newest
        reproduced += row.decision == before.decision.value
        other_versions += row.ruleset_version != current.version
        errors += len(after.errors)
        current_hits.update(_hit_ids(before))
        would_be_hits.update(_hit_ids(after))
        if before.decision is not after.decision:
            transitions[(before.decision, after.decision)] += 1
            changed.append(
                ReplayedDecision(
                    event_id=row.event_id,
                    event_type=event_type,
                    occurred_at=occurred,
                    answered=row.decision,
                    current=before.decision,
                    would_be=after.decision,
                    current_rules=tuple(hit.rule_id for hit in before.hits),
                    would_be_rules=tuple(hit.rule_id for hit in after.hits),
                    would_be_shadow=tuple(hit.rule_id for hit in after.shadow_hits),
                )
            )
    return WhatIfReport(
        replayed=replayed,
        changed=len(changed),
        transitions=tuple((was, will, count) for (was, will), count in transitions.most_common()),
        sample=tuple(reversed(changed[-sample_size:])) if sample_size > 0 else (),
        impacts=_impacts(current, candidate, current_hits, would_be_hits),
        reproduced=reproduced,
        other_versions=other_versions,
        errors=errors,
        recounted=tuple(sorted(candidate_counters.recounted)),
        oldest=oldest,
        newest=newest,
    )


def _hit_ids(evaluation: Evaluation) -> set[str]:
    return {hit.rule_id for hit in evaluation.hits} | {hit.rule_id for hit in evaluation.shadow_hits}


def _impacts(
    current: CompiledRuleSet, candidate: CompiledRuleSet, before: Counter[str], after: Counter[str]
) -> tuple[RuleImpact, ...]:
    """Rules whose hits, mode or presence differ between the two rule sets, biggest change first."""
    old = {rule.id: rule for rule in current.rules}
    new = {rule.id: rule for rule in candidate.rules}
    impacts = []
    for rule_id in [*new, *(rule_id for rule_id in old if rule_id not in new)]:
        was, now = old.get(rule_id), new.get(rule_id)
        current_hits = before[rule_id] if was is not None else None
        would_be_hits = after[rule_id] if now is not None else None
        if (
            was is not None
            and now is not None
            and (was.hit, was.condition, was.events) == (now.hit, now.condition, now.events)
            and current_hits == would_be_hits
        ):
            continue  # the rule is the same and hit the same events
        impacts.append(RuleImpact(rule_id, None if now is None else now.mode.value, current_hits, would_be_hits))
    impacts.sort(key=lambda impact: -abs((impact.would_be_hits or 0) - (impact.current_hits or 0)))
    return tuple(impacts)
