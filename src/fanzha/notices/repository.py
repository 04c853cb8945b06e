from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.orm import Session, aliased

from fanzha.cases.models import CaseSubject
from fanzha.entities.models import Account
from fanzha.notices.models import Notice, NoticeIdentifier
from fanzha.notices.schemas import NoticeState

# Roles in which a decision case names a device, phone or payment account as the acting account's own.
LINK_ROLES = ("actor_device", "actor_phone", "payer_account", "payment_account")


class NoticeRepository:
    """All SQL on notices and their identifiers, and the look-ups that link identifiers to accounts."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: Notice) -> None:
        self.session.add(row)
        self.session.flush()

    def insert_identifiers(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert feedback rows in one multi-row statement (no ORM objects: a notice may name 100,000)."""
        if rows:
            self.session.execute(insert(NoticeIdentifier), list(rows))

    def get(self, notice_id: int) -> Notice | None:
        return self.session.get(Notice, notice_id)

    def by_document(self, issuing_unit: str, document_no: str) -> Notice | None:
        return self.session.execute(
            select(Notice).where(Notice.issuing_unit == issuing_unit, Notice.document_no == document_no)
        ).scalar_one_or_none()

    def case_ids_for_case_no(self, case_no: str) -> list[int]:
        """Cases earlier notices about the same police case went into, newest first."""
        rows = self.session.execute(
            select(Notice.case_id)
            .where(Notice.case_no == case_no, Notice.case_id.is_not(None))
            .order_by(Notice.id.desc())
            .limit(20)
        ).all()
        return [int(row[0]) for row in rows if row[0] is not None]

    def identifiers(self, notice_id: int) -> list[NoticeIdentifier]:
        return list(
            self.session.execute(
                select(NoticeIdentifier)
                .where(NoticeIdentifier.notice_id == notice_id)
                .order_by(NoticeIdentifier.position)
            ).scalars()
        )

    def search(self, *, state: str | None, deadline_before: datetime | None, limit: int, offset: int) -> list[Notice]:
        query = select(Notice)
        if state is not None:
            query = query.where(Notice.state == state)
        if deadline_before is not None:
            query = query.where(Notice.deadline < deadline_before)
        return list(
            self.session.execute(query.order_by(Notice.deadline, Notice.id).limit(limit).offset(offset)).scalars()
        )

    def due_for_warning(self, *, now: datetime, until: datetime, limit: int) -> list[Notice]:
        """Open notices due after ``now`` and by ``until`` that have not been warned about."""
        return list(
            self.session.execute(
                select(Notice)
                .where(
                    Notice.state == NoticeState.open.value,
                    Notice.deadline_warned_at.is_(None),
                    Notice.deadline > now,
                    Notice.deadline <= until,
                )
                .order_by(Notice.deadline, Notice.id)
                .limit(limit)
            ).scalars()
        )

    def overdue_unmarked(self, *, now: datetime, limit: int) -> list[Notice]:
        """Open notices past their deadline and not yet marked overdue."""
        return list(
            self.session.execute(
                select(Notice)
                .where(Notice.state == NoticeState.open.value, Notice.overdue_at.is_(None), Notice.deadline <= now)
                .order_by(Notice.deadline, Notice.id)
                .limit(limit)
            ).scalars()
        )

    def stamp(self, notice_id: int, *, column: str, at: datetime) -> bool:
        """Set ``column`` (a time stamp) if it is still empty; False when another writer set it first."""
        target = getattr(Notice, column)
        result = self.session.execute(
            update(Notice).where(Notice.id == notice_id, target.is_(None)).values({column: at})
        )
        self.session.flush()
        return int(getattr(result, "rowcount", 0) or 0) == 1

    def known_accounts(self, account_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        wanted = list(dict.fromkeys(account_ids))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            found.update(
                self.session.execute(select(Account.account_id).where(Account.account_id.in_(chunk))).scalars()
            )
        return found

    def linked_accounts(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
        """Per (type, value): the acting accounts of cases that named it as that account's own."""
        linked: dict[tuple[str, str], set[str]] = {}
        wanted = list(dict.fromkeys(keys))
        named = aliased(CaseSubject)
        account = aliased(CaseSubject)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self.session.execute(
                select(named.type, named.value, account.value)
                .join(account, account.case_id == named.case_id)
                .where(
                    tuple_(named.type, named.value).in_(chunk),
                    named.role.in_(LINK_ROLES),
                    account.type == "account",
                    account.role == "actor",
                )
            ).all()
            for kind, value, account_id in rows:
                linked.setdefault((kind, value), set()).add(account_id)
        return linked
