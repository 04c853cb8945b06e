"""CSV downloads from the console: formula-safe cells (the rule the API's exports follow) and the response."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from fastapi.responses import Response

from fanzha.notices.service import csv_safe

__all__ = ["csv_response", "csv_safe", "csv_text"]


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document; every text cell is made formula-safe (numbers and times are written as they are)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_safe(cell) if isinstance(cell, str) else ("" if cell is None else cell) for cell in row])
    return out.getvalue()


def csv_response(text: str, filename: str) -> Response:
    """A download, UTF-8 without a byte-order mark (so ``fanzha lists import`` reads an export back as it is)."""
    return Response(
        content=text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "X-Content-Type-Options": "nosniff"},
    )
