"""Microbenchmark: evaluating the shipped default pack vs executing the same CEL programs bare.

Run: ``.venv/bin/python bench/rules.py``. Prints microseconds per evaluation for a few event types.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import cel

from fanzha.rules import compile_rule_pack

PACK = Path(__file__).resolve().parents[1] / "src" / "fanzha" / "rules" / "packs" / "default.yaml"


class Bindings:
    """Trivial bindings: nothing is listed, counters are zero, screening is quiet."""

    def in_list(self, list_name: str, value: str) -> bool:
        return False

    def velocity(self, counter: str, window_seconds: int) -> int:
        return 0

    def labels(self, entity_type: str, value: str) -> list[str]:
        return []

    def account_age_hours(self, account_id: str) -> float:
        return 500.0

    def screen(self) -> dict[str, object]:
        return {"risk": 0.1, "flagged": False, "labels": [], "typology": "", "indicators": []}


EVENTS: dict[str, dict[str, Any]] = {
    "message.sent": {
        "type": "message.sent",
        "actor": {"id": "acct-1"},
        "counterparty": {"id": "acct-2"},
        "context": {"ip": "203.0.113.5", "device_id": "dev-1"},
        "content": {"text": "今晚一起吃饭吗", "urls": ["https://example.com/menu"]},
    },
    "account.login": {
        "type": "account.login",
        "actor": {"id": "acct-1"},
        "context": {"ip": "203.0.113.5", "device_id": "dev-1", "phone": "+8613800000001"},
    },
    "payment.created": {
        "type": "payment.created",
        "actor": {"id": "acct-1"},
        "counterparty": {"id": "acct-2"},
        "attributes": {"payee_account": "6222020000000000000", "amount": 120},
    },
}


def per_call(fn: Any, rounds: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(rounds):
        fn()
    return (time.perf_counter() - start) / rounds * 1e6


def main() -> None:
    rules = compile_rule_pack(PACK.read_text(encoding="utf-8"), filename=str(PACK))
    bindings = Bindings()
    rounds = 5000
    print(f"pack {rules.name} {rules.version}: {len(rules.rules)} rules")
    for event_type, event in EVENTS.items():
        applicable = [r for r in rules.rules if r.applies_to(event_type) and r.mode.value != "disabled"]
        programs = [r.program for r in applicable]
        functions = {
            "in_list": bindings.in_list,
            "domain_in_list": lambda name, url: False,
            "velocity": lambda counter, window: 0,
            "has_label": lambda kind, value, label: False,
            "account_age_hours": bindings.account_age_hours,
        }

        needs_screen = any(r.uses_screen for r in applicable)
        needed = {name for r in applicable for name in r.functions}
        bound = {name: fn for name, fn in functions.items() if name in needed}

        def bare(
            event: dict[str, Any] = event,
            programs: list[Any] = programs,
            needs_screen: bool = needs_screen,
            bound: dict[str, Any] = bound,
        ) -> None:
            variables: dict[str, Any] = {"event": event}
            if needs_screen:
                variables["screen"] = bindings.screen()
            context = cel.Context(variables, bound)
            for program in programs:
                try:
                    program.execute(context)
                except Exception:
                    pass

        def engine(event: dict[str, Any] = event) -> None:
            rules.evaluate(event, bindings, now=0.0)

        bare_us = per_call(bare, rounds)
        engine_us = per_call(engine, rounds)
        print(
            f"{event_type:16} {len(programs):2} rules  engine {engine_us:6.1f} µs/eval"
            f"  bare CEL {bare_us:6.1f} µs  overhead {engine_us - bare_us:5.1f} µs"
        )


if __name__ == "__main__":
    main()
