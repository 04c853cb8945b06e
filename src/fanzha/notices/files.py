"""Reading a notice file (JSON, or CSV with one row per identifier and the notice fields repeated).

Files must be UTF-8: Chinese authorities often send GBK, which would silently turn into mojibake
if guessed at, so any other encoding is refused with the byte where decoding failed.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson
from pydantic import ValidationError

from fanzha.kit.errors import InvalidInput
from fanzha.notices.schemas import NoticeIn

NOTICE_COLUMNS = ("issuing_unit", "document_no", "case_no", "received_at", "deadline", "requested_measures")
CSV_COLUMNS = (*NOTICE_COLUMNS, "identifier_type", "identifier_value")


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"the file is not UTF-8 (invalid byte at offset {error.start}); files in GBK or other encodings "
            "are not accepted: save it as UTF-8 and import again. Nothing was imported."
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
        raise InvalidInput(f"the file is not valid JSON: {error}") from None
    try:
        return NoticeIn.model_validate(data)
    except ValidationError as error:
        raise InvalidInput(
            "the notice is not valid; nothing was imported", details=_validation_details(error)
        ) from None


def _measures(cell: str, row: int) -> list[Any]:
    cell = cell.strip()
    if not cell:
        return []
    if cell.startswith("["):
        try:
            parsed = orjson.loads(cell)
        except orjson.JSONDecodeError:
            raise InvalidInput(f"row {row}: requested_measures is not a valid JSON list") from None
        if not isinstance(parsed, list):
            raise InvalidInput(f"row {row}: requested_measures is not a valid JSON list")
        return parsed
    return [{"kind": kind.strip()} for kind in cell.split(";") if kind.strip()]


def parse_csv(text: str) -> NoticeIn:
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in CSV_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"the CSV file lacks the column(s) {', '.join(missing)}; nothing was imported")
    errors: list[str] = []
    first: dict[str, str] | None = None
    identifiers: list[dict[str, str]] = []
    rows: list[int] = []
    for row_no, row in enumerate(reader, start=2):
        if None in row:
            errors.append(f"row {row_no}: more cells than columns")
            continue
        fields = {column: (row.get(column) or "").strip() for column in NOTICE_COLUMNS}
        if first is None:
            first = fields
        else:
            differing = [column for column in NOTICE_COLUMNS if fields[column] != first[column]]
            if differing:
                errors.append(f"row {row_no}: {', '.join(differing)} differ(s) from row 2 (one notice per file)")
                continue
        identifiers.append(
            {"type": (row.get("identifier_type") or "").strip(), "value": row.get("identifier_value") or ""}
        )
        rows.append(row_no)
    if first is None:
        raise InvalidInput("the CSV file has no rows; nothing was imported")
    if errors:
        raise InvalidInput(f"{len(errors)} row(s) are not valid; nothing was imported", details=errors)
    body: dict[str, Any] = {column: first[column] for column in NOTICE_COLUMNS if column != "requested_measures"}
    body["requested_measures"] = _measures(first["requested_measures"], 2)
    body["identifiers"] = identifiers
    try:
        return NoticeIn.model_validate(body)
    except ValidationError as error:
        raise InvalidInput(
            "the notice is not valid; nothing was imported", details=_validation_details(error, rows=rows)
        ) from None


def parse_file(data: bytes, *, name: str) -> tuple[NoticeIn, list[int] | None]:
    """The notice in a file, and for a CSV file the row number of each identifier (for error messages)."""
    text = decode(data)
    if name.lower().endswith(".json") or text.lstrip().startswith("{"):
        return parse_json(text), None
    notice = parse_csv(text)
    return notice, list(range(2, 2 + len(notice.identifiers)))
