"""``fanzha user``: console users (the people who sign in to /console)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from fanzha.cli.common import DataDir, console, reports_errors, settings_for
from fanzha.kit import migrate
from fanzha.kit.clock import iso_or_none
from fanzha.kit.db import create_db_engine, session_factory, transaction

user_app = typer.Typer(help="Manage console users.", no_args_is_help=True)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@user_app.command("create")
@reports_errors
def create(
    username: Annotated[str, typer.Argument(help="Sign-in name (a-z, 0-9, '_', '.', '-').")],
    role: Annotated[
        str,
        typer.Option(help="admin, analyst, senior_reviewer, appeals_officer, police_liaison or auditor."),
    ],
    display_name: Annotated[str | None, typer.Option(help="The name shown in the console.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Create a console user (the first one is usually ``--role admin``); asks for the password."""
    from fanzha.auth.service import parse_role
    from fanzha.console import service

    parsed_role = parse_role(role)
    password = _read_password(password_stdin)
    settings = settings_for(data_dir)
    engine = create_db_engine(settings.resolved_database_url)
    try:
        migrate.upgrade(engine)
        with transaction(session_factory(engine)) as session:
            user = service.create_user(
                session, username=username, password=password, role=parsed_role, actor="cli", display_name=display_name
            )
            name = user.username
    finally:
        engine.dispose()
    console.print(f"created console user [bold]{name}[/bold] ({parsed_role.value}); sign in at /console/")


@user_app.command("list")
@reports_errors
def list_users(data_dir: DataDir = None) -> None:
    """Console users with their role and lockout state."""
    from fanzha.console import service

    settings = settings_for(data_dir)
    engine = create_db_engine(settings.resolved_database_url)
    try:
        migrate.upgrade(engine)
        with session_factory(engine)() as session:
            rows = [
                (
                    user.username,
                    user.display_name,
                    user.role,
                    iso_or_none(user.locked_until) or "",
                    iso_or_none(user.last_sign_in_at) or "",
                )
                for user in service.list_users(session)
            ]
    finally:
        engine.dispose()
    table = Table("username", "name", "role", "locked until")
    for row in rows:
        table.add_row(*row)
    console.print(table)


@user_app.command("unlock")
@reports_errors
def unlock(username: Annotated[str, typer.Argument()], data_dir: DataDir = None) -> None:
    """Lift a lockout after too many failed sign-ins."""
    from fanzha.console import service

    settings = settings_for(data_dir)
    engine = create_db_engine(settings.resolved_database_url)
    try:
        with transaction(session_factory(engine)) as session:
            service.unlock_user(session, username=username, actor="cli")
    finally:
        engine.dispose()
    console.print(f"unlocked {username}")
