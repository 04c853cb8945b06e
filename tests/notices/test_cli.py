"""``fanzha notices`` through Typer's CliRunner, on both database stacks."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from fanzha.cli.main import app
from fanzha.kit.db import session_factory
from fanzha.notices.models import Notice
from tests.fixtures.stack import Stack
from tests.notices.helpers import notice, seed

runner = CliRunner()

HEADER = "issuing_unit,document_no,case_no,received_at,deadline,requested_measures,identifier_type,identifier_value\n"
NOTICE_CELLS = "上海市公安局反诈中心,沪公(2026)9号,沪公刑(2026)9,2026-06-01T08:00:00Z,2099-06-02T08:00:00Z,warn"


def invoke(stack: Stack, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    env = {"FANZHA_DATABASE_URL": stack.database_url, "FANZHA_NOTICE_ISSUING_UNITS": ""}
    result = runner.invoke(app, ["notices", *args, "--data-dir", str(tmp_path / "cli-data")], env=env)
    return result.exit_code, result.stdout, result.stderr


def notices_stored(stack: Stack) -> int:
    with session_factory(stack.engine)() as session:
        return int(session.execute(select(func.count()).select_from(Notice)).scalar_one())


def test_a_csv_notice_imports_and_its_feedback_exports(stack: Stack, tmp_path: Path) -> None:
    seed(stack.engine, ["scammer-9"])
    path = tmp_path / "notice.csv"
    path.write_text(HEADER + f"{NOTICE_CELLS},account,scammer-9\n{NOTICE_CELLS},phone,13800138000\n", encoding="utf-8")
    code, _out, err = invoke(stack, tmp_path, "import", str(path))
    assert code == 0, err
    assert "2 identifiers, 1 found" in err
    out_file = tmp_path / "feedback.csv"
    with session_factory(stack.engine)() as session:
        notice_id = session.execute(select(Notice.id)).scalar_one()
    code, _out, err = invoke(stack, tmp_path, "feedback", str(notice_id), "-o", str(out_file))
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out_file.read_text(encoding="utf-8"))))
    assert [(r["value"], r["outcome"]) for r in rows] == [("scammer-9", "found"), ("+8613800138000", "not_found")]
    assert rows[0]["measures"].startswith("scammer-9:warn#")
    code, out, err = invoke(stack, tmp_path, "feedback", str(notice_id), "--format", "json")
    assert code == 0, err
    assert json.loads(out)["identifiers"][1]["outcome"] == "not_found"


def test_a_json_notice_imports(stack: Stack, tmp_path: Path) -> None:
    path = tmp_path / "notice.json"
    path.write_text(json.dumps(notice(), ensure_ascii=False), encoding="utf-8")
    code, _out, err = invoke(stack, tmp_path, "import", str(path))
    assert code == 0, err
    assert notices_stored(stack) == 1


def test_a_gbk_file_is_refused_with_a_clear_message(stack: Stack, tmp_path: Path) -> None:
    path = tmp_path / "notice.csv"
    path.write_bytes((HEADER + f"{NOTICE_CELLS},account,scammer-9\n").encode("gbk"))
    code, _out, err = invoke(stack, tmp_path, "import", str(path))
    assert code == 2
    assert "not UTF-8" in err
    assert "GBK" in err
    assert notices_stored(stack) == 0


def test_row_level_errors_exit_2_and_import_nothing(stack: Stack, tmp_path: Path) -> None:
    path = tmp_path / "notice.csv"
    path.write_text(
        HEADER + f"{NOTICE_CELLS},account,fine-1\n" + f"{NOTICE_CELLS},phone,12345\n" + f"{NOTICE_CELLS},fax,999\n",
        encoding="utf-8",
    )
    code, _out, err = invoke(stack, tmp_path, "import", str(path))
    assert code == 2
    assert "row 4" in err
    assert notices_stored(stack) == 0
    path.write_text(HEADER + f"{NOTICE_CELLS},account,fine-1\n{NOTICE_CELLS},phone,12345\n", encoding="utf-8")
    code, _out, err = invoke(stack, tmp_path, "import", str(path))
    assert code == 2
    assert "row 3: phone '12345'" in err
    assert notices_stored(stack) == 0


def test_a_second_import_of_the_same_notice_fails(stack: Stack, tmp_path: Path) -> None:
    path = tmp_path / "notice.json"
    path.write_text(json.dumps(notice(), ensure_ascii=False), encoding="utf-8")
    assert invoke(stack, tmp_path, "import", str(path))[0] == 0
    code, _out, err = invoke(stack, tmp_path, "import", str(path))
    assert code == 2
    assert "already imported" in err
    assert notices_stored(stack) == 1


def test_the_allow_list_comes_from_the_environment(stack: Stack, tmp_path: Path) -> None:
    path = tmp_path / "notice.json"
    path.write_text(json.dumps(notice(), ensure_ascii=False), encoding="utf-8")
    env = {"FANZHA_DATABASE_URL": stack.database_url, "FANZHA_NOTICE_ISSUING_UNITS": "北京市公安局, 天津市公安局"}
    result = runner.invoke(app, ["notices", "import", str(path), "--data-dir", str(tmp_path / "d")], env=env)
    assert result.exit_code == 2
    assert "allow-list" in result.stderr
    assert notices_stored(stack) == 0


def test_a_large_file_imports_with_a_progress_bar(stack: Stack, tmp_path: Path) -> None:
    path = tmp_path / "notice.csv"
    lines = [f"{NOTICE_CELLS},device,dev-{i}\n" for i in range(1200)]
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    code, _out, err = invoke(stack, tmp_path, "import", str(path))
    assert code == 0, err
    assert "1200/1200" in err
    assert "1200 identifiers, 0 found" in err
