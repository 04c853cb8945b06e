from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import pytest

from fanzha.decisions.pipeline import DecisionPipeline, lookup_path
from fanzha.events.schemas import Event
from fanzha.kit.counters import CounterQuery, CounterUnavailable, InMemoryCounterStore, Observation
from fanzha.kit.setup import default_pack_text
from fanzha.rules.engine import compile_rule_pack
from fanzha.settings import FailurePolicy, Settings


class DownCounters:
    """A counter backend that is unreachable (Redis down)."""

    def apply(self, observations: Sequence[Observation], queries: Sequence[CounterQuery]) -> list[int]:
        raise CounterUnavailable("connection refused")

    def close(self) -> None: ...

    def ping(self) -> bool:
        return False


class EmptyWorld:
    def in_list(self, list_name: str, value: str, at: float) -> bool:
        return False

    def labels(self, entity_type: str, value: str, at: float) -> list[str]:
        return []

    def registered_at(self, account_id: str) -> float | None:
        return None


def pipeline(settings: Settings, counters: object) -> DecisionPipeline:
    rules = compile_rule_pack(default_pack_text(), filename="default.yaml")
    return DecisionPipeline(
        settings=settings,
        rules=lambda: rules,
        counters=counters,  # type: ignore[arg-type]
        world=EmptyWorld(),
        screener=None,
    )


def message(event_id: str = "e1", recipient: str = "b", second: int = 0) -> Event:
    return Event.model_validate(
        {
            "event_id": event_id,
            "type": "message.sent",
            "occurred_at": datetime(2026, 6, 1, 0, 0, second, tzinfo=UTC),
            "actor": {"id": "a"},
            "counterparty": {"id": recipient},
        }
    )


class TestFailurePolicy:
    def test_fail_open_decides_without_the_dependency(self) -> None:
        outcome = pipeline(Settings(), DownCounters()).evaluate(message())
        assert outcome.response["decision"] == "allow"
        assert outcome.response["degraded"] == ["counters"]
        assert outcome.record["failure_policy"] == "fail_open"

    def test_fail_closed_blocks(self) -> None:
        settings = Settings(failure_policy={"message.sent": FailurePolicy.fail_closed})
        outcome = pipeline(settings, DownCounters()).evaluate(message())
        assert outcome.response["decision"] == "block"
        assert outcome.response["reasons"][-1]["rule"] == "fail_closed"

    def test_healthy_dependency_is_not_degraded(self) -> None:
        settings = Settings(failure_policy={"message.sent": FailurePolicy.fail_closed})
        outcome = pipeline(settings, InMemoryCounterStore()).evaluate(message())
        assert outcome.response["decision"] == "allow"
        assert "degraded" not in outcome.response

    def test_latency_budget_overrun_is_recorded(self) -> None:
        settings = Settings(decision_budget_ms={"message.sent": 0.000001})
        outcome = pipeline(settings, InMemoryCounterStore()).evaluate(message())
        assert "latency_budget" in outcome.response["degraded"]


class TestVelocityIsPointInTime:
    def test_an_event_never_counts_itself(self) -> None:
        decide = pipeline(Settings(), InMemoryCounterStore())
        seen = [decide.evaluate(message(f"e{i}", recipient=f"r{i}", second=i)).record["features"] for i in range(3)]
        assert [f["velocity:recipients_per_account:600"] for f in seen] == [0, 1, 2]

    def test_events_at_the_same_instant_do_not_count_each_other(self) -> None:
        decide = pipeline(Settings(), InMemoryCounterStore())
        seen = [decide.evaluate(message(f"e{i}", recipient=f"r{i}")).record["features"] for i in range(3)]
        assert [f["velocity:recipients_per_account:600"] for f in seen] == [0, 0, 0]


@pytest.mark.parametrize(
    ("path", "expected"),
    [("actor.id", "a"), ("context.ip", None), ("score", "3"), ("nested", None), ("flag", "True")],
)
def test_lookup_path(path: str, expected: str | None) -> None:
    data: Mapping[str, object] = {"actor": {"id": "a"}, "score": 3, "nested": {"x": 1}, "flag": True}
    assert lookup_path(data, path) == expected


class TestScreeningSignals:
    """The default pack's screening rules, switched on, act on the real screening library's signals."""

    def test_enabled_card_trading_rule_blocks_and_delists(self) -> None:
        from fanzha.runtime import default_screener

        source = default_pack_text().replace("    mode: disabled\n", "    mode: live\n")
        rules = compile_rule_pack(source, filename="default.yaml")
        decide = DecisionPipeline(
            settings=Settings(),
            rules=lambda: rules,
            counters=InMemoryCounterStore(),
            world=EmptyWorld(),
            screener=default_screener(),
        )
        listing = Event.model_validate(
            {
                "event_id": "l1",
                "type": "listing.published",
                "occurred_at": "2026-06-01T00:00:00Z",
                "actor": {"id": "seller"},
                "content": {"title": "出售", "text": "出售实名手机卡，收银行卡四件套，加微信 abc12345"},
            }
        )
        outcome = decide.evaluate(listing)
        assert outcome.response["decision"] == "block"
        assert "screen_card_trading_listing" in [r["rule"] for r in outcome.response["reasons"]]
        assert "delist" in outcome.response["actions"]
        assert outcome.record["features"]["screen"]["flagged"] is True

        ordinary = Event.model_validate(
            {**listing.model_dump(mode="json"), "event_id": "l2", "content": {"text": "九成新儿童自行车，自提"}}
        )
        assert decide.evaluate(ordinary).response["decision"] == "allow"
