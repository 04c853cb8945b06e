"""``fanzha notices``: import police and authority notices (JSON, CSV, XLSX) and export their feedback."""

from __future__ import annotations

import sys
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from fanzha.cli.common import DataDir, console, fail, reports_errors, settings_for, stdout_write
from fanzha.kit.db import create_db_engine, session_factory, transaction
from fanzha.kit.errors import Conflict, InvalidInput

notices_app = typer.Typer(help="Import police and authority notices; export their feedback.", no_args_is_help=True)

PROGRESS_FROM = 1000
"""Identifiers from which the import shows progress bars."""
READING_STATUS_FROM = 1 << 20
"""File size (bytes) from which reading it shows a spinner."""

STAGE_LABELS = {
    "checking": "checking identifiers",
    "linking": "linking to accounts",
    "case": "case subjects",
    "measures": "proposing measures",
    "feedback": "storing feedback",
}


class FeedbackFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


def _row_details(error: InvalidInput, rows: list[int] | None) -> InvalidInput:
    if rows is None or not isinstance(error.details, list):
        return error
    details: list[Any] = []
    for detail in error.details:
        if isinstance(detail, dict) and isinstance(detail.get("index"), int):
            details.append(f"row {rows[detail['index']]}: {detail['type']} {detail['value']!r}: {detail['message']}")
        else:
            details.append(detail)
    return InvalidInput(error.message, details=details, zh=error.message_zh)


@notices_app.command("import")
@reports_errors
def import_command(
    file: Annotated[Path, typer.Argument(help="A notice as JSON, or CSV (UTF-8) or XLSX with one row per identifier.")],
    data_dir: DataDir = None,
    actor: Annotated[str, typer.Option(help="Who imports it (recorded in the audit log).")] = "cli:notices",
) -> None:
    """Check a notice file whole and import it; on any error exit 2 and import nothing."""
    from fanzha.notices import files
    from fanzha.notices import service as notices_service

    try:
        data = file.read_bytes()
    except OSError as error:
        raise fail(f"cannot read {file}: {error.strerror}") from None
    if len(data) >= READING_STATUS_FROM:
        # A large XLSX file takes a while to read (openpyxl: some tens of microseconds a cell).
        with console.status(f"reading {file.name} ({len(data) / 2**20:.1f} MiB)"):
            notice, rows = files.parse_file(data, name=file.name)
    else:
        notice, rows = files.parse_file(data, name=file.name)
    settings = settings_for(data_dir)
    engine = create_db_engine(settings.resolved_database_url)
    total = len(notice.identifiers)
    try:
        with Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=total < PROGRESS_FROM,
        ) as progress:
            tasks: dict[str, TaskID] = {}

            def report(stage: str, done: int, stage_total: int) -> None:
                # One bar per stage, added when the stage starts: the user sees where the time goes.
                if stage not in tasks:
                    tasks[stage] = progress.add_task(STAGE_LABELS.get(stage, stage), total=stage_total)
                progress.update(tasks[stage], completed=done, total=stage_total)

            with transaction(session_factory(engine)) as session:
                try:
                    imported = notices_service.import_notice(
                        session,
                        body=notice,
                        actor=actor,
                        allowed_units=settings.notice_issuing_units,
                        binding_lookback=timedelta(days=settings.notice_binding_lookback_days),
                        progress=report,
                    )
                except InvalidInput as error:
                    raise _row_details(error, rows) from None
                except Conflict as error:
                    # A notice imported twice is a bad file to the person importing it, like any other.
                    raise fail(f"{error.message}; nothing was imported") from None
                summary = (
                    f"notice {imported.notice.id}: {imported.notice.identifier_count} identifiers, "
                    f"{imported.notice.found_count} found, case {imported.case.id}"
                )
    finally:
        engine.dispose()
    console.print(f"[green]imported[/green] {summary}", highlight=False)


@notices_app.command("feedback")
@reports_errors
def feedback_command(
    notice_id: Annotated[int, typer.Argument(help="The notice's id.")],
    format: Annotated[FeedbackFormat, typer.Option("--format", help="csv, json or xlsx.")] = FeedbackFormat.csv,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Export the per-identifier feedback (found / not found, accounts, binding periods, measures, time)."""
    from fanzha.notices import files
    from fanzha.notices import service as notices_service

    settings = settings_for(data_dir)
    engine = create_db_engine(settings.resolved_database_url)
    try:
        with session_factory(engine)() as session:
            rows = notices_service.feedback(session, notice_id)
    finally:
        engine.dispose()
    if format is FeedbackFormat.xlsx:
        content = files.feedback_xlsx(rows, columns=notices_service.FEEDBACK_COLUMNS)
        if output is None:
            sys.stdout.buffer.write(content)
            sys.stdout.buffer.flush()
        else:
            output.write_bytes(content)
            console.print(f"wrote {len(rows)} rows to {output}", highlight=False)
        return
    if format is FeedbackFormat.csv:
        text = notices_service.feedback_csv(rows)
    else:
        text = (
            orjson.dumps(
                {"notice_id": notice_id, "identifiers": rows}, option=orjson.OPT_UTC_Z | orjson.OPT_INDENT_2
            ).decode()
            + "\n"
        )
    if output is None:
        stdout_write(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {len(rows)} rows to {output}", highlight=False)
