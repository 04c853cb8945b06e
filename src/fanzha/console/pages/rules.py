"""Rules: the active rule set and its history, diffs, an editor that validates as you type, fixture runs,
shadow hit counts, what an edit would have changed on stored events, and push with a confirmation.

Validation is the rule compiler's (the diagnostics ``fanzha rules validate`` prints), fixtures run through
``fanzha rules test``'s runner, and a push goes through the service ``POST /v1/rules`` uses, so it is
versioned, audited (with the reason given at the confirmation) and active at once without a restart.
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from fanzha.audit.repository import AuditRepository
from fanzha.auth.roles import Permission
from fanzha.console.web import Console, ConsoleAction, ConsolePage
from fanzha.decisions.fixtures import CaseResult, run_fixtures
from fanzha.decisions.repository import DecisionRepository
from fanzha.decisions.whatif import MAX_REPLAY, HitCounts, hit_counts, what_would_change, with_rule_live
from fanzha.kit.errors import Conflict, InvalidInput, NotFound
from fanzha.kit.web import runtime_of, unit_of_work
from fanzha.lists import service as lists_service
from fanzha.rules import service as rules_service
from fanzha.rules.diff import diff_packs
from fanzha.rules.engine import CompiledRuleSet, compile_rule_pack
from fanzha.rules.errors import RuleDiagnostic, RulePackError
from fanzha.rules.fixtures import load_fixtures
from fanzha.rules.models import RuleSetVersion
from fanzha.rules.outcomes import RuleMode
from fanzha.rules.pack import RuleDef, RulePack, parse_rule_pack
from fanzha.rules.repository import RuleSetRepository
from fanzha.runtime import LiveWorld, default_screener
from fanzha.settings import Settings

router = APIRouter()

DEFAULT_WINDOW = 1_000
"""How many of the latest stored decisions the hit counts and replays look at unless the user chooses."""
WINDOW_CHOICES = (100, 1_000, MAX_REPLAY)
SAMPLE_SIZE = 25
MAX_SOURCE = 2_000_000  # characters, as the API's RuleSetPush
MAX_REASON = 1_000
VERSION_PATTERN = r"^[A-Za-z0-9_.-]+$"  # a rule set version is a hash prefix; nothing else goes into a redirect

Source = Annotated[str, Form(max_length=MAX_SOURCE)]
FileName = Annotated[str, Form(max_length=300)]


# --------------------------------------------------------------------------------------------------
# What the templates show


@dataclass(frozen=True)
class RuleRow:
    """One rule as the tables show it (read from the pack, so a version is shown without compiling it)."""

    id: str
    description: str
    mode: str
    outcome: str
    score: int
    legal_basis: tuple[str, ...]
    events: tuple[str, ...] | None
    line: int
    live_hits: int | None = None
    shadow_hits: int | None = None


@dataclass(frozen=True)
class Activation:
    """One activation of a version, from the audit log: who, when, why."""

    version: str
    actor: str
    at: Any
    reason: str | None


@dataclass(frozen=True)
class DiagnosticView:
    location: str | None
    line: int | None
    column: int | None
    message: str
    hint: str | None
    snippet: str | None


def _rows(pack: RulePack | None, counts: HitCounts | None = None) -> list[RuleRow]:
    if pack is None:
        return []
    return [_row(pack, rule, counts) for rule in pack.rules]


def _row(pack: RulePack, rule: RuleDef, counts: HitCounts | None) -> RuleRow:
    return RuleRow(
        id=rule.id,
        description=rule.description,
        mode=rule.mode.value,
        outcome=rule.outcome.value,
        score=rule.score,
        legal_basis=rule.legal_basis,
        events=rule.events,
        line=pack.source.location(rule.span.start).line,
        live_hits=None if counts is None else counts.live.get(rule.id, 0),
        shadow_hits=None if counts is None else counts.shadow.get(rule.id, 0),
    )


SNIPPET_LEAD = 28  # characters kept before the caret when a long source line is cut to fit the editor's side panel


def _diagnostic_views(diagnostics: list[RuleDiagnostic]) -> list[DiagnosticView]:
    views = []
    for diagnostic in diagnostics:
        location = diagnostic.location
        views.append(
            DiagnosticView(
                location=None if location is None else str(location),
                line=None if location is None else location.line,
                column=None if location is None else location.column,
                message=diagnostic.message,
                hint=diagnostic.hint,
                snippet=_snippet(diagnostic),
            )
        )
    return views


def _snippet(diagnostic: RuleDiagnostic) -> str | None:
    """The source line and the caret, as ``RuleDiagnostic.render`` draws them, with a long line cut on the left."""
    location = diagnostic.location
    if location is None or diagnostic.source_line is None:
        return None
    text = diagnostic.source_line.expandtabs(1)
    width = max(1, min(diagnostic.length, len(text) - location.column + 1))
    cut = max(0, location.column - 1 - SNIPPET_LEAD)
    shown = ("…" + text[cut:]) if cut else text
    caret = location.column - 1 - cut + (1 if cut else 0)
    gutter = " " * len(str(location.line))
    return "\n".join(
        (
            f"{gutter}--> {location}",
            f"{gutter} |",
            f"{location.line} | {shown}".rstrip(),
            f"{gutter} | {' ' * _display_width(shown[:caret])}{'^' * width}",
        )
    )


def _display_width(text: str) -> int:
    """Columns ``text`` takes in a monospace font: Chinese characters take two, so the caret lines up under them."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _mode_counts(pack: RulePack | None) -> dict[str, int]:
    counts = {mode.value: 0 for mode in RuleMode}
    for rule in pack.rules if pack is not None else ():
        counts[rule.mode.value] += 1
    return counts


def _window(n: int | None) -> int:
    return max(1, min(n or DEFAULT_WINDOW, MAX_REPLAY))


def _posted(source: str) -> str:
    # Browsers send a textarea's line breaks as CRLF; the pack (and so its version hash) is stored with LF.
    return source.replace("\r\n", "\n").replace("\r", "\n")


def _activations(session: Session, *, limit: int = 200) -> dict[str, list[Activation]]:
    """Activations per version, newest first (a version can be activated again after a rollback)."""
    found: dict[str, list[Activation]] = {}
    entries = AuditRepository(session).search(limit=limit, object_type="rule_set", action="rules.activate")
    for entry in entries:
        found.setdefault(entry.object_id, []).append(Activation(entry.object_id, entry.actor, entry.at, entry.reason))
    return found


def _version(session: Session, version: str) -> RuleSetVersion:
    found = RuleSetRepository(session).by_version(version)
    if found is None:
        raise NotFound(f"no rule set version {version!r}", zh=f"没有规则集版本 {version!r}")
    return found


def _active_compiled(request: Request, active: RuleSetVersion) -> CompiledRuleSet:
    """The active rule set compiled: the process's own copy when it is current, else compiled from the database."""
    runtime = runtime_of(request)
    current = runtime.rules.current()
    if current.version == active.version:
        return current
    return compile_rule_pack(active.source, filename=active.filename, known_event_types=runtime.known_event_types)


# --------------------------------------------------------------------------------------------------
# The active rule set, its history and the shadow results


@router.get("/rules", include_in_schema=False)
def overview(
    request: Request,
    console: ConsolePage,
    n: Annotated[int, Query(ge=1, le=MAX_REPLAY)] = DEFAULT_WINDOW,
    pushed: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    console.require(Permission.rules_read)
    with unit_of_work(request) as session:
        active = rules_service.active(session)
        history = rules_service.history(session, limit=50)
        activations = _activations(session)
        counts = (
            hit_counts(DecisionRepository(session).recent(limit=n)) if console.can(Permission.decisions_read) else None
        )
    pack, _ = parse_rule_pack(active.source, filename=active.filename)
    rows = _rows(pack, counts)
    previous = {newer.version: older.version for newer, older in itertools.pairwise(history)}
    return console.render(
        "rules/index.html",
        active=active,
        pack=pack,
        rows=rows,
        shadow=[row for row in rows if row.mode == RuleMode.shadow.value],
        modes=_mode_counts(pack),
        activation=next(iter(activations.get(active.version, [])), None),
        history=history,
        activations=activations,
        previous=previous,
        counts=counts,
        n=n,
        window_choices=WINDOW_CHOICES,
        pushed=pushed,
        can_write=console.can(Permission.rules_write),
    )


@router.get("/rules/versions/{version}", include_in_schema=False)
def version_page(request: Request, console: ConsolePage, version: str) -> HTMLResponse:
    console.require(Permission.rules_read)
    with unit_of_work(request) as session:
        found = _version(session, version)
        active = RuleSetRepository(session).active()
        history = rules_service.history(session, limit=500)
        activations = _activations(session).get(found.version, [])
    pack, _ = parse_rule_pack(found.source, filename=found.filename)
    versions = [item.version for item in history]
    index = versions.index(found.version) if found.version in versions else -1
    older = versions[index + 1] if 0 <= index < len(versions) - 1 else None
    return console.render(
        "rules/version.html",
        version=found,
        active=active,
        pack=pack,
        rows=_rows(pack),
        source_lines=found.source.splitlines(),
        activations=activations,
        older=older,
        can_write=console.can(Permission.rules_write),
    )


@router.get("/rules/diff", include_in_schema=False)
def diff_query(
    console: ConsolePage,
    a: Annotated[str, Query(max_length=64, pattern=VERSION_PATTERN)],
    b: Annotated[str, Query(max_length=64, pattern=VERSION_PATTERN)],
) -> Response:
    """The query form of the diff (two selects) goes to the diff's own address."""
    console.require(Permission.rules_read)
    return RedirectResponse(f"/console/rules/versions/{a}/diff/{b}", status_code=303)


@router.get("/rules/versions/{a}/diff/{b}", include_in_schema=False)
def diff_page(request: Request, console: ConsolePage, a: str, b: str) -> HTMLResponse:
    console.require(Permission.rules_read)
    with unit_of_work(request) as session:
        old, new = _version(session, a), _version(session, b)
        history = rules_service.history(session, limit=500)
    return console.render(
        "rules/diff.html",
        old=old,
        new=new,
        diff=diff_packs(old.source, new.source),
        history=history,
    )


@router.get("/rules/shadow/{rule_id}", include_in_schema=False)
def shadow_preview(
    request: Request,
    console: ConsolePage,
    rule_id: str,
    n: Annotated[int, Query(ge=1, le=MAX_REPLAY)] = DEFAULT_WINDOW,
) -> HTMLResponse:
    """What a shadow (or disabled) rule would have changed over the last ``n`` events had it been live."""
    console.require(Permission.rules_read)
    console.require(Permission.decisions_read)
    with unit_of_work(request) as session:
        active = rules_service.active(session)
        records = DecisionRepository(session).recent(limit=n)
    current = _active_compiled(request, active)
    try:
        rule = current.rule(rule_id)
    except KeyError:
        raise NotFound(
            f"the active rule set has no rule {rule_id!r}", zh=f"当前生效的规则集中没有规则 {rule_id!r}"
        ) from None
    report = None
    if rule.mode is not RuleMode.live:
        report = what_would_change(
            records,
            current=current,
            candidate=with_rule_live(current, rule_id),
            world=_world(request),
            screener=default_screener(),
            sample_size=SAMPLE_SIZE,
        )
    return console.render(
        "rules/shadow.html", rule=rule, report=report, invalid=0, n=n, window_choices=WINDOW_CHOICES, active=active
    )


# --------------------------------------------------------------------------------------------------
# The editor


def _editor(
    request: Request,
    console: Console,
    *,
    source: str,
    filename: str,
    base: RuleSetVersion,
    status_code: int = 200,
) -> HTMLResponse:
    diagnostics, summary = _validate(request, source, filename)
    return console.render(
        "rules/edit.html",
        status_code=status_code,
        source=source,
        filename=filename,
        base=base,
        diagnostics=diagnostics,
        summary=summary,
        n=DEFAULT_WINDOW,
        max_replay=MAX_REPLAY,
        can_replay=console.can(Permission.decisions_read),
    )


@router.get("/rules/edit", include_in_schema=False)
def editor(
    request: Request,
    console: ConsolePage,
    start_from: Annotated[str | None, Query(alias="from", max_length=64)] = None,
) -> HTMLResponse:
    """The editor, prefilled with the active rule set (or the version named by ``?from=``)."""
    console.require(Permission.rules_write)
    with unit_of_work(request) as session:
        active = rules_service.active(session)
        start = _version(session, start_from) if start_from else active
    return _editor(request, console, source=start.source, filename=active.filename, base=active)


@router.post("/rules/edit", include_in_schema=False)
def editor_again(request: Request, console: ConsoleAction, source: Source, filename: FileName) -> HTMLResponse:
    """Back from the confirmation to the editor, with the text being pushed."""
    console.require(Permission.rules_write)
    with unit_of_work(request) as session:
        active = rules_service.active(session)
    return _editor(request, console, source=_posted(source), filename=filename, base=active)


@dataclass(frozen=True)
class ValidSummary:
    name: str
    version: str
    rules: int
    modes: dict[str, int]
    counters: int


def _validate(request: Request, source: str, filename: str) -> tuple[list[DiagnosticView], ValidSummary | None]:
    """The compiler's diagnostics for ``source`` (as ``fanzha rules validate`` prints them), or a summary."""
    compiled, diagnostics = _compile(request, source, filename)
    if compiled is None:
        return _diagnostic_views(diagnostics), None
    modes = {mode.value: 0 for mode in RuleMode}
    for rule in compiled.rules:
        modes[rule.mode.value] += 1
    return [], ValidSummary(compiled.name, compiled.version, len(compiled.rules), modes, len(compiled.counters))


def _compile(request: Request, source: str, filename: str) -> tuple[CompiledRuleSet | None, list[RuleDiagnostic]]:
    try:
        compiled = compile_rule_pack(
            source, filename=filename or "rules.yaml", known_event_types=runtime_of(request).known_event_types
        )
    except RulePackError as error:
        return None, error.diagnostics
    return compiled, []


@router.post("/rules/validate", include_in_schema=False)
def validate(request: Request, console: ConsoleAction, source: Source, filename: FileName = "rules.yaml") -> Response:
    """The validation panel of the editor (htmx, as you type): errors at line:column, or "valid"."""
    console.require(Permission.rules_read)
    diagnostics, summary = _validate(request, _posted(source), filename)
    return console.render(
        "rules/validation.html",
        status_code=422 if diagnostics else 200,
        diagnostics=diagnostics,
        summary=summary,
    )


def _fixtures_panel(console: Console, *, status_code: int = 200, **values: Any) -> HTMLResponse:
    shown: dict[str, Any] = {"invalid": 0, "fixture_file": None, "pack": None, "broken": None, "results": None}
    shown.update(values)
    results = shown["results"] or []
    return console.render(
        "rules/fixtures.html",
        status_code=status_code,
        failed=sum(1 for result in results if not result.passed),
        **shown,
    )


@router.post("/rules/fixtures", include_in_schema=False)
def fixtures(request: Request, console: ConsoleAction, source: Source, filename: FileName = "rules.yaml") -> Response:
    """Run the fixture cases written beside the pack against the edited text (``fanzha rules test``)."""
    console.require(Permission.rules_read)
    runtime = runtime_of(request)
    compiled, diagnostics = _compile(request, _posted(source), filename)
    if compiled is None:
        return _fixtures_panel(console, status_code=422, invalid=len(diagnostics))
    # The fixture file is looked for beside the file the active set was pushed from, never beside a
    # path the browser sent: that would let a reader probe the server's files.
    found = fixture_file_for(compiled, runtime.rules.current().filename, runtime.settings)
    if found is None:
        return _fixtures_panel(console, pack=compiled.name)
    name, text = found
    try:
        cases = load_fixtures(text, filename=name)
    except RulePackError as error:
        return _fixtures_panel(console, status_code=422, fixture_file=name, broken=_diagnostic_views(error.diagnostics))
    kinds = {list_name: kind for list_name, (kind, _description) in lists_service.DEFAULT_LISTS.items()}
    results: list[CaseResult] = run_fixtures(
        cases, compiled, settings=runtime.settings, list_kinds=kinds, screener=default_screener()
    )
    return _fixtures_panel(console, fixture_file=name, pack=compiled.name, results=results)


def fixture_file_for(compiled: CompiledRuleSet, filename: str, settings: Settings) -> tuple[str, str] | None:
    """The fixture file written beside the pack: ``NAME.fixtures.yaml`` next to the file it was pushed from,
    next to ``FANZHA_RULES_PATH``, or among the shipped packs; only one written for this pack's name."""
    candidates: list[tuple[str, str]] = []
    for pack_path in (Path(filename), settings.rules_path):
        if pack_path is None or not pack_path.is_absolute():
            continue
        beside = pack_path.with_name(_fixture_name(pack_path.name))
        if beside.is_file():
            candidates.append((str(beside), beside.read_text(encoding="utf-8")))
    shipped = resources.files("fanzha.rules").joinpath("packs", f"{compiled.name}.fixtures.yaml")
    if shipped.is_file():
        candidates.append((shipped.name, shipped.read_text(encoding="utf-8")))
    for name, text in candidates:
        try:
            declared = load_fixtures(text, filename=name).pack
        except RulePackError:
            return name, text  # shown with its own errors
        if declared is None or declared == compiled.name:
            return name, text
    return None


def _fixture_name(pack_file: str) -> str:
    return pack_file.removesuffix(".yaml").removesuffix(".yml") + ".fixtures.yaml"


def _world(request: Request) -> LiveWorld:
    runtime = runtime_of(request)
    return LiveWorld(runtime.lists, runtime.labels, runtime.accounts)


@router.post("/rules/what-if", include_in_schema=False)
def what_if(
    request: Request,
    console: ConsoleAction,
    source: Source,
    filename: FileName = "rules.yaml",
    n: Annotated[int, Form(ge=1, le=MAX_REPLAY)] = DEFAULT_WINDOW,
) -> Response:
    """Replay the last ``n`` stored events against the edited text; nothing is written anywhere."""
    console.require(Permission.rules_read)
    console.require(Permission.decisions_read)
    candidate, diagnostics = _compile(request, _posted(source), filename)
    if candidate is None:
        return console.render("rules/whatif.html", status_code=422, invalid=len(diagnostics), report=None, n=n)
    with unit_of_work(request) as session:
        active = rules_service.active(session)
        records = DecisionRepository(session).recent(limit=_window(n))
    report = what_would_change(
        records,
        current=_active_compiled(request, active),
        candidate=candidate,
        world=_world(request),
        screener=default_screener(),
        sample_size=SAMPLE_SIZE,
    )
    return console.render("rules/whatif.html", invalid=0, report=report, n=n)


# --------------------------------------------------------------------------------------------------
# Push, with a confirmation


@router.post("/rules/push/review", include_in_schema=False)
def review_push(request: Request, console: ConsoleAction, source: Source, filename: FileName) -> HTMLResponse:
    """The confirmation: what changes against the active version, and the reason to record."""
    console.require(Permission.rules_write)
    text = _posted(source)
    with unit_of_work(request) as session:
        active = rules_service.active(session)
    compiled, _ = _compile(request, text, filename)
    if compiled is None:
        return _editor(request, console, source=text, filename=filename, base=active, status_code=422)
    return _confirm(console, source=text, filename=filename, active=active, compiled=compiled)


def _confirm(
    console: Console,
    *,
    source: str,
    filename: str,
    active: RuleSetVersion,
    compiled: CompiledRuleSet,
    error: str | None = None,
    reason: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    return console.render(
        "rules/confirm.html",
        status_code=status_code,
        source=source,
        filename=filename,
        active=active,
        compiled=compiled,
        diff=diff_packs(active.source, source),
        error=error,
        reason=reason,
        max_reason=MAX_REASON,
        can_replay=console.can(Permission.decisions_read),
    )


@router.post("/rules/push", include_in_schema=False)
def push(
    request: Request,
    console: ConsoleAction,
    source: Source,
    filename: FileName,
    expected: Annotated[str, Form(max_length=64)],
    reason: Annotated[str, Form(max_length=MAX_REASON)] = "",
) -> Response:
    """Validate, store and activate through the rules service (as ``POST /v1/rules``), then install it here."""
    console.require(Permission.rules_write)
    runtime = runtime_of(request)
    text = _posted(source)
    note = " ".join(reason.split())
    if not note:
        with unit_of_work(request) as session:
            active = rules_service.active(session)
        compiled, _ = _compile(request, text, filename)
        if compiled is None:
            raise InvalidInput("the rule pack has errors; go back to the editor", zh="规则包有错误，请返回编辑器修改")
        return _confirm(
            console,
            source=text,
            filename=filename,
            active=active,
            compiled=compiled,
            error="rules.confirm.reason_missing",
            status_code=422,
        )
    with unit_of_work(request) as session:
        active = rules_service.active(session)
        if active.version != expected:
            raise Conflict(
                f"the active rule set changed to {active.version} after you reviewed the change against {expected};"
                " review it again",
                zh=f"您对照 {expected} 审阅变更后，生效规则集已变为 {active.version}，请重新审阅",
            )
        version, compiled = rules_service.push(
            session,
            source=text,
            filename=filename,
            actor=console.actor,
            known_event_types=runtime.known_event_types,
            reason=note,
        )
        pushed = version.version
    runtime.rules.install(compiled)
    return console.redirect(f"/console/rules?pushed={pushed}")
