"""``fanzha user``: create console users, refuse bad input, list them, lift a lockout."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from fanzha.cli.main import app
from fanzha.console import service
from fanzha.kit.db import create_db_engine, session_factory, transaction
from fanzha.settings import Settings

runner = CliRunner()


def test_create_then_sign_in_list_and_unlock(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = runner.invoke(
        app,
        ["user", "create", "Admin", "--role", "admin", "--password-stdin", "--data-dir", str(data_dir)],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.stderr
    assert "admin" in result.stderr

    settings = Settings(data_dir=data_dir, console_max_failed_sign_ins=2)
    engine = create_db_engine(settings.resolved_database_url)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        assert isinstance(
            service.sign_in(session, username="admin", password="a long enough password", settings=settings),
            service.SignedIn,
        )
    for _ in range(2):
        with transaction(sessions) as session:
            refused = service.sign_in(session, username="admin", password="wrong", settings=settings)
            assert isinstance(refused, service.SignInRefused)
    with transaction(sessions) as session:
        locked = service.sign_in(session, username="admin", password="a long enough password", settings=settings)
        assert isinstance(locked, service.SignInRefused)
        assert locked.locked_out
    engine.dispose()

    listed = runner.invoke(app, ["user", "list", "--data-dir", str(data_dir)])
    assert listed.exit_code == 0
    assert "admin" in listed.stderr
    unlocked = runner.invoke(app, ["user", "unlock", "admin", "--data-dir", str(data_dir)])
    assert unlocked.exit_code == 0, unlocked.stderr
    engine = create_db_engine(settings.resolved_database_url)
    with transaction(session_factory(engine)) as session:
        outcome = service.sign_in(session, username="admin", password="a long enough password", settings=settings)
        assert isinstance(outcome, service.SignedIn)
    engine.dispose()


def test_bad_input_exits_2(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "data")
    short = runner.invoke(
        app, ["user", "create", "x", "--role", "admin", "--password-stdin", "--data-dir", data_dir], input="short\n"
    )
    assert short.exit_code == 2
    assert "at least 10" in short.stderr
    role = runner.invoke(
        app,
        ["user", "create", "x", "--role", "wizard", "--password-stdin", "--data-dir", data_dir],
        input="long enough pw\n",
    )
    assert role.exit_code == 2
    name = runner.invoke(
        app,
        ["user", "create", "bad name!", "--role", "admin", "--password-stdin", "--data-dir", data_dir],
        input="long enough pw\n",
    )
    assert name.exit_code == 2
    runner.invoke(
        app,
        ["user", "create", "x", "--role", "admin", "--password-stdin", "--data-dir", data_dir],
        input="long enough pw\n",
    )
    again = runner.invoke(
        app,
        ["user", "create", "x", "--role", "admin", "--password-stdin", "--data-dir", data_dir],
        input="long enough pw\n",
    )
    assert again.exit_code != 0
    assert "exists" in again.stderr
