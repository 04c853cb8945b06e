"""Replaying stored decisions against a candidate rule set: recorded features, recounted counters, promotion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fanzha.decisions.models import DecisionRecord
from fanzha.decisions.pipeline import DecisionPipeline
from fanzha.decisions.whatif import hit_counts, what_would_change, with_rule_live
from fanzha.events.schemas import Event
from fanzha.kit.counters import InMemoryCounterStore
from fanzha.rules.engine import CompiledRuleSet, compile_rule_pack
from fanzha.rules.outcomes import Outcome, RuleMode
from fanzha.settings import Settings

PACK = """\
pack: whatif
counters:
  messages_per_account:
    events: [message.sent]
    key: actor.id
    windows: [1h]
rules:
  - id: watched_sender
    condition: in_list("watch", event.actor.id)
    outcome: review
    score: 50
  - id: burst
    events: [message.sent]
    condition: velocity("messages_per_account", "1h") >= 3
    outcome: block
    score: 100
  - id: shouting
    events: [message.sent]
    condition: has(event.content) && event.content.text.contains("!!!")
    outcome: block
    score: 100
    mode: shadow
"""

START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


class SetWorld:
    """Lists held in a dict; no labels, no accounts."""

    def __init__(self, lists: dict[str, set[str]]) -> None:
        self.lists = lists

    def in_list(self, list_name: str, value: str, at: float) -> bool:
        return value in self.lists.get(list_name, set())

    def labels(self, entity_type: str, value: str, at: float) -> list[str]:
        return []

    def registered_at(self, account_id: str) -> float | None:
        return None


def compiled(text: str = PACK) -> CompiledRuleSet:
    return compile_rule_pack(text, filename="whatif.yaml")


def decided(rule_set: CompiledRuleSet, world: SetWorld, messages: list[tuple[str, str]]) -> list[DecisionRecord]:
    """Decide ``(actor, text)`` messages one minute apart as the server would; the stored rows, newest first."""
    pipeline = DecisionPipeline(
        settings=Settings(), rules=lambda: rule_set, counters=InMemoryCounterStore(), world=world, screener=None
    )
    rows = []
    for index, (actor, text) in enumerate(messages):
        at = START + timedelta(minutes=index)
        event = Event.model_validate(
            {
                "event_id": f"e{index}",
                "type": "message.sent",
                "occurred_at": at,
                "actor": {"id": actor},
                "counterparty": {"id": "friend"},
                "content": {"text": text},
            }
        )
        outcome = pipeline.evaluate(event)
        rows.append(
            DecisionRecord(
                seq=index + 1,
                event_id=event.event_id,
                event_type=event.type,
                occurred_at=at,
                decided_at=at,
                actor_id=actor,
                decision=outcome.response["decision"],
                score=outcome.response["score"],
                ruleset_version=rule_set.version,
                latency_ms=0.1,
                response=outcome.response,
                record=outcome.record,
            )
        )
    return rows[::-1]


def test_the_same_rule_set_changes_nothing_and_reproduces_every_answer() -> None:
    rules = compiled()
    world = SetWorld({"watch": {"acct-9"}})
    records = decided(
        rules, world, [("acct-1", "hi"), ("acct-9", "hi"), ("acct-1", "a"), ("acct-1", "b"), ("acct-1", "c")]
    )
    assert [row.decision for row in records[::-1]] == ["allow", "review", "allow", "allow", "block"]
    report = what_would_change(records, current=rules, candidate=rules, world=world, screener=None)
    assert (report.replayed, report.changed, report.reproduced, report.other_versions) == (5, 0, 5, 0)
    assert report.sample == ()
    assert report.impacts == ()


def test_recorded_list_lookups_are_answered_as_they_were_decided() -> None:
    rules = compiled()
    world = SetWorld({"watch": {"acct-9"}})
    records = decided(rules, world, [("acct-9", "hi"), ("acct-2", "hi")])
    world.lists["watch"].clear()  # taken off the list since
    stricter = compiled(PACK.replace("outcome: review\n    score: 50", "outcome: block\n    score: 100"))
    report = what_would_change(records, current=rules, candidate=stricter, world=world, screener=None)
    assert report.reproduced == 2
    assert report.changed == 1
    (changed,) = report.sample
    assert (changed.event_id, changed.current, changed.would_be) == ("e0", Outcome.review, Outcome.block)
    assert changed.would_be_rules == ("watched_sender",)


def test_a_new_counter_is_counted_from_the_replayed_events_only() -> None:
    rules = compiled()
    world = SetWorld({})
    records = decided(rules, world, [("acct-1", "a"), ("acct-1", "b"), ("acct-1", "c"), ("acct-1", "d")])
    candidate = compiled(
        PACK.replace(
            "rules:\n",
            "  short_burst:\n    events: [message.sent]\n    key: actor.id\n    windows: [10m]\nrules:\n"
            '  - id: short_burst\n    condition: velocity("short_burst", "10m") >= 2\n    outcome: block\n',
        )
    )
    report = what_would_change(records, current=rules, candidate=candidate, world=world, screener=None)
    assert report.recounted == ("short_burst",)  # messages_per_account is unchanged: its recorded counts are used
    assert [item.event_id for item in report.sample] == ["e2"]  # e3 was blocked by burst already
    assert report.sample[0].would_be_rules == ("short_burst",)
    impact = {item.rule_id: item for item in report.impacts}["short_burst"]
    assert (impact.current_hits, impact.would_be_hits) == (None, 2)


def test_a_redefined_counter_is_not_trusted_from_the_records() -> None:
    rules = compiled()
    world = SetWorld({})
    records = decided(rules, world, [("acct-1", "a"), ("acct-2", "b"), ("acct-3", "c"), ("acct-4", "d")])
    per_recipient = compiled(PACK.replace("key: actor.id", "key: counterparty.id"))
    report = what_would_change(records, current=rules, candidate=per_recipient, world=world, screener=None)
    assert report.recounted == ("messages_per_account",)
    assert [(item.event_id, item.would_be) for item in report.sample] == [("e3", Outcome.block)]


def test_promoting_a_shadow_rule_and_counting_shadow_hits() -> None:
    rules = compiled()
    world = SetWorld({})
    records = decided(rules, world, [("acct-1", "pay now!!!"), ("acct-2", "hello"), ("acct-3", "!!! win")])
    counts = hit_counts(records)
    assert (counts.decisions, counts.shadow, counts.live) == (3, {"shouting": 2}, {})
    promoted = with_rule_live(rules, "shouting")
    assert promoted.rule("shouting").mode is RuleMode.live
    assert rules.rule("shouting").mode is RuleMode.shadow  # the original is untouched
    report = what_would_change(records, current=rules, candidate=promoted, world=world, screener=None)
    assert report.changed == 2
    assert report.stricter == 2
    assert report.looser == 0
    with pytest.raises(KeyError):
        with_rule_live(rules, "no_such_rule")
