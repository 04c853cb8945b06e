"""Notice bodies and account seeding shared by the notice tests."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import openpyxl
from sqlalchemy import Engine

from fanzha.cases import service as cases
from fanzha.cases.states import SourceType, SubjectType
from fanzha.entities import bindings
from fanzha.entities.repository import AccountRepository
from fanzha.kit.clock import utcnow
from fanzha.kit.db import session_factory, transaction


def notice(document_no: str = "公(网安)通字[2026]001号", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "issuing_unit": "上海市公安局反诈中心",
        "document_no": document_no,
        "case_no": "沪公刑(2026)123",
        "received_at": "2026-06-01T08:00:00+00:00",
        "deadline": "2099-06-02T08:00:00+00:00",
        "requested_measures": [{"kind": "suspend", "duration_hours": 720}],
        "identifiers": [
            {"type": "account", "value": "scammer-1"},
            {"type": "device", "value": "dev-ring-1"},
            {"type": "phone", "value": "138 0013 8000"},
            {"type": "account", "value": "nobody-here"},
        ],
    }
    body.update(fields)
    return body


def seed(engine: Engine, accounts: list[str], *, device_of: dict[str, str] | None = None) -> None:
    """Accounts the platform knows, and decision cases that saw an account act from a device."""
    now = utcnow()
    with transaction(session_factory(engine)) as session:
        AccountRepository(session).upsert_many(
            [{"account_id": account, "registered_at": now, "first_seen_at": now} for account in accounts]
        )
        for account, device in (device_of or {}).items():
            cases.open_case(
                session,
                source_type=SourceType.decision,
                source_ref=f"evt-{account}",
                subjects=[
                    cases.Subject(SubjectType.account, account, "actor"),
                    cases.Subject(SubjectType.device, device, "actor_device"),
                ],
                actor="test",
            )


def bind(engine: Engine, *facts: tuple[str, str, datetime, datetime | None]) -> None:
    """Phone bindings (account, phone, bound_at, unbound_at), as the account system would push them."""
    with transaction(session_factory(engine)) as session:
        bindings.record(
            session,
            [
                bindings.BindingFact(account, bindings.normalise_phone(phone), start, end, "test")
                for account, phone, start, end in facts
            ],
        )


def xlsx(rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    """A workbook whose first sheet holds ``header`` (default: the CSV columns) and then ``rows``."""
    from fanzha.notices.files import CSV_COLUMNS

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(header or CSV_COLUMNS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
