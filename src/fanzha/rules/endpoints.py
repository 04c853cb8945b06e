"""Rule sets over HTTP: show the active one and its history, validate, push and activate."""

from __future__ import annotations

from fastapi import APIRouter, Request

from fanzha.auth.deps import RulesRead, RulesWrite
from fanzha.kit.web import parse_body, runtime_of, unit_of_work
from fanzha.rules import service as rules_service
from fanzha.rules.engine import CompiledRuleSet
from fanzha.rules.models import RuleSetVersion
from fanzha.rules.schemas import RuleOut, RuleSetOut, RuleSetPush, ValidationReport

router = APIRouter(tags=["rules"])

_PUSH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/RuleSetPush"}},
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}


def _rules_out(compiled: CompiledRuleSet) -> list[RuleOut]:
    return [
        RuleOut(
            id=rule.id,
            description=rule.description,
            outcome=rule.outcome.value,
            score=rule.score,
            mode=rule.mode.value,
            legal_basis=list(rule.legal_basis),
            events=None if rule.events is None else sorted(rule.events),
            condition=rule.condition,
        )
        for rule in compiled.rules
    ]


def _version_out(
    version: RuleSetVersion, compiled: CompiledRuleSet | None = None, *, source: bool = False
) -> RuleSetOut:
    return RuleSetOut(
        version=version.version,
        name=version.name,
        filename=version.filename,
        active=version.active,
        created_at=version.created_at,
        created_by=version.created_by,
        activated_at=version.activated_at,
        rules=None if compiled is None else _rules_out(compiled),
        source=version.source if source else None,
    )


async def _read_push(request: Request) -> RuleSetPush:
    body = await request.body()
    limit = runtime_of(request).settings.max_request_bytes
    if request.headers.get("content-type", "").split(";")[0].strip() in {
        "application/yaml",
        "text/yaml",
        "text/plain",
    }:
        return RuleSetPush(
            source=body.decode("utf-8", errors="replace"),
            filename=request.query_params.get("filename", "rules.yaml"),
        )
    return parse_body(RuleSetPush, body, limit=limit, what="rule set")


@router.get("/v1/rules", response_model=RuleSetOut, summary="The active rule set")
def get_active(request: Request, principal: RulesRead) -> RuleSetOut:
    """The active rule set: its version, its rules and its YAML source."""
    runtime = runtime_of(request)
    with unit_of_work(request) as session:
        version = rules_service.active(session)
        return _version_out(version, runtime.rules.current(), source=True)


@router.get("/v1/rules/history", response_model=list[RuleSetOut], summary="Rule set versions")
def history(request: Request, principal: RulesRead, limit: int = 50) -> list[RuleSetOut]:
    with unit_of_work(request) as session:
        return [_version_out(version) for version in rules_service.history(session, limit=min(limit, 500))]


@router.post(
    "/v1/rules/validate",
    response_model=ValidationReport,
    openapi_extra=_PUSH_BODY,
    summary="Validate a rule pack",
)
async def validate(request: Request, principal: RulesRead) -> ValidationReport:
    """Compile a pack without activating it; errors come back as 422 with file:line:column."""
    push = await _read_push(request)
    compiled = rules_service.compile_or_raise(
        push.source, filename=push.filename, known_event_types=runtime_of(request).known_event_types
    )
    return ValidationReport(valid=True, version=compiled.version, rules=len(compiled.rules))


@router.post(
    "/v1/rules",
    response_model=RuleSetOut,
    status_code=201,
    openapi_extra=_PUSH_BODY,
    summary="Push and activate",
)
async def push(request: Request, principal: RulesWrite) -> RuleSetOut:
    """Validate a rule pack (JSON ``{"source", "filename"}`` or a YAML body) and activate it at once."""
    runtime = runtime_of(request)
    body = await _read_push(request)
    with unit_of_work(request) as session:
        version, compiled = rules_service.push(
            session,
            source=body.source,
            filename=body.filename,
            actor=principal.actor,
            known_event_types=runtime.known_event_types,
        )
        out = _version_out(version, compiled)
    runtime.rules.install(compiled)
    return out
