"""The function registry: each function's behaviour, its documented example, and the generated reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from fanzha.rules import FUNCTIONS, Outcome, compile_rule_pack, render_function_docs
from fanzha.rules.functions import url_host

from .fakes import FakeBindings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"

EXAMPLE_PACK = """pack: examples
counters:
  recipients_per_account:
    key: actor.id
    distinct: counterparty.id
    windows: [10m]
rules:
  - id: example
    condition: {condition}
    outcome: warn
"""


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_is_documented_with_an_example_that_compiles(name: str) -> None:
    fn = FUNCTIONS[name]
    assert fn.doc, f"{name} has no docstring"
    assert fn.example, f"{name} has no 'Example:' line"
    assert f"{name}(" in fn.example
    condition = fn.example.replace("'", "''")
    compile_rule_pack(EXAMPLE_PACK.replace("{condition}", f"'{condition}'"))


def evaluate(condition: str, bindings: FakeBindings, event: dict[str, object] | None = None) -> bool:
    rules = compile_rule_pack(EXAMPLE_PACK.replace("{condition}", f"'{condition.replace(chr(39), chr(39) * 2)}'"))
    result = rules.evaluate(event or {"type": "t", "actor": {"id": "a"}}, bindings, now=0.0)
    assert result.errors == (), result.errors
    return result.decision is Outcome.warn


def test_in_list() -> None:
    bindings = FakeBindings(lists={"blocked": {"a"}})
    assert evaluate('in_list("blocked", event.actor.id)', bindings)
    assert not evaluate('in_list("blocked", "b")', bindings)
    assert ("in_list", "blocked", "a") in bindings.calls


def test_domain_in_list_checks_parent_domains_but_not_the_tld() -> None:
    bindings = FakeBindings(lists={"domains": {"evil.example", "com"}})
    assert evaluate('domain_in_list("domains", "https://a.b.Evil.Example:8080/x")', bindings)
    assert not evaluate('domain_in_list("domains", "https://good.com/")', bindings)
    assert not evaluate('domain_in_list("domains", "https://notevil.example/")', bindings)


def test_url_host() -> None:
    assert url_host("https://user:pw@Pay.Example.COM.:8443/a?b") == "pay.example.com"
    assert url_host("evil.example/path") == "evil.example"
    assert url_host("") == ""
    assert url_host("http://[::1") == ""


def test_velocity_passes_window_seconds() -> None:
    bindings = FakeBindings(counts={("recipients_per_account", 600): 21})
    assert evaluate('velocity("recipients_per_account", "10m") > 20', bindings)
    assert bindings.calls == [("velocity", "recipients_per_account", 600)]


def test_labels_and_has_label() -> None:
    bindings = FakeBindings(entity_labels={("account", "a"): ["fraud", "mule"]})
    assert evaluate('has_label("account", event.actor.id, "mule")', bindings)
    assert not evaluate('has_label("account", event.actor.id, "vip")', bindings)
    assert evaluate('labels("account", event.actor.id) == ["fraud", "mule"]', bindings)
    assert evaluate('size(labels("device", "d")) == 0', bindings)


def test_account_age_hours() -> None:
    bindings = FakeBindings(ages={"a": 3.5})
    assert evaluate("account_age_hours(event.actor.id) == 3.5", bindings)
    assert evaluate('account_age_hours("unknown") == -1.0', bindings)


def test_text_helpers() -> None:
    bindings = FakeBindings()
    assert evaluate('contains_any("请转账到安全账户", ["安全账户", "x"])', bindings)
    assert evaluate('contains_any("Safe ACCOUNT now", ["safe account"])', bindings)
    assert not evaluate('contains_any("hello", [])', bindings)
    assert evaluate(r'matches_any("call 13912345678", [r"1[3-9]\d{9}"])', bindings)
    assert not evaluate(r'matches_any("call me", [r"\d{5}", "wechat"])', bindings)
    assert evaluate('lower("ÀB") == "àb"', bindings)


def test_wrong_argument_types_are_runtime_errors() -> None:
    rules = compile_rule_pack(EXAMPLE_PACK.replace("{condition}", '\'contains_any("x", "not a list")\''))
    result = rules.evaluate({"type": "t"}, FakeBindings(), now=0.0)
    assert result.decision is Outcome.allow
    assert "needles must be a list" in result.errors[0].message


def test_docs_contain_the_current_function_reference() -> None:
    generated = render_function_docs()
    assert all(f"`{fn.signature}`" in generated for fn in FUNCTIONS.values())
    assert generated in DOCS.read_text(encoding="utf-8"), (
        "docs/rules.md is out of date: paste fanzha.rules.functions.render_function_docs() into it"
    )
