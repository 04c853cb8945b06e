"""Rules declare warnings: the pack's `warning:` field, its diagnostics, and the default pack's warning rules."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources

import pytest

from fanzha.decisions.fixtures import run_case
from fanzha.events.schemas import BUILTIN_EVENT_TYPES
from fanzha.lists.service import DEFAULT_LISTS
from fanzha.rules import RulePackError, compile_rule_pack, load_rule_pack
from fanzha.rules.fixtures import FixtureCase, load_fixtures
from fanzha.rules.outcomes import WarningChannel, WarningRecipient, WarningSpec
from fanzha.settings import Settings

RULE = "pack: x\nrules:\n  - id: a\n    condition: 'true'\n    outcome: {outcome}\n    warning: {warning}\n"
PACKS = resources.files("fanzha.rules").joinpath("packs")
KINDS = {name: kind for name, (kind, _description) in DEFAULT_LISTS.items()}


def test_a_rule_declares_a_warning() -> None:
    text = RULE.format(
        outcome="warn", warning="{typology: T04_fake_cs_refund, recipient: counterparty, channel: full_screen}"
    )
    (rule,) = load_rule_pack(text).rules
    assert rule.warning == WarningSpec("T04_fake_cs_refund", WarningRecipient.counterparty, WarningChannel.full_screen)
    (compiled,) = compile_rule_pack(text).rules
    assert compiled.hit.warning == rule.warning
    (plain,) = load_rule_pack(RULE.format(outcome="review", warning="{typology: auto}")).rules
    assert plain.warning == WarningSpec("auto", WarningRecipient.actor, None)


@pytest.mark.parametrize(
    ("outcome", "warning", "message", "at", "hint"),
    [
        (
            "warn",
            "{typology: T04_fake_refund}",
            "typology of rule 'a' 'T04_fake_refund' is not one of",
            "T04",
            "T04_fake_cs",
        ),
        ("warn", "{typology: auto, recipient: payee}", "recipient of rule 'a' 'payee' is not one of", "payee", "actor"),
        ("warn", "{typology: auto, channel: sms}", "channel of rule 'a' 'sms' is not one of", "sms", "in_app_banner"),
        ("warn", "{typology: auto, audience: all}", "unknown key 'audience'", "audience", "typology"),
        ("warn", "{recipient: actor}", "missing the required key 'typology'", "{", None),
        ("warn", "T04_fake_cs_refund", "must be a mapping", "T04", None),
        ("allow", "{typology: auto}", "outcome allow, so it cannot warn", "{", "remove `warning`"),
    ],
)
def test_warning_errors_point_at_the_problem(
    outcome: str, warning: str, message: str, at: str, hint: str | None
) -> None:
    text = RULE.format(outcome=outcome, warning=warning)
    line = text.splitlines()[5]
    column = line.index(at) + 1
    with pytest.raises(RulePackError) as caught:
        load_rule_pack(text, filename="w.yaml")
    matching = [d for d in caught.value.diagnostics if message in d.message]
    assert matching, caught.value.render()
    location = matching[0].location
    assert location is not None
    assert (location.file, location.line, location.column) == ("w.yaml", 6, column)
    if hint is not None:
        assert hint in (matching[0].hint or "")
    assert f"w.yaml:6:{column}" in caught.value.render()


def _default_pack(text: str | None = None) -> tuple[str, list[FixtureCase]]:
    pack = text or PACKS.joinpath("default.yaml").read_text(encoding="utf-8")
    fixtures = load_fixtures(PACKS.joinpath("default.fixtures.yaml").read_text(encoding="utf-8"))
    return pack, list(fixtures.cases)


@pytest.mark.parametrize("case", _default_pack()[1], ids=lambda c: c.name)
def test_default_pack_fixtures_through_the_pipeline_with_warnings(case: FixtureCase) -> None:
    text, _cases = _default_pack()
    rule_set = compile_rule_pack(text, filename="default.yaml", known_event_types=BUILTIN_EVENT_TYPES)
    result = run_case(case, rule_set, settings=Settings(), list_kinds=KINDS, screener=None)
    assert result.passed, result.problems


def test_a_fixture_that_expects_the_wrong_recipient_fails() -> None:
    text, cases = _default_pack()
    rule_set = compile_rule_pack(text, filename="default.yaml", known_event_types=BUILTIN_EVENT_TYPES)
    (case,) = [c for c in cases if c.name == "message from a reported account warns its receiver"]
    wrong = case.model_copy(update={"expect": case.expect.model_copy(update={"warns": "actor"})})
    result = run_case(wrong, rule_set, settings=Settings(), list_kinds=KINDS, screener=None)
    assert result.problems == ["the warning goes to counterparty, expected actor"]


def test_the_screening_warning_rule_warns_the_receiver_about_the_recognised_typology() -> None:
    """Disabled in the shipped pack (screening is not yet on the hot path); this is what enabling it does."""
    text, _cases = _default_pack()
    marker = "  - id: screen_warn_message_recipient\n"
    start = text.index(marker)
    end = text.index("\n\n", start)
    enabled = text[:start] + text[start:end].replace("mode: disabled", "mode: live") + text[end:]
    assert enabled != text
    rule_set = compile_rule_pack(enabled, filename="default.yaml", known_event_types=BUILTIN_EVENT_TYPES)
    assert rule_set.uses_screen("message.sent")
    signals: Mapping[str, object] = {
        "risk": 0.93,
        "flagged": True,
        "labels": ["fraud", "typology:T04_fake_cs_refund"],
        "typology": "T04_fake_cs_refund",
        "indicators": [],
    }
    case = FixtureCase.model_validate(
        {
            "name": "screened message",
            "setup": {"screen": dict(signals)},
            "event": {
                "type": "message.sent",
                "actor": {"id": "stranger-1"},
                "counterparty": {"id": "buyer-1"},
                "content": {"text": "您的快递丢失，我们将双倍理赔，请开启屏幕共享办理退款"},
            },
            "expect": {
                "decision": "warn",
                "rules": ["screen_warn_message_recipient"],
                "warns": "counterparty",
                "warning_typology": "T04_fake_cs_refund",
            },
        }
    )
    result = run_case(case, rule_set, settings=Settings(), list_kinds=KINDS, screener=None)
    assert result.passed, result.problems
    assert result.response is not None
    assert result.response["warning"]["recipient_id"] == "buyer-1"
