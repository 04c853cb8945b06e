"""``fanzha referrals``: build clue-referral packages and export approved ones (JSON, HTML, PDF)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fanzha.cli.common import DataDir, console, fail, reports_errors, settings_for
from fanzha.kit.db import create_db_engine, session_factory, transaction
from fanzha.referrals.schemas import Destination, PackageFormat, RiskDegree

if TYPE_CHECKING:
    from fanzha.referrals.service import PackageView

referrals_app = typer.Typer(
    help="Build clue-referral packages for the police or an authority; export them once approved.",
    no_args_is_help=True,
)


def _write(view: PackageView, out: Path) -> list[Path]:
    """The package in every format into ``out`` (PDF skipped, with a note, when it cannot be rendered)."""
    from fanzha.referrals import render

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise fail(f"cannot create {out}: {error.strerror}") from None
    written = []
    missing = render.pdf_available()
    for fmt in PackageFormat:
        if fmt is PackageFormat.pdf and missing is not None:
            console.print(f"[yellow]note:[/yellow] no PDF: {missing} (run `make system-deps`)", highlight=False)
            continue
        path = out / render.filename(view, fmt)
        path.write_bytes(render.document(view, fmt))
        written.append(path)
    return written


@referrals_app.command("build")
@reports_errors
def build_command(
    case_id: Annotated[int, typer.Argument(help="The case whose clues are referred.")],
    to: Annotated[str, typer.Option("--to", help="The receiving unit, e.g. 'XX市公安局反诈中心'.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the package files.")],
    recipient_type: Annotated[Destination, typer.Option("--type", help="Kind of recipient.")] = Destination.police,
    risk: Annotated[RiskDegree, typer.Option(help="Risk degree of the clues.")] = RiskDegree.high,
    summary: Annotated[str, typer.Option(help="The clue in a few sentences.")] = "",
    reason: Annotated[str, typer.Option(help="Why it is referred.")] = "clues found on the platform / 平台发现涉诈线索",
    legal_basis: Annotated[list[str] | None, typer.Option("--legal-basis", help="Repeatable.")] = None,
    cluster: Annotated[bool, typer.Option(help="Refer the case's whole cluster.")] = False,
    actor: Annotated[str, typer.Option(help="Who refers (recorded in the audit log).")] = "cli:referrals",
    data_dir: DataDir = None,
) -> None:
    """Build a referral (awaiting a second person's approval) and write its masked draft to OUT."""
    from pydantic import ValidationError

    from fanzha.intel.indicators import SharingIdentity
    from fanzha.kit.errors import InvalidInput
    from fanzha.kit.web import validation_details
    from fanzha.referrals import service as referrals_service
    from fanzha.referrals.schemas import ReferralIn

    try:
        body = ReferralIn(
            recipient_unit=to,
            recipient_type=recipient_type,
            risk_degree=risk,
            summary=summary,
            reason=reason,
            legal_basis=legal_basis or ["ATOFL-26"],
            cluster=cluster,
        )
    except ValidationError as error:
        first = validation_details(error)[0]
        raise InvalidInput(
            f"invalid referral: {first['field']}: {first['message']}",
            zh=f"线索移送无效：{first['field']}: {first['message']}",
        ) from None
    settings = settings_for(data_dir)
    sender = SharingIdentity.of(settings.sharing_identity_name, settings.sharing_identity_id)
    engine = create_db_engine(settings.resolved_database_url)
    try:
        with transaction(session_factory(engine)) as session:
            referral = referrals_service.refer(session, case_ids=[case_id], body=body, sender=sender, actor=actor)
            view = referrals_service.package_view(
                session, referral_id=referral.id, reveal=False, fmt="files", actor=actor
            )
    finally:
        engine.dispose()
    written = _write(view, out)
    console.print(
        f"[green]referral {view.referral_id}[/green] of case {case_id} to {to}: package SHA-256 {view.sha}",
        highlight=False,
    )
    for path in written:
        console.print(f"  wrote {path} (masked draft)", highlight=False)
    console.print(
        f"It goes nowhere until a second person approves it (POST /v1/referrals/{view.referral_id}/decision); "
        f"then `fanzha referrals export {view.referral_id} --out DIR` writes the package to send.",
        highlight=False,
    )


@referrals_app.command("export")
@reports_errors
def export_command(
    referral_id: Annotated[int, typer.Argument(help="The referral's id.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the package files.")],
    actor: Annotated[str, typer.Option(help="Who exports it (recorded in the audit log).")] = "cli:referrals",
    data_dir: DataDir = None,
) -> None:
    """Write an approved referral's package, exactly as referred, to OUT (JSON, HTML, PDF)."""
    from fanzha.referrals import service as referrals_service

    settings = settings_for(data_dir)
    engine = create_db_engine(settings.resolved_database_url)
    try:
        with transaction(session_factory(engine)) as session:
            view = referrals_service.package_view(
                session, referral_id=referral_id, reveal=True, fmt="files", actor=actor
            )
    finally:
        engine.dispose()
    for path in _write(view, out):
        console.print(f"wrote {path}", highlight=False)
    console.print(f"package SHA-256 {view.sha}", highlight=False)
