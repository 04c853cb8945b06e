"""CSV downloads from the console: formula-safe cells (the rule the API's exports follow) and the response."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from fastapi.responses import Response

from fanzha.kit.spreadsheets import formula_safe

__all__ = ["csv_response", "csv_text"]


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document; every text cell is made formula-safe (numbers and times are written as they are)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [formula_safe(cell) if isinstance(cell, str) else ("" if cell is None else cell) for cell in row]
        )
    return out.getvalue()


def csv_response(text: str, filename: str) -> Response:
    """A download, UTF-8 without a byte-order mark (so ``fanzha lists import`` reads an export back as it is)."""
    return Response(
        content=text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "X-Content-Type-Options": "nosniff"},
    )


def _cell(value: object) -> object:
    if isinstance(value, str):
        return formula_safe(value)
    return "" if value is None else value
