from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fanzha.entities import service as entity_service
from fanzha.events.entities import EntityType
from fanzha.kit.db import session_factory, transaction
from fanzha.kit.errors import Conflict, InvalidInput
from tests.fixtures.stack import Stack


def set_label(session: Session, value: str, label: str, *, manual: bool = True, **fields: Any) -> None:
    entity_service.set_label(
        session,
        entity_type=fields.pop("entity_type", EntityType.account),
        value=value,
        label=label,
        reason=fields.pop("reason", ""),
        source=fields.pop("source", ""),
        manual=manual,
        expires_at=None,
        actor=fields.pop("actor", "test"),
    )


class TestLabels:
    def test_manual_label_beats_automatic(self, stack: Stack) -> None:
        sessions = session_factory(stack.engine)
        with transaction(sessions) as session:
            set_label(session, "acct-1", "fraud", reason="analyst confirmed")
        with pytest.raises(Conflict), transaction(sessions) as session:
            set_label(session, "acct-1", "fraud", manual=False, reason="model score dropped", source="rule:x")
        with pytest.raises(Conflict), transaction(sessions) as session:
            entity_service.remove_label(
                session,
                entity_type=EntityType.account,
                value="acct-1",
                label="fraud",
                manual=False,
                actor="system",
                reason="auto-expiry",
            )
        with transaction(sessions) as session:
            labels = entity_service.labels_of(session, entity_type=EntityType.account, value="acct-1")
            assert [(label.label, label.reason, label.manual) for label in labels] == [
                ("fraud", "analyst confirmed", True)
            ]

    def test_phone_labels_are_normalised(self, stack: Stack) -> None:
        sessions = session_factory(stack.engine)
        with transaction(sessions) as session:
            set_label(session, "138 0013 8000", "reported", entity_type=EntityType.phone)
        with transaction(sessions) as session:
            found = entity_service.labels_of(session, entity_type=EntityType.phone, value="+8613800138000")
            assert [label.entity_value for label in found] == ["+8613800138000"]
        with pytest.raises(InvalidInput), transaction(sessions) as session:
            set_label(session, "12", "reported", entity_type=EntityType.phone)

    def test_every_change_is_audited(self, stack: Stack) -> None:
        sessions = session_factory(stack.engine)
        for label in ("emulator", "farm"):
            with transaction(sessions) as session:
                set_label(session, "dev-1", label, entity_type=EntityType.device)
        with transaction(sessions) as session:
            rows = session.execute(
                sa.text("SELECT action, object_id, prev_hash, hash FROM audit_log ORDER BY seq")
            ).all()
        assert [(row[0], row[1]) for row in rows] == [
            ("label.set", "device:dev-1:emulator"),
            ("label.set", "device:dev-1:farm"),
        ]
        assert rows[1][2] == rows[0][3]  # chained to the previous entry
        assert rows[0][2] == "0" * 64
