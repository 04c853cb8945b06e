"""``fanzha audit``: check the hash-chained audit log."""

from __future__ import annotations

import typer

from fanzha.cli.common import DataDir, console, reports_errors, settings_for
from fanzha.kit.db import create_db_engine, session_factory

audit_app = typer.Typer(help="Check the tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("verify")
@reports_errors
def verify(data_dir: DataDir = None) -> None:
    """Re-walk the hash chain; exit 1 naming the first entry that was changed, removed or inserted out of order."""
    from fanzha.audit import service as audit_service

    settings = settings_for(data_dir)
    engine = create_db_engine(settings.resolved_database_url)
    try:
        with session_factory(engine)() as session:
            report = audit_service.verify_chain(session)
    finally:
        engine.dispose()
    if not report.ok:
        console.print(
            f"[red]BROKEN[/red] at entry {report.bad_seq}: {report.problem} "
            f"({report.checked} entries before it are intact)",
            highlight=False,
        )
        raise typer.Exit(1)
    console.print(f"[green]OK[/green] {report.checked} entries; head hash {report.head_hash}", highlight=False)
