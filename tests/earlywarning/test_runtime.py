"""The warning issuer on the decision path: recipient, typology, rate limit, ids; no database involved."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from fanzha.earlywarning.runtime import WarningIssuer, requested_locale, warning_id
from fanzha.earlywarning.templates import load_templates
from fanzha.events.schemas import Event
from fanzha.kit.counters import CounterQuery, CounterUnavailable, InMemoryCounterStore, Observation
from fanzha.rules.engine import RuleHit
from fanzha.rules.outcomes import Outcome, RuleMode, WarningChannel, WarningRecipient, WarningSpec


class Clock:
    def __init__(self) -> None:
        self.now = 1_767_225_600.0

    def __call__(self) -> float:
        return self.now


class Labels:
    def __init__(self, labels: dict[tuple[str, str], list[str]] | None = None) -> None:
        self.known = labels or {}

    def labels(self, entity_type: str, value: str, at: float) -> list[str]:
        return list(self.known.get((entity_type, value), []))


class BrokenCounters(InMemoryCounterStore):
    def apply(self, observations: Sequence[Observation], queries: Sequence[CounterQuery]) -> list[int]:
        raise CounterUnavailable("redis is down")


def hit(spec: WarningSpec | None, rule: str = "r1", outcome: Outcome = Outcome.warn) -> RuleHit:
    return RuleHit(rule, outcome, 50, "m", RuleMode.live, (), (), spec)


def payment(event_id: str, payer: str = "payer-1", payee: str = "payee-1", **fields: Any) -> Event:
    return Event.model_validate(
        {
            "event_id": event_id,
            "type": "payment.created",
            "occurred_at": "2026-06-01T08:00:00+00:00",
            "actor": {"id": payer},
            "counterparty": {"id": payee},
            **fields,
        }
    )


def issuer(*, limit: int = 2, window: int = 3600, labels: Labels | None = None, counters: Any = None) -> WarningIssuer:
    return WarningIssuer(
        templates=load_templates(),
        counters=counters or InMemoryCounterStore(),
        labels=labels or Labels(),
        limit=limit,
        window_seconds=window,
        clock=CLOCK,
    )


CLOCK = Clock()
AUTO = WarningSpec("auto")


def test_no_warning_without_a_declaring_hit() -> None:
    assert issuer().issue(payment("e1"), [hit(None)], {}) is None
    assert issuer().issue(payment("e1"), [], {}) is None


def test_the_first_declaring_hit_decides_recipient_typology_and_channel() -> None:
    hits = [
        hit(None, "block_rule", Outcome.block),
        hit(WarningSpec("T08_impersonate_police", channel=WarningChannel.full_screen), "police"),
        hit(WarningSpec("T02_investment"), "invest"),
    ]
    issued = issuer().issue(payment("e2"), hits, {})
    assert issued is not None
    assert issued.response is not None
    assert issued.row is not None
    assert issued.response["rule"] == "police"
    assert (issued.response["typology"], issued.response["channel"]) == ("T08_impersonate_police", "full_screen")
    assert issued.row["recipient_id"] == "payer-1"
    assert issued.row["id"] == issued.response["id"] == warning_id("e2")
    assert issued.note == {
        "rule": "police",
        "recipient": "actor",
        "typology": "T08_impersonate_police",
        "id": warning_id("e2"),
    }


def test_auto_typology_from_screening_then_labels_then_generic() -> None:
    labels = Labels({("payment_account", "6222"): ["mule", "t05_fake_loan"]})
    warner = issuer(labels=labels, limit=0)
    screened = warner.issue(payment("e3"), [hit(AUTO)], {"screen": {"typology": "T04_fake_cs_refund"}})
    assert screened is not None
    assert screened.response is not None
    assert screened.response["typology"] == "T04_fake_cs_refund"
    labelled = warner.issue(payment("e4", attributes={"payee_account": "6222"}), [hit(AUTO)], {})
    assert labelled is not None
    assert labelled.response is not None
    assert labelled.response["typology"] == "T05_fake_loan"
    # Labels the rules already looked up are reused rather than looked up again.
    seen = warner.issue(payment("e5"), [hit(AUTO)], {"labels:account:payee-1": ["t10_romance"]})
    assert seen is not None
    assert seen.response is not None
    assert seen.response["typology"] == "T10_romance"
    plain = warner.issue(payment("e6"), [hit(AUTO)], {"screen": {"typology": ""}})
    assert plain is not None
    assert plain.response is not None
    assert plain.response["typology"] == "generic"


def test_a_message_receiver_is_warned_about_its_sender() -> None:
    spec = WarningSpec("auto", recipient=WarningRecipient.counterparty)
    labels = Labels({("account", "sender-1"): ["t01_task_rebate"]})
    message = Event.model_validate(
        {
            "event_id": "m1",
            "type": "message.sent",
            "occurred_at": "2026-06-01T08:00:00+00:00",
            "actor": {"id": "sender-1"},
            "counterparty": {"id": "receiver-1"},
        }
    )
    issued = issuer(labels=labels).issue(message, [hit(spec)], {})
    assert issued is not None
    assert issued.response is not None
    assert (issued.response["recipient"], issued.response["recipient_id"]) == ("counterparty", "receiver-1")
    assert (issued.response["typology"], issued.response["channel"]) == ("T01_task_rebate", "chat_banner")
    lonely = message.model_copy(update={"counterparty": None, "event_id": "m2"})
    suppressed = issuer().issue(lonely, [hit(spec)], {})
    assert suppressed is not None
    assert (suppressed.response, suppressed.row, suppressed.note["suppressed"]) == (None, None, "no_recipient")


def test_rate_limit_per_recipient_and_typology_within_the_window() -> None:
    warner = issuer(limit=2, window=600)
    spec = WarningSpec("T02_investment")

    def warned(event_id: str, payer: str = "payer-1", typology: WarningSpec = spec) -> bool:
        issued = warner.issue(payment(event_id, payer), [hit(typology)], {})
        assert issued is not None
        return issued.response is not None

    assert [warned(f"a{i}") for i in range(4)] == [True, True, False, False]
    assert warned("b1", payer="payer-2")
    assert warned("c1", typology=WarningSpec("T05_fake_loan"))
    # A retried event does not count twice.
    assert not warned("a0")
    CLOCK.now += 601
    assert warned("a9")


def test_the_limit_fails_open_when_the_counters_are_down() -> None:
    issued = issuer(counters=BrokenCounters()).issue(payment("e7"), [hit(AUTO)], {})
    assert issued is not None
    assert issued.response is not None


def test_the_message_is_the_template_alone() -> None:
    event = payment("e8", payee="+8613912345678", attributes={"payee_account": "6222020000001234567"})
    issued = issuer(limit=0).issue(event, [hit(AUTO)], {})
    assert issued is not None
    assert issued.response is not None
    assert issued.response["message"] == load_templates().message("generic", None)


@pytest.mark.parametrize(
    ("locale", "expected"), [("zh-Hans-CN", "zh"), ("en_US", "en"), ("EN", "en"), ("fr-FR", None), (7, None)]
)
def test_requested_locale(locale: object, expected: str | None) -> None:
    assert requested_locale(payment("e9", context={"locale": locale})) == expected
    assert requested_locale(payment("e9")) is None


def test_warning_ids_are_stable_and_distinct() -> None:
    assert warning_id("evt-1") == warning_id("evt-1")
    assert warning_id("evt-1") != warning_id("evt-2")
    assert len(warning_id("x" * 128)) <= 40
