"""Rule set versions: validate, store and activate a rule pack without a restart."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from fanzha.audit import service as audit
from fanzha.kit.clock import utcnow
from fanzha.kit.errors import InvalidInput, NotFound
from fanzha.kit.revisions.repository import RevisionRepository
from fanzha.rules.engine import CompiledRuleSet, compile_rule_pack
from fanzha.rules.errors import RulePackError
from fanzha.rules.models import RuleSetVersion
from fanzha.rules.repository import RuleSetRepository

RULES_REVISION = "rules"


def compile_or_raise(source: str, *, filename: str, known_event_types: Collection[str]) -> CompiledRuleSet:
    """Compile a pack or raise :class:`InvalidInput` listing every diagnostic with file:line:column."""
    try:
        return compile_rule_pack(source, filename=filename, known_event_types=known_event_types)
    except RulePackError as error:
        raise InvalidInput(
            f"the rule pack has {len(error.diagnostics)} error(s)",
            details=[
                {
                    "message": diagnostic.message,
                    "file": None if diagnostic.location is None else diagnostic.location.file,
                    "line": None if diagnostic.location is None else diagnostic.location.line,
                    "column": None if diagnostic.location is None else diagnostic.location.column,
                    "hint": diagnostic.hint,
                    "rendered": diagnostic.render(),
                }
                for diagnostic in error.diagnostics
            ],
            zh=f"规则包有 {len(error.diagnostics)} 处错误",
        ) from None


def push(
    session: Session,
    *,
    source: str,
    filename: str,
    actor: str,
    known_event_types: Collection[str],
    reason: str | None = None,
) -> tuple[RuleSetVersion, CompiledRuleSet]:
    """Validate ``source`` and make it the active rule set (pushing a known version re-activates it).

    ``reason`` (why the change is made, e.g. from the console's confirmation) goes into the audit entry.
    """
    compiled = compile_or_raise(source, filename=filename, known_event_types=known_event_types)
    repository = RuleSetRepository(session)
    previous = repository.active()
    version = repository.by_version(compiled.version)
    repository.deactivate_all()
    now = utcnow()
    if version is None:
        version = RuleSetVersion(
            version=compiled.version,
            name=compiled.name,
            filename=filename,
            source=source,
            created_at=now,
            created_by=actor,
            active=True,
            activated_at=now,
        )
        repository.add(version)
    else:
        version.active = True
        version.activated_at = now
        session.flush()
    RevisionRepository(session).bump(RULES_REVISION)
    audit.record(
        session,
        actor=actor,
        action="rules.activate",
        object_type="rule_set",
        object_id=compiled.version,
        before=None if previous is None else {"version": previous.version},
        after={"version": compiled.version, "name": compiled.name, "rules": len(compiled.rules)},
        reason=reason,
    )
    return version, compiled


def active(session: Session) -> RuleSetVersion:
    version = RuleSetRepository(session).active()
    if version is None:
        raise NotFound(
            "no rule set is active; push one with POST /v1/rules or `fanzha rules push`",
            zh="当前没有生效的规则集；请用 POST /v1/rules 或 `fanzha rules push` 发布",
        )
    return version


def history(session: Session, *, limit: int = 50) -> list[RuleSetVersion]:
    return RuleSetRepository(session).history(limit=limit)
