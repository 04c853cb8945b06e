"""Entries appended in a batch chain like entries appended one by one, and the chain still verifies."""

from __future__ import annotations

from itertools import pairwise

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from fanzha.audit import service as audit_service
from fanzha.audit.models import AuditEntry
from fanzha.kit.db import session_factory, transaction
from tests.fixtures.stack import Stack


def drafts(tag: str, count: int) -> list[audit_service.Draft]:
    return [
        audit_service.Draft(
            actor="test",
            action="test.batch",
            object_type="thing",
            object_id=f"{tag}-{i}",
            before=None if i % 2 else {"state": "old"},
            after={"n": i, "tag": tag, "名字": "测试"},
            reason=None if i % 3 else f"reason {i}",
        )
        for i in range(count)
    ]


def test_batches_between_single_entries_keep_the_chain(stack: Stack) -> None:
    sessions = session_factory(stack.engine)
    with transaction(sessions) as session:
        audit_service.record(session, actor="test", action="test.one", object_type="thing", object_id="a")
        audit_service.record_many(session, drafts("first", 250))
        audit_service.record(session, actor="test", action="test.one", object_type="thing", object_id="b")
    with transaction(sessions) as session:
        audit_service.record_many(session, drafts("second", 3))
        audit_service.record_many(session, [])
    with sessions() as session:
        entries = list(session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())
        report = audit_service.verify_chain(session)
    assert report.ok, report
    assert report.checked == len(entries)
    ids = [entry.object_id for entry in entries if entry.object_type == "thing"]
    assert ids == ["a", *[f"first-{i}" for i in range(250)], "b", *[f"second-{i}" for i in range(3)]]
    batch = [entry for entry in entries if entry.action == "test.batch"]
    assert [(entry.before, entry.after, entry.reason) for entry in batch] == [
        (draft.before, draft.after, draft.reason) for draft in [*drafts("first", 250), *drafts("second", 3)]
    ]
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(entries))


def test_a_changed_batch_entry_is_named(stack: Stack) -> None:
    sessions = session_factory(stack.engine)
    with transaction(sessions) as session:
        audit_service.record_many(session, drafts("x", 10))
    with sessions() as session:
        target = session.execute(select(AuditEntry.seq).where(AuditEntry.object_id == "x-4")).scalar_one()
    with stack.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
        else:
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        connection.exec_driver_sql(f"UPDATE audit_log SET reason = 'edited' WHERE seq = {int(target)}")
    with sessions() as session:
        report = audit_service.verify_chain(session)
    assert (report.bad_seq, report.problem) == (target, "its content does not match its hash")


def test_batch_entries_are_append_only_too(stack: Stack) -> None:
    with transaction(session_factory(stack.engine)) as session:
        audit_service.record_many(session, drafts("y", 2))
    with pytest.raises(DBAPIError), stack.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM audit_log WHERE object_id = 'y-1'")
