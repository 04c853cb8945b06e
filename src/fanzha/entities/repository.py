from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fanzha.entities.models import Account, EntityLabel, PhoneBinding
from fanzha.kit.clock import ensure_utc
from fanzha.kit.db import PointReader, dialect_of


class LabelRepository:
    """All SQL on entity labels."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, entity_type: str, value: str, label: str) -> EntityLabel | None:
        return self.session.execute(
            select(EntityLabel).where(
                EntityLabel.entity_type == entity_type,
                EntityLabel.entity_value == value,
                EntityLabel.label == label,
            )
        ).scalar_one_or_none()

    def for_entity(self, entity_type: str, value: str) -> list[EntityLabel]:
        return list(
            self.session.execute(
                select(EntityLabel)
                .where(EntityLabel.entity_type == entity_type, EntityLabel.entity_value == value)
                .order_by(EntityLabel.label)
            ).scalars()
        )

    def add(self, label: EntityLabel) -> None:
        self.session.add(label)
        self.session.flush()

    def remove(self, label: EntityLabel) -> None:
        self.session.delete(label)
        self.session.flush()

    def active(self, now: datetime) -> list[tuple[str, str, str, datetime | None]]:
        rows = self.session.execute(
            select(EntityLabel.entity_type, EntityLabel.entity_value, EntityLabel.label, EntityLabel.expires_at).where(
                or_(EntityLabel.expires_at.is_(None), EntityLabel.expires_at > now)
            )
        ).all()
        return [(row[0], row[1], row[2], row[3]) for row in rows]


class AccountRepository:
    """All SQL on accounts as the decision path knows them (on a session or a connection)."""

    def __init__(self, session: Session | Connection) -> None:
        self.session = session

    def upsert_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Record accounts; a known registration time is kept, an unknown one is filled in."""
        if not rows:
            return
        insert = pg_insert if dialect_of(self.session) == "postgresql" else sqlite_insert
        statement = insert(Account).values(list(rows))
        statement = statement.on_conflict_do_update(
            index_elements=["account_id"],
            set_={"registered_at": statement.excluded.registered_at},
            where=Account.registered_at.is_(None) & statement.excluded.registered_at.is_not(None),
        )
        self.session.execute(statement)


class RegistrationLookup:
    """When an account registered (or was first seen), read on the hot path without the ORM."""

    def __init__(self, engine: Engine) -> None:
        self._reader = PointReader(engine, "SELECT registered_at, first_seen_at FROM accounts WHERE account_id = :key")

    def get(self, account_id: str) -> datetime | None:
        row = self._reader.fetch(account_id)
        if row is None:
            return None
        value = row[0] if row[0] is not None else row[1]
        if isinstance(value, str):  # SQLite hands back its text form
            value = datetime.fromisoformat(value)
        return None if value is None else ensure_utc(value)

    def close(self) -> None:
        self._reader.close()


LOOKUP_CHUNK = 500
"""Values per ``IN (...)`` query: well under SQLite's and PostgreSQL's limits on bound parameters."""


class BindingRepository:
    """All SQL on phone bindings."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def for_accounts(self, account_ids: Sequence[str]) -> dict[str, list[PhoneBinding]]:
        """Every binding of these accounts, oldest first, one query per chunk of accounts."""
        found: dict[str, list[PhoneBinding]] = {}
        wanted = list(dict.fromkeys(account_ids))
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            rows = self.session.execute(
                select(PhoneBinding)
                .where(PhoneBinding.account_id.in_(chunk))
                .order_by(PhoneBinding.bound_at, PhoneBinding.id)
            ).scalars()
            for row in rows:
                found.setdefault(row.account_id, []).append(row)
        return found

    def add_all(self, rows: Sequence[PhoneBinding]) -> None:
        self.session.add_all(rows)
        self.session.flush()

    def for_phone(self, phone: str) -> list[PhoneBinding]:
        """Every binding of a phone, the current ones first, then the most recent."""
        return list(
            self.session.execute(
                select(PhoneBinding)
                .where(PhoneBinding.phone == phone)
                .order_by(PhoneBinding.unbound_at.is_not(None), PhoneBinding.bound_at.desc(), PhoneBinding.id)
            ).scalars()
        )

    def bound_to(self, phones: Sequence[str], *, since: datetime) -> list[tuple[str, str, datetime, datetime | None]]:
        """(phone, account, bound_at, unbound_at) of bindings in force, or that ended at ``since`` or later."""
        found: list[tuple[str, str, datetime, datetime | None]] = []
        wanted = list(dict.fromkeys(phones))
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            rows = self.session.execute(
                select(PhoneBinding.phone, PhoneBinding.account_id, PhoneBinding.bound_at, PhoneBinding.unbound_at)
                .where(
                    PhoneBinding.phone.in_(chunk),
                    or_(PhoneBinding.unbound_at.is_(None), PhoneBinding.unbound_at >= since),
                )
                .order_by(PhoneBinding.phone, PhoneBinding.bound_at, PhoneBinding.id)
            ).all()
            found.extend(
                (row[0], row[1], ensure_utc(row[2]), None if row[3] is None else ensure_utc(row[3])) for row in rows
            )
        return found
