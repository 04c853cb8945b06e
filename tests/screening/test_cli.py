"""``fanzha screen`` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from fanzha.cli.screen import screen_command

app = typer.Typer()
app.command()(screen_command)
runner = CliRunner()


def test_reads_stdin_and_keeps_order() -> None:
    lines = [{"text": "高价收银行卡 一类卡 带U盾"}, {"text": "妈，我晚上回家吃饭"}, {"text": "出sjk wlk 免实名"}]
    stdin = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n"
    result = runner.invoke(app, ["--kind", "listing", "-"], input=stdin)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["flagged"] for o in out] == [True, False, True]
    assert all({"risk", "flagged", "labels"} <= set(o) for o in out)


def test_reads_file(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "加微信领补贴"}\n\n{"text": "hello"}\n', encoding="utf-8")
    result = runner.invoke(app, [str(path)])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 2


def test_invalid_utf8_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"text": "ok"}\n{"text": "\xff\xfe"}\n')
    result = runner.invoke(app, [str(path)])
    assert result.exit_code == 2
    assert "line 2: invalid UTF-8" in result.stderr
    assert len(result.stdout.splitlines()) == 1


def test_bad_json_and_missing_text_exit_2() -> None:
    result = runner.invoke(app, ["-"], input="not json\n")
    assert result.exit_code == 2
    assert "line 1: not valid JSON" in result.stderr
    result = runner.invoke(app, ["-"], input='{"body": "x"}\n')
    assert result.exit_code == 2
    assert '"text"' in result.stderr


def test_bad_kind_and_missing_file_exit_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["--kind", "email", "-"], input="").exit_code == 2
    result = runner.invoke(app, [str(tmp_path / "absent.jsonl")])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr
