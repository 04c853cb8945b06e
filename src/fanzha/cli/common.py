"""What every command shares: the --data-dir option, settings, the runtime and error reporting."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from fanzha.kit.errors import FanzhaError, InvalidInput
from fanzha.rules.errors import RulePackError
from fanzha.settings import Settings, load_settings

console = Console(stderr=True, soft_wrap=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Folder holding the embedded database, snapshots and first key (env FANZHA_DATA_DIR; default ./data).",
        envvar="FANZHA_DATA_DIR",
    ),
]

P = ParamSpec("P")
R = TypeVar("R")

EXIT_INVALID = 2


def settings_for(data_dir: Path | None, **overrides: Any) -> Settings:
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    return load_settings(**overrides)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn fanzha's errors into a message on stderr and an exit code (2 for bad input, 1 otherwise)."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except RulePackError as error:
            for diagnostic in error.diagnostics:
                console.print(diagnostic.render(), markup=False, highlight=False)
            console.print(f"[red]{len(error.diagnostics)} error(s)[/red]")
            raise typer.Exit(EXIT_INVALID) from None
        except InvalidInput as error:
            console.print(f"[red]error:[/red] {error.message}", highlight=False)
            for detail in error.details or []:
                if isinstance(detail, dict) and "rendered" in detail:
                    console.print(detail["rendered"], markup=False, highlight=False)
                else:
                    console.print(f"  {detail}", markup=False, highlight=False)
            raise typer.Exit(EXIT_INVALID) from None
        except FanzhaError as error:
            console.print(f"[red]error:[/red] {error.message}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper


def fail(message: str, code: int = EXIT_INVALID) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def stdout_write(text: str) -> None:
    sys.stdout.write(text)
