"""``fanzha screen``: screen JSON lines from a file or standard input.

Input: one JSON object per line with a ``text`` field. Output: one JSON line per input, in order,
with ``risk``, ``flagged``, ``labels``, ``typology``, ``indicators`` and ``explanation``. Blank lines
are skipped. Errors are fatal: invalid UTF-8, a line that is not a JSON object with a string
``text``, or a wrong ``--kind`` print a message naming the line to standard error and exit with
code 2 (results of earlier lines have already been written).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import BinaryIO

import typer

from fanzha.screening.pipeline import KINDS, ScreeningResult, screen_many

_BATCH = 256


class _InputError(Exception):
    pass


def _lines(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(stream, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _InputError(f"line {number}: invalid UTF-8 ({exc.reason} at byte {exc.start})") from exc
        if line.strip():
            yield number, line


def _text_of(number: int, line: str) -> str:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _InputError(f"line {number}: not valid JSON ({exc.msg})") from exc
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise _InputError(f'line {number}: expected a JSON object with a string "text" field')
    text: str = record["text"]
    return text


def _out(result: ScreeningResult) -> str:
    return json.dumps(
        {
            "risk": result.risk,
            "flagged": result.flagged,
            "labels": result.labels,
            "typology": result.typology,
            "indicators": [{"type": i.type, "value": i.value, "span": list(i.span)} for i in result.indicators],
            "explanation": result.explanation,
        },
        ensure_ascii=False,
    )


def _flush(texts: list[str], kind: str) -> None:
    for result in screen_many(texts, kind):
        sys.stdout.write(_out(result) + "\n")
    sys.stdout.flush()
    texts.clear()


def screen_command(
    kind: str = typer.Option("message", "--kind", help="message, listing, profile or post"),
    file: str = typer.Argument("-", help="JSON-lines file with a 'text' field; '-' for standard input"),
) -> None:
    """Screen JSON lines and write one JSON verdict per line, in order."""
    if kind not in KINDS:
        typer.echo(f"error: --kind must be one of {', '.join(KINDS)}", err=True)
        raise typer.Exit(code=2)
    pending: list[str] = []
    try:
        if file == "-":
            _run(sys.stdin.buffer, kind, pending)
        else:
            try:
                with open(file, "rb") as fh:
                    _run(fh, kind, pending)
            except OSError as exc:
                raise _InputError(f"cannot read {file}: {exc.strerror}") from exc
    except _InputError as exc:
        if pending:
            _flush(pending, kind)
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None


def _run(stream: BinaryIO, kind: str, pending: list[str]) -> None:
    for number, line in _lines(stream):
        pending.append(_text_of(number, line))
        if len(pending) >= _BATCH:
            _flush(pending, kind)
    if pending:
        _flush(pending, kind)
