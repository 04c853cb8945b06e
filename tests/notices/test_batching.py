"""The batched import gives every identifier the same outcome as looking each one up on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from fanzha.cases.models import CaseSubject
from fanzha.kit.db import session_factory, transaction
from fanzha.notices import service as notices_service
from fanzha.notices.schemas import NoticeIn
from tests.fixtures.stack import Stack
from tests.notices.helpers import bind, notice, seed

RECEIVED = datetime(2026, 6, 1, 8, tzinfo=UTC)
ROWS = 1000


def identifiers() -> list[dict[str, str]]:
    """A mix of every kind: known and unknown accounts, bound, once-bound and unbound phones, devices, domains."""
    out: list[dict[str, str]] = []
    for i in range(ROWS):
        match i % 5:
            case 0:
                out.append({"type": "account", "value": f"acct-{i}"})
            case 1 | 2:
                # Written nationally or with spaces: the batch normalises like the single path.
                out.append({"type": "phone", "value": f"138{i:08d}" if i % 2 else f"+86 138 {i:08d}"})
            case 3:
                out.append({"type": "device", "value": f"dev-{i}"})
            case _:
                out.append({"type": "domain", "value": f"shop-{i}.example"})
    return out


def prepare(stack: Stack) -> None:
    seed(
        stack.engine,
        [f"acct-{i}" for i in range(0, ROWS, 10)],
        device_of={f"ring-{i}": f"dev-{i}" for i in range(3, ROWS, 50)},
    )
    facts = []
    for i in range(1, ROWS, 5):
        phone = f"+8613{8 * 10**8 + i:09d}"
        if i % 3 == 0:
            facts.append((f"holder-{i}", phone, RECEIVED - timedelta(days=100), None))
        elif i % 3 == 1:
            facts.append((f"former-{i}", phone, RECEIVED - timedelta(days=300), RECEIVED - timedelta(days=20)))
        else:
            facts.append((f"ancient-{i}", phone, RECEIVED - timedelta(days=900), RECEIVED - timedelta(days=500)))
    bind(stack.engine, *facts)


def run(stack: Stack, document_no: str, batch_size: int) -> list[dict[str, Any]]:
    body = NoticeIn.model_validate(
        notice(
            document_no,
            case_no=f"case-{document_no}",
            received_at=RECEIVED.isoformat(),
            requested_measures=[{"kind": "warn"}],
            identifiers=identifiers(),
        )
    )
    sessions = session_factory(stack.engine)
    with transaction(sessions) as session:
        imported = notices_service.import_notice(
            session, body=body, actor="test", allowed_units=[], batch_size=batch_size
        )
        notice_id = imported.notice.id
    with sessions() as session:
        return notices_service.feedback(session, notice_id)


def outcome(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Everything but measure ids and times."""
    return [
        (
            row["position"],
            row["type"],
            row["value"],
            row["outcome"],
            row["accounts"],
            [measure.split("#")[0] + ":" + measure.rsplit(":", 1)[1] for measure in row["measures"]],
            row["note"],
            row["bind_periods"],
        )
        for row in rows
    ]


def test_a_1000_row_batch_equals_the_row_by_row_path(stack: Stack) -> None:
    prepare(stack)
    one_by_one = run(stack, "single", batch_size=1)
    batched = run(stack, "batched", batch_size=notices_service.BATCH_SIZE)
    assert len(batched) == ROWS
    assert outcome(batched) == outcome(one_by_one)
    found = [row for row in batched if row["outcome"] == "found"]
    kinds = {row["type"] for row in found}
    assert kinds == {"account", "phone", "device"}
    assert any(a.startswith("former-") for row in found for a in row["accounts"])
    assert not any(a.startswith("ancient-") for row in batched for a in row["accounts"])
    with session_factory(stack.engine)() as session:
        subjects = session.execute(
            select(CaseSubject.case_id, func.count()).group_by(CaseSubject.case_id).order_by(CaseSubject.case_id)
        ).all()
    # Both notices' cases hold every identifier plus the accounts found, and only once each.
    named = {row["value"] for row in batched if row["type"] == "account"}
    linked = len({a for row in batched for a in row["accounts"]} - named)
    assert [count for _case, count in subjects[-2:]] == [ROWS + linked, ROWS + linked]
