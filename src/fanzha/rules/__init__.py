"""The rule engine: rule packs in YAML, CEL conditions compiled once, a typed function registry.

See ``docs/rules.md`` for the pack format and the function reference.
"""

from fanzha.rules.engine import (
    CompiledRule,
    CompiledRuleSet,
    CounterSpec,
    Evaluation,
    RuleError,
    RuleHit,
    compile_pack,
    compile_rule_pack,
)
from fanzha.rules.errors import RuleDiagnostic, RulePackError, SourceLocation
from fanzha.rules.functions import FUNCTIONS, RuleBindings, RuleFunction, render_function_docs
from fanzha.rules.outcomes import Outcome, RuleMode
from fanzha.rules.pack import RulePack, load_rule_pack

__all__ = [
    "FUNCTIONS",
    "CompiledRule",
    "CompiledRuleSet",
    "CounterSpec",
    "Evaluation",
    "Outcome",
    "RuleBindings",
    "RuleDiagnostic",
    "RuleError",
    "RuleFunction",
    "RuleHit",
    "RuleMode",
    "RulePack",
    "RulePackError",
    "SourceLocation",
    "compile_pack",
    "compile_rule_pack",
    "load_rule_pack",
    "render_function_docs",
]
