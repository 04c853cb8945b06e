from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError

from fanzha.audit import service as audit_service
from fanzha.kit.db import transaction
from fanzha.runtime import Runtime
from tests.fixtures.app import auth
from tests.fixtures.due_process import Keys, tamper


def write_entries(runtime: Runtime, count: int) -> list[int]:
    with transaction(runtime.sessions) as session:
        return [
            audit_service.record(
                session, actor="test", action="test.write", object_type="thing", object_id=str(i), after={"n": i}
            ).seq
            for i in range(count)
        ]


class TestVerify:
    def test_intact_chain_verifies(self, runtime: Runtime) -> None:
        write_entries(runtime, 5)
        with runtime.sessions() as session:
            report = audit_service.verify_chain(session)
        assert report.ok
        assert report.checked >= 5

    def test_changed_row_is_named(self, runtime: Runtime) -> None:
        seqs = write_entries(runtime, 5)
        tamper(runtime, seqs[2], "UPDATE audit_log SET after = NULL WHERE seq = :seq")
        with runtime.sessions() as session:
            report = audit_service.verify_chain(session)
        assert (report.bad_seq, report.problem) == (seqs[2], "its content does not match its hash")

    def test_deleted_row_breaks_the_next_link(self, runtime: Runtime) -> None:
        seqs = write_entries(runtime, 5)
        tamper(runtime, seqs[1], "DELETE FROM audit_log WHERE seq = :seq")
        with runtime.sessions() as session:
            report = audit_service.verify_chain(session)
        assert (report.bad_seq, report.problem) == (seqs[2], "does not link to the entry before it")

    def test_database_refuses_updates(self, runtime: Runtime) -> None:
        seq = write_entries(runtime, 1)[0]
        with pytest.raises(DBAPIError), runtime.engine.begin() as connection:
            connection.execute(sa.text("UPDATE audit_log SET reason = 'x' WHERE seq = :seq"), {"seq": seq})


class TestEndpoints:
    def test_auditors_read_and_verify_others_may_not(self, client: TestClient, keys: Keys, runtime: Runtime) -> None:
        write_entries(runtime, 3)
        page = client.get("/v1/audit", params={"action": "test.write", "limit": 2}, headers=auth(keys.auditor)).json()
        assert [item["object_id"] for item in page["items"]] == ["2", "1"]
        rest = client.get(
            "/v1/audit",
            params={"action": "test.write", "before_seq": page["next_before_seq"]},
            headers=auth(keys.auditor),
        ).json()
        assert [item["object_id"] for item in rest["items"]] == ["0"]
        assert client.get("/v1/audit/verify", headers=auth(keys.auditor)).json()["ok"] is True
        assert client.get("/v1/audit", headers=auth(keys.analyst)).status_code == 403
        assert client.get("/v1/audit", headers=auth(keys.client)).status_code == 403
