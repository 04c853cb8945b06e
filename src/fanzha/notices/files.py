"""Notice files: reading a notice (JSON, or CSV / XLSX with one row per identifier and the notice
fields repeated) and writing its feedback as XLSX.

CSV files must be UTF-8: Chinese authorities often send GBK, which would silently turn into mojibake
if guessed at, so any other encoding is refused with the byte where decoding failed. XLSX files
carry their own encoding; the first sheet is read, its first row naming the columns as in CSV.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time
from typing import Any

import orjson
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import ValidationError

from fanzha.kit.errors import InvalidInput
from fanzha.notices.schemas import NoticeIn

NOTICE_COLUMNS = ("issuing_unit", "document_no", "case_no", "received_at", "deadline", "requested_measures")
CSV_COLUMNS = (*NOTICE_COLUMNS, "identifier_type", "identifier_value")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ZIP_MAGIC = b"PK\x03\x04"
_FORMULA_START = ("=", "+", "-", "@")

Row = tuple[int, dict[str, str] | str]
"""A sheet row: its number and its cells by column, or why it cannot be read."""


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"the file is not UTF-8 (invalid byte at offset {error.start}); files in GBK or other encodings "
            "are not accepted: save it as UTF-8 and import again. Nothing was imported.",
            zh=f"文件不是 UTF-8 编码（偏移 {error.start} 处有无效字节）；不接受 GBK 或其他编码的文件："
            "请另存为 UTF-8 后重新导入。未导入任何内容。",
        ) from None


def _validation_details(error: ValidationError, *, rows: list[int] | None = None) -> list[str]:
    details = []
    for item in error.errors():
        location = list(item["loc"])
        if rows is not None and len(location) >= 2 and location[0] == "identifiers" and isinstance(location[1], int):
            location = [f"row {rows[location[1]]}", *location[2:]]
        details.append(f"{'.'.join(str(part) for part in location) or 'notice'}: {item['msg']}")
    return details


def parse_json(text: str) -> NoticeIn:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise InvalidInput(f"the file is not valid JSON: {error}", zh=f"文件不是有效的 JSON：{error}") from None
    try:
        return NoticeIn.model_validate(data)
    except ValidationError as error:
        raise InvalidInput(
            "the notice is not valid; nothing was imported",
            details=_validation_details(error),
            zh="通报无效；未导入任何内容",
        ) from None


def _measures(cell: str, row: int) -> list[Any]:
    cell = cell.strip()
    if not cell:
        return []
    if cell.startswith("["):
        try:
            parsed = orjson.loads(cell)
        except orjson.JSONDecodeError:
            raise InvalidInput(
                f"row {row}: requested_measures is not a valid JSON list",
                zh=f"第 {row} 行：requested_measures 不是有效的 JSON 列表",
            ) from None
        if not isinstance(parsed, list):
            raise InvalidInput(
                f"row {row}: requested_measures is not a valid JSON list",
                zh=f"第 {row} 行：requested_measures 不是有效的 JSON 列表",
            )
        return parsed
    return [{"kind": kind.strip()} for kind in cell.split(";") if kind.strip()]


def _notice_from_rows(columns: Sequence[str], rows: Iterable[Row], *, what: str) -> tuple[NoticeIn, list[int]]:
    """A notice from rows that repeat the notice fields and name one identifier each, and the row numbers."""
    missing = [column for column in CSV_COLUMNS if column not in columns]
    if missing:
        raise InvalidInput(
            f"the {what} file lacks the column(s) {', '.join(missing)}; nothing was imported",
            zh=f"{what} 文件缺少列 {', '.join(missing)}；未导入任何内容",
        )
    errors: list[str] = []
    first: dict[str, str] | None = None
    first_row = 2
    identifiers: list[dict[str, str]] = []
    numbers: list[int] = []
    for row_no, row in rows:
        if isinstance(row, str):
            errors.append(f"row {row_no}: {row}")
            continue
        fields = {column: (row.get(column) or "").strip() for column in NOTICE_COLUMNS}
        if first is None:
            first, first_row = fields, row_no
        else:
            differing = [column for column in NOTICE_COLUMNS if fields[column] != first[column]]
            if differing:
                errors.append(
                    f"row {row_no}: {', '.join(differing)} differ(s) from row {first_row} (one notice per file)"
                )
                continue
        identifiers.append(
            {"type": (row.get("identifier_type") or "").strip(), "value": row.get("identifier_value") or ""}
        )
        numbers.append(row_no)
    if first is None and not errors:
        raise InvalidInput(
            f"the {what} file has no rows; nothing was imported", zh=f"{what} 文件没有数据行；未导入任何内容"
        )
    if errors or first is None:
        raise InvalidInput(
            f"{len(errors)} row(s) are not valid; nothing was imported",
            details=errors,
            zh=f"{len(errors)} 行无效；未导入任何内容",
        )
    body: dict[str, Any] = {column: first[column] for column in NOTICE_COLUMNS if column != "requested_measures"}
    body["requested_measures"] = _measures(first["requested_measures"], first_row)
    body["identifiers"] = identifiers
    try:
        return NoticeIn.model_validate(body), numbers
    except ValidationError as error:
        raise InvalidInput(
            "the notice is not valid; nothing was imported",
            details=_validation_details(error, rows=numbers),
            zh="通报无效；未导入任何内容",
        ) from None


def _csv_rows(reader: csv.DictReader[str]) -> Iterator[Row]:
    for row_no, row in enumerate(reader, start=2):
        if None in row:
            yield row_no, "more cells than columns"
        else:
            yield row_no, row


def parse_csv(text: str) -> tuple[NoticeIn, list[int]]:
    """A CSV notice (UTF-8 text) and the row number of each identifier."""
    reader = csv.DictReader(io.StringIO(text))
    return _notice_from_rows(list(reader.fieldnames or []), _csv_rows(reader), what="CSV")


def _cell_text(value: object) -> str:
    """A cell as the text a CSV file would hold: whole numbers without ``.0``, times in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        # Phone numbers typed into a spreadsheet become numbers; 13800138000.0 is the number 13800138000.
        return str(int(value))
    if isinstance(value, datetime | date | time):
        # A time without an offset is read as UTC, as in CSV: write the offset (+08:00) to say otherwise.
        return value.isoformat()
    return str(value)


def _xlsx_rows(cells: Iterator[tuple[Any, ...]], columns: list[str]) -> Iterator[Row]:
    for row_no, row in enumerate(cells, start=2):
        values: dict[str, str] = {}
        problem = ""
        for position, cell in enumerate(row):
            if cell.value is None:
                continue
            if getattr(cell, "data_type", None) == "f":
                # A formula's result depends on the program that opens the file: only values are read.
                problem = problem or f"the cell in column {position + 1} is a formula; enter its value"
                continue
            if position >= len(columns) or not columns[position]:
                problem = problem or "more cells than columns"
                continue
            values[columns[position]] = _cell_text(cell.value)
        if problem:
            yield row_no, problem
        elif any(value.strip() for value in values.values()):
            yield row_no, values
        # Rows left empty (spreadsheets often end with some) are not identifiers.


# A 100,000-row notice is about 25 MB of sheet XML; an archive that expands past this, or any member
# compressed more than XLSX_MAX_RATIO to one, is refused before it is unpacked (a zip bomb).
XLSX_MAX_EXPANDED_BYTES = 512 * 1024 * 1024
XLSX_MAX_RATIO = 200


def check_xlsx_archive(data: bytes) -> None:
    """Refuse a workbook whose archive would expand too far, reading only its directory."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InvalidInput(
            "the file is not a valid XLSX workbook; nothing was imported",
            zh="文件不是有效的 XLSX 工作簿；未导入任何内容",
        ) from None
    expanded = sum(member.file_size for member in members)
    if expanded > XLSX_MAX_EXPANDED_BYTES:
        raise InvalidInput(
            f"the XLSX file expands to {expanded} bytes; the limit is {XLSX_MAX_EXPANDED_BYTES}; nothing was imported",
            zh=f"XLSX 文件解压后为 {expanded} 字节，上限为 {XLSX_MAX_EXPANDED_BYTES} 字节；未导入任何内容",
        )
    for member in members:
        if member.file_size > 1024 * 1024 and member.file_size > XLSX_MAX_RATIO * max(member.compress_size, 1):
            raise InvalidInput(
                f"the XLSX member {member.filename!r} is compressed {member.file_size // max(member.compress_size, 1)}"
                f" to 1 (at most {XLSX_MAX_RATIO}); the file looks like a zip bomb; nothing was imported",
                zh=f"XLSX 成员 {member.filename!r} 的压缩比为 {member.file_size // max(member.compress_size, 1)}"
                f" 比 1（上限为 {XLSX_MAX_RATIO}）；文件疑似压缩炸弹；未导入任何内容",
            )


def parse_xlsx(data: bytes) -> tuple[NoticeIn, list[int]]:
    """An XLSX notice (first sheet, header in row 1) and the sheet row number of each identifier."""
    check_xlsx_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError):
        raise InvalidInput(
            "the file is not a valid XLSX workbook; nothing was imported",
            zh="文件不是有效的 XLSX 工作簿；未导入任何内容",
        ) from None
    try:
        if not workbook.worksheets:
            raise InvalidInput(
                "the XLSX file has no sheet; nothing was imported", zh="XLSX 文件没有工作表；未导入任何内容"
            )
        sheet = workbook.worksheets[0]
        cells = sheet.iter_rows()
        header = next(cells, ())
        columns = [_cell_text(cell.value).strip() for cell in header]
        return _notice_from_rows(columns, _xlsx_rows(cells, columns), what="XLSX")
    finally:
        workbook.close()


def is_xlsx(data: bytes) -> bool:
    """An XLSX file is a ZIP archive: it starts with the ZIP signature."""
    return data.startswith(_ZIP_MAGIC)


def parse_file(data: bytes, *, name: str) -> tuple[NoticeIn, list[int] | None]:
    """The notice in a file, and for a CSV or XLSX file the row number of each identifier (for error messages)."""
    if name.lower().endswith(".xlsx") or is_xlsx(data):
        return parse_xlsx(data)
    text = decode(data)
    if name.lower().endswith(".json") or text.lstrip().startswith("{"):
        return parse_json(text), None
    return parse_csv(text)


# ---- feedback as XLSX -------------------------------------------------------------------------------


def _text_cell(sheet: Any, value: str) -> Cell:
    """A cell that holds ``value`` as text, never as a formula, and stays text when edited in Excel."""
    cell = WriteOnlyCell(sheet, value=value)
    # openpyxl reads a string starting with "=" as a formula; the type is set back to text after it.
    cell.data_type = "s"
    if value.startswith(_FORMULA_START):
        cell.quotePrefix = True  # what Excel sets for a cell typed as '=...: editing it keeps it text
    return cell


def feedback_xlsx(rows: Sequence[dict[str, Any]], *, columns: Sequence[str]) -> bytes:
    """The per-identifier feedback as one XLSX sheet, every text cell formula-safe."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("feedback")
    sheet.append([_text_cell(sheet, column) for column in columns])
    for row in rows:
        cells: list[Any] = []
        for column in columns:
            value = row[column]
            if isinstance(value, list):
                value = ";".join(str(item) for item in value)
            if isinstance(value, datetime):
                cells.append(_text_cell(sheet, value.isoformat()))
            elif isinstance(value, int) and not isinstance(value, bool):
                cells.append(value)
            else:
                cells.append(_text_cell(sheet, str(value)))
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
