"""Notices as XLSX: import through the API and the CLI, row-level errors, formula-safe feedback."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fanzha.kit.db import session_factory
from fanzha.notices.files import XLSX_MEDIA_TYPE
from fanzha.notices.models import Notice
from tests.fixtures.app import auth
from tests.fixtures.due_process import Keys
from tests.fixtures.stack import Stack
from tests.notices.helpers import seed, xlsx
from tests.notices.test_cli import invoke

CELLS: list[Any] = [
    "上海市公安局反诈中心",
    "沪公(2026)77号",
    "沪公刑(2026)77",
    "2026-06-01T08:00:00+08:00",
    datetime(2099, 6, 2, 8, 0),  # a date cell, as a spreadsheet keeps it (no zone: read as UTC)
    "warn",
]


def post_xlsx(client: TestClient, keys: Keys, data: bytes) -> Any:
    return client.post("/v1/notices", content=data, headers={**auth(keys.police), "Content-Type": XLSX_MEDIA_TYPE})


def stored(stack: Stack) -> int:
    with session_factory(stack.engine)() as session:
        return int(session.execute(select(func.count()).select_from(Notice)).scalar_one())


def sheet_rows(data: bytes) -> list[list[Any]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_an_xlsx_notice_round_trips_to_xlsx_feedback(client: TestClient, keys: Keys, stack: Stack) -> None:
    seed(stack.engine, ["scammer-1"])
    data = xlsx(
        [
            [*CELLS, "account", "scammer-1"],
            [*CELLS, "phone", 13800138000],  # a phone typed as a number
            [],  # an empty row in between is skipped
            [*CELLS, "domain", "Evil-Shop.example"],
        ]
    )
    response = post_xlsx(client, keys, data)
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["identifier_count"], created["found_count"]) == (3, 1)
    assert created["received_at"].startswith("2026-06-01T00:00:00")
    assert created["deadline"].startswith("2099-06-02T08:00:00")
    as_json = client.get(f"/v1/notices/{created['id']}/feedback", headers=auth(keys.police)).json()
    exported = client.get(f"/v1/notices/{created['id']}/feedback?format=xlsx", headers=auth(keys.police))
    assert exported.status_code == 200
    assert exported.headers["content-type"] == XLSX_MEDIA_TYPE
    rows = sheet_rows(exported.content)
    header = rows[0]
    assert header[:4] == ["position", "type", "value", "outcome"]
    by_column = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert [(r["position"], r["type"], r["value"], r["outcome"]) for r in by_column] == [
        (item["position"], item["type"], item["value"], item["outcome"]) for item in as_json["identifiers"]
    ]
    assert by_column[0]["measures"] == ";".join(as_json["identifiers"][0]["measures"])
    assert by_column[1]["value"] == "+8613800138000"


def test_a_bad_xlsx_names_sheet_rows_and_stores_nothing(client: TestClient, keys: Keys, stack: Stack) -> None:
    other_unit = ["北京市公安局", *CELLS[1:]]
    data = xlsx(
        [
            [*CELLS, "account", "fine-1"],
            [*CELLS, "phone", "12345"],
            [*CELLS, "account", '=HYPERLINK("http://x")'],
            [*other_unit, "account", "fine-2"],
        ]
    )
    response = post_xlsx(client, keys, data)
    assert response.status_code == 422, response.text
    details = response.json()["details"]
    assert any("row 4" in detail and "formula" in detail for detail in details)
    assert any("row 5" in detail and "issuing_unit" in detail for detail in details)
    assert stored(stack) == 0
    # Fix the formula and the unit: the bad phone is now named by its sheet row.
    fixed = xlsx([[*CELLS, "account", "fine-1"], [], [*CELLS, "phone", "12345"]])
    response = post_xlsx(client, keys, fixed)
    assert response.status_code == 422, response.text
    assert [(d["index"], d["row"], d["value"]) for d in response.json()["details"]] == [(1, 4, "12345")]
    assert stored(stack) == 0


def test_an_xlsx_without_a_column_or_not_a_workbook_is_refused(client: TestClient, keys: Keys, stack: Stack) -> None:
    missing = xlsx([["x"]], header=["issuing_unit", "document_no"])
    response = post_xlsx(client, keys, missing)
    assert response.status_code == 422
    assert "identifier_value" in response.json()["message"]
    broken = post_xlsx(client, keys, b"PK\x03\x04 not really a workbook")
    assert broken.status_code == 422
    assert "not a valid XLSX" in broken.json()["message"]
    empty = post_xlsx(client, keys, xlsx([]))
    assert empty.status_code == 422
    assert "no rows" in empty.json()["message"]
    assert stored(stack) == 0


def test_feedback_cells_never_become_formulas(client: TestClient, keys: Keys, stack: Stack) -> None:
    dangerous = ['=HYPERLINK("http://x")', "@SUM(A1)", "-2+3", "+cmd|' /C calc'!A0"]
    seed(stack.engine, dangerous)
    body = {
        "issuing_unit": "上海市公安局反诈中心",
        "document_no": "formula-1",
        "case_no": "c-1",
        "received_at": "2026-06-01T08:00:00+00:00",
        "deadline": "2099-06-02T08:00:00+00:00",
        "identifiers": [{"type": "account", "value": value} for value in dangerous]
        + [{"type": "phone", "value": "+8613800138000"}],
    }
    created = client.post("/v1/notices", json=body, headers=auth(keys.police)).json()
    exported = client.get(f"/v1/notices/{created['id']}/feedback?format=xlsx", headers=auth(keys.police)).content
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        xml = b"".join(archive.read(name) for name in sheets)
    assert b"<f>" not in xml
    assert b"<f " not in xml
    workbook = openpyxl.load_workbook(io.BytesIO(exported))
    sheet = workbook.worksheets[0]
    values = {row[2].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(dangerous) <= set(values)
    for value in dangerous:
        value_cell, accounts_cell = values[value][2], values[value][4]
        assert (value_cell.data_type, accounts_cell.data_type) == ("s", "s")
        assert accounts_cell.value == value
        assert value_cell.quotePrefix
    assert values["+8613800138000"][2].data_type == "s"


def test_the_cli_imports_xlsx_and_exports_xlsx_feedback(stack: Stack, tmp_path: Path) -> None:
    seed(stack.engine, ["scammer-9"])
    path = tmp_path / "notice.xlsx"
    path.write_bytes(xlsx([[*CELLS, "account", "scammer-9"], [*CELLS, "phone", "13800138000"]]))
    code, _out, err = invoke(stack, tmp_path, "import", str(path))
    assert code == 0, err
    assert "2 identifiers, 1 found" in err
    with session_factory(stack.engine)() as session:
        notice_id = session.execute(select(Notice.id)).scalar_one()
    out_file = tmp_path / "feedback.xlsx"
    code, _out, err = invoke(stack, tmp_path, "feedback", str(notice_id), "--format", "xlsx", "-o", str(out_file))
    assert code == 0, err
    rows = sheet_rows(out_file.read_bytes())
    assert [row[2:4] for row in rows[1:]] == [["scammer-9", "found"], ["+8613800138000", "not_found"]]
    code, out, err = invoke(stack, tmp_path, "feedback", str(notice_id), "--format", "json")
    assert json.loads(out)["identifiers"][0]["outcome"] == "found"


def test_the_cli_names_the_sheet_row_of_a_bad_identifier(stack: Stack, tmp_path: Path) -> None:
    path = tmp_path / "notice.xlsx"
    path.write_bytes(xlsx([[*CELLS, "account", "ok"], [], [], [*CELLS, "phone", "12345"]]))
    code, _out, err = invoke(stack, tmp_path, "import", str(path))
    assert code == 2
    assert "row 5: phone '12345'" in err
    assert stored(stack) == 0
    path.write_bytes(b"PK\x03\x04garbage")
    code, _out, err = invoke(stack, tmp_path, "import", str(path))
    assert code == 2
    assert "not a valid XLSX" in err
    assert stored(stack) == 0


def test_a_csv_upload_through_the_api(client: TestClient, keys: Keys, stack: Stack) -> None:
    header = "issuing_unit,document_no,case_no,received_at,deadline,requested_measures,identifier_type,identifier_value"
    cells = "上海市公安局反诈中心,沪公(2026)8号,沪公刑(2026)8,2026-06-01T08:00:00Z,2099-06-02T08:00:00Z,"
    text = f"{header}\n{cells},account,a-1\n{cells},phone,12345\n"
    response = client.post(
        "/v1/notices",
        content=text.encode("utf-8"),
        headers={**auth(keys.police), "Content-Type": "text/csv; charset=utf-8"},
    )
    assert response.status_code == 422
    assert [(d["row"], d["value"]) for d in response.json()["details"]] == [(3, "12345")]
    ok = f"{header}\n{cells},account,a-1\n"
    response = client.post(
        "/v1/notices", content=ok.encode("utf-8"), headers={**auth(keys.police), "Content-Type": "text/csv"}
    )
    assert response.status_code == 201, response.text
    refused = client.post("/v1/notices", content=b"x", headers={**auth(keys.police), "Content-Type": "text/plain"})
    assert refused.status_code == 422
    assert stored(stack) == 1


def test_a_zip_bomb_is_refused_before_it_is_unpacked(client: TestClient, keys: Keys, stack: Stack) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (64 * 1024 * 1024))  # 64 MiB of zeros: ~64 KiB packed
    response = post_xlsx(client, keys, buffer.getvalue())
    assert response.status_code == 422
    assert "zip bomb" in response.json()["message"]
    assert stored(stack) == 0
