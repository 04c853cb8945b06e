"""The ``fanzha`` command."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import orjson
import typer
from pydantic import ValidationError
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from fanzha.auth import service as auth_service
from fanzha.cli.audit import audit_app
from fanzha.cli.common import DataDir, console, fail, reports_errors, settings_for
from fanzha.cli.notices import notices_app
from fanzha.cli.referrals import referrals_app
from fanzha.cli.users import user_app
from fanzha.kit.db import create_db_engine, transaction
from fanzha.kit.errors import InvalidInput
from fanzha.kit.setup import FIRST_KEY_FILE, default_pack_path, initialise
from fanzha.lists import service as lists_service
from fanzha.lists.kinds import ListKind
from fanzha.settings import Settings

app = typer.Typer(
    name="fanzha",
    help="fanzha 反诈: anti-fraud decisions, rules, lists and screening for an internet platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
rules_app = typer.Typer(help="Validate, push and test rule packs.", no_args_is_help=True)
lists_app = typer.Typer(help="Import and export indicator lists (CSV).", no_args_is_help=True)
apikey_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(lists_app, name="lists")
app.add_typer(apikey_app, name="apikey")
app.add_typer(audit_app, name="audit")
app.add_typer(notices_app, name="notices")
app.add_typer(referrals_app, name="referrals")
app.add_typer(user_app, name="user")


class JobsMode(StrEnum):
    worker = "worker"
    inline = "inline"
    off = "off"


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def _init(settings: Settings, *, quiet: bool = False) -> None:
    from fanzha.runtime import known_event_types

    engine = create_db_engine(settings.resolved_database_url, synchronous=settings.sqlite_synchronous)
    try:
        report = initialise(engine, settings, known_event_types=known_event_types(settings))
    finally:
        engine.dispose()
    if report.created_rules and not quiet:
        console.print(f"activated the rule set [bold]{report.created_rules}[/bold]")
    if report.admin_secret:
        console.print("\n[bold green]Your first admin API key (shown once):[/bold green]")
        console.print(f"  {report.admin_secret}\n", markup=False, highlight=False)
        key_file = settings.data_dir / FIRST_KEY_FILE
        if key_file.exists():
            console.print(f"(also saved, owner-only, in {key_file}; delete it once stored elsewhere)\n")


@app.command()
@reports_errors
def init(data_dir: DataDir = None) -> None:
    """Create or migrate the database, default lists and rule pack, and the first admin key."""
    _init(settings_for(data_dir))
    console.print("ready.")


def _has_console_users(settings: Settings) -> bool:
    from fanzha.console import service as console_service
    from fanzha.kit.db import session_factory

    engine = create_db_engine(settings.resolved_database_url)
    try:
        with session_factory(engine)() as session:
            return bool(console_service.list_users(session))
    finally:
        engine.dispose()


@app.command()
@reports_errors
def serve(
    data_dir: DataDir = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
    jobs: Annotated[
        JobsMode,
        typer.Option(
            help="Where the background jobs run: 'worker' (a `fanzha worker` process started beside the "
            "server), 'inline' (in the server process) or 'off' (you run `fanzha worker` yourself)."
        ),
    ] = JobsMode.worker,
) -> None:
    """Initialise if needed, then serve the API (and start its background worker)."""
    import subprocess

    import uvicorn

    from fanzha.app import create_app

    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    # Background jobs hold the GIL in long stretches of ORM work; in a process of their own they do
    # not take the API process's CPU (see docs/performance.md).
    overrides["jobs_in_process"] = jobs is JobsMode.inline
    settings = settings_for(data_dir, **overrides)
    _init(settings, quiet=True)
    console.print(f"serving on http://{settings.host}:{settings.port}  (data in {settings.data_dir.resolve()})")
    console.print(f"console: http://{settings.host}:{settings.port}/console/", highlight=False)
    if not _has_console_users(settings):
        console.print("  no console user yet: create one with `fanzha user create NAME --role admin`")
    worker = None
    if jobs is JobsMode.worker:
        command = [sys.executable, "-m", "fanzha", "worker", "--data-dir", str(settings.data_dir)]
        command += ["--parent-pid", str(os.getpid())]
        worker = subprocess.Popen(command)  # noqa: S603 - our own command line, no shell
    try:
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            access_log=access_log,
        )
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)


@app.command("worker")
@reports_errors
def worker_command(
    data_dir: DataDir = None,
    interval: Annotated[float, typer.Option(help="Seconds between rounds of jobs.")] = 1.0,
    parent_pid: Annotated[
        int | None, typer.Option(help="Stop when this process is gone (set by `fanzha serve`).")
    ] = None,
) -> None:
    """Run the background jobs: the bus (cases from decisions, webhooks), measure expiry, SLA escalation."""
    import signal
    import time

    from fanzha.bus.worker import DueProcessJobs
    from fanzha.kit.db import session_factory

    settings = settings_for(data_dir)
    _init(settings, quiet=True)
    # The server checkpoints the SQLite log; a second checkpointer would only get in its way.
    engine = create_db_engine(
        settings.resolved_database_url, synchronous=settings.sqlite_synchronous, deferred_checkpoints=True
    )
    jobs = DueProcessJobs(session_factory(engine), notice_warning_hours=settings.notice_deadline_warning_hours)
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    console.print(f"worker running (pid {os.getpid()}, a round every {interval:g} s)", highlight=False)
    try:
        # A server stopped by SIGTERM may exit without reaching its clean-up (uvicorn re-raises the
        # signal), so the worker also watches for its parent to be gone.
        while not stopping and (parent_pid is None or os.getppid() == parent_pid):
            started = time.monotonic()
            jobs.tick()
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
    finally:
        engine.dispose()


@apikey_app.command("create")
@reports_errors
def apikey_create(
    role: Annotated[
        str,
        typer.Option(
            help="admin, analyst, senior_reviewer, appeals_officer, police_liaison, api_client, auditor or metrics."
        ),
    ],
    name: Annotated[str, typer.Option(help="Who or what the key is for.")] = "cli",
    data_dir: DataDir = None,
) -> None:
    """Create an API key and print its secret (shown once)."""
    settings = settings_for(data_dir)
    _init(settings, quiet=True)
    engine = create_db_engine(settings.resolved_database_url)
    try:
        from fanzha.kit.db import session_factory

        with transaction(session_factory(engine)) as session:
            key, secret = auth_service.create_key(session, name=name, role=auth_service.parse_role(role), actor="cli")
            key_id = key.id
    finally:
        engine.dispose()
    console.print(f"created key {key_id} ({role}):")
    sys.stdout.write(secret + "\n")


@rules_app.command("validate")
@reports_errors
def rules_validate(file: Annotated[Path, typer.Argument(help="Rule pack YAML.")], data_dir: DataDir = None) -> None:
    """Check a rule pack; errors are shown with file:line:column (exit code 2)."""
    from fanzha.rules.engine import compile_rule_pack
    from fanzha.runtime import known_event_types

    text = _read_text(file)
    compiled = compile_rule_pack(text, filename=str(file), known_event_types=known_event_types(settings_for(data_dir)))
    console.print(f"[green]valid[/green]: {compiled.name} {compiled.version} ({len(compiled.rules)} rules)")


@rules_app.command("push")
@reports_errors
def rules_push(file: Annotated[Path, typer.Argument(help="Rule pack YAML.")], data_dir: DataDir = None) -> None:
    """Validate a rule pack and make it the active rule set (a running server picks it up within seconds)."""
    from fanzha.kit.db import session_factory
    from fanzha.rules import service as rules_service
    from fanzha.runtime import known_event_types

    settings = settings_for(data_dir)
    _init(settings, quiet=True)
    text = _read_text(file)
    engine = create_db_engine(settings.resolved_database_url)
    try:
        with transaction(session_factory(engine)) as session:
            version, compiled = rules_service.push(
                session,
                source=text,
                filename=str(file),
                actor="cli",
                known_event_types=known_event_types(settings),
            )
            label = version.version
    finally:
        engine.dispose()
    console.print(f"[green]active[/green]: {compiled.name} {label} ({len(compiled.rules)} rules)")


@rules_app.command("test")
@reports_errors
def rules_test(
    pack: Annotated[Path | None, typer.Argument(help="Rule pack YAML (default: the shipped default pack).")] = None,
    fixtures: Annotated[Path | None, typer.Option(help="Fixture file (default: PACK.fixtures.yaml beside it).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Run the fixture events written beside a rule pack and report which cases pass."""
    from fanzha.decisions.fixtures import run_fixtures
    from fanzha.rules.engine import compile_rule_pack
    from fanzha.rules.fixtures import load_fixtures
    from fanzha.runtime import default_screener, known_event_types

    settings = settings_for(data_dir)
    pack = pack or default_pack_path()
    fixtures = fixtures or pack.with_name(pack.name.removesuffix(".yaml").removesuffix(".yml") + ".fixtures.yaml")
    if not fixtures.exists():
        raise fail(f"no fixture file {fixtures}")
    rule_set = compile_rule_pack(_read_text(pack), filename=str(pack), known_event_types=known_event_types(settings))
    cases = load_fixtures(_read_text(fixtures), filename=str(fixtures))
    kinds = {name: kind for name, (kind, _d) in lists_service.DEFAULT_LISTS.items()}
    failed = 0

    def show(result: object) -> None:
        nonlocal failed
        from fanzha.decisions.fixtures import CaseResult

        assert isinstance(result, CaseResult)
        if result.passed:
            console.print(f"[green]PASS[/green] {result.name}", highlight=False)
        else:
            failed += 1
            console.print(f"[red]FAIL[/red] {result.name}", highlight=False)
            for problem in result.problems:
                console.print(f"     {problem}", markup=False, highlight=False)

    results = run_fixtures(
        cases, rule_set, settings=settings, list_kinds=kinds, screener=default_screener(), on_result=show
    )
    console.print(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise typer.Exit(1)


@lists_app.command("import")
@reports_errors
def lists_import(
    name: Annotated[str, typer.Argument(help="List name, e.g. blocked_phones.")],
    file: Annotated[Path, typer.Argument(help="CSV with a header: value[,reason,source,expires_at].")],
    kind: Annotated[ListKind | None, typer.Option(help="Create the list with this kind if it does not exist.")] = None,
    source: Annotated[str, typer.Option(help="Source recorded for rows without one.")] = "import",
    data_dir: DataDir = None,
) -> None:
    """Import a CSV into a list. Every row is checked first: one bad row imports nothing (exit code 2)."""
    from fanzha.kit.db import session_factory

    settings = settings_for(data_dir)
    _init(settings, quiet=True)
    engine = create_db_engine(settings.resolved_database_url, synchronous=settings.sqlite_synchronous)
    sessions = session_factory(engine)
    try:
        with transaction(sessions) as session:
            if kind is not None:
                lists_service.create_list(session, name=name, kind=kind, description="", actor="cli")
            indicator_list = lists_service.get_list(session, name=name)
            try:
                with file.open(encoding="utf-8-sig", newline="") as stream:
                    rows, errors = lists_service.parse_csv(indicator_list, stream)
            except UnicodeDecodeError as error:
                raise fail(f"{file} is not UTF-8 text (byte {error.start})") from None
            if errors:
                for row_error in errors:
                    console.print(f"{file}:{row_error}", markup=False, highlight=False)
                raise fail(f"{len(errors)} invalid row(s); nothing was imported")
            with _progress() as progress:
                task = progress.add_task(f"importing into {name}", total=len(rows))
                count = lists_service.import_entries(
                    session,
                    list_name=name,
                    rows=rows,
                    actor="cli",
                    source=source,
                    progress=lambda n: progress.advance(task, n),
                )
    finally:
        engine.dispose()
    console.print(f"imported {count} entries into {name}")


@lists_app.command("export")
@reports_errors
def lists_export(
    name: Annotated[str, typer.Argument(help="List name.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="CSV file (default: standard output).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Export a list as CSV (value, reason, source, expires_at)."""
    from fanzha.kit.db import session_factory

    settings = settings_for(data_dir)
    engine = create_db_engine(settings.resolved_database_url)
    try:
        with transaction(session_factory(engine)) as session, _open_out(out) as stream:
            count = lists_service.export_csv(session, list_name=name, out=stream)
    finally:
        engine.dispose()
    console.print(f"exported {count} entries from {name}")


@app.command()
@reports_errors
def decide(
    file: Annotated[Path, typer.Argument(help="Events as JSON lines ('-' for standard input).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Decisions as JSON lines (default: stdout).")] = None,
    rules: Annotated[Path | None, typer.Option(help="Decide with this pack instead of the active rule set.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Replay events in process (fresh velocity counters, the data folder's lists and labels) and
    write one decision per event. Invalid lines are reported with their line number (exit code 2)."""
    from fanzha.decisions.replay import Replayer

    settings = settings_for(data_dir)
    replayer = Replayer.open(settings, rules_file=rules)
    invalid = 0
    try:
        lines = _read_lines(file)
        with _open_out(out) as stream, _progress() as progress:
            task = progress.add_task("deciding", total=len(lines))
            for number, line in enumerate(lines, start=1):
                progress.advance(task)
                if not line.strip():
                    continue
                try:
                    response = replayer.decide_line(line)
                except (ValidationError, ValueError, InvalidInput) as error:
                    invalid += 1
                    console.print(f"{file}:{number}: {_first_error(error)}", markup=False, highlight=False)
                    continue
                stream.write(orjson.dumps(response).decode() + "\n")
    finally:
        replayer.close()
    if invalid:
        raise fail(f"{invalid} invalid line(s) skipped")


def _first_error(error: Exception) -> str:
    if isinstance(error, ValidationError):
        item = error.errors(include_url=False)[0]
        return f"{'.'.join(str(p) for p in item['loc']) or '(line)'}: {item['msg']}"
    if isinstance(error, InvalidInput):
        return error.message
    return str(error)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise fail(f"no such file: {path}") from None
    except UnicodeDecodeError as error:
        raise fail(f"{path} is not UTF-8 text (byte {error.start})") from None


def _read_lines(path: Path) -> list[str]:
    if str(path) == "-":
        return sys.stdin.read().splitlines()
    return _read_text(path).splitlines()


@contextlib.contextmanager
def _open_out(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
    else:
        with path.open("w", encoding="utf-8", newline="") as stream:
            yield stream


def _register_screening_commands() -> None:
    from fanzha.cli.screen import screen_command

    app.command("screen", help="Screen texts (JSON lines with a 'text' field) for fraud.")(screen_command)


_register_screening_commands()
