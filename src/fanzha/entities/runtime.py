"""The in-memory view of labels and account registration times used by the decision path."""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy.orm import Session, sessionmaker

from fanzha.entities.repository import LabelRepository, RegistrationLookup
from fanzha.kit.clock import utcnow


class LabelBook:
    """Labels in force, by (entity type, normalised value). Rebuilt whole when labels change."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._labels: dict[tuple[str, str], tuple[tuple[str, float | None], ...]] = {}
        self.revision = -1

    def refresh(self, revision: int) -> None:
        if revision == self.revision:
            return
        with self._sessions() as session:
            rows = LabelRepository(session).active(utcnow())
        grouped: dict[tuple[str, str], list[tuple[str, float | None]]] = {}
        for entity_type, value, label, expires_at in rows:
            grouped.setdefault((entity_type, value), []).append(
                (label, None if expires_at is None else expires_at.timestamp())
            )
        self._labels = {key: tuple(items) for key, items in grouped.items()}
        self.revision = revision

    def labels(self, entity_type: str, value: str, at: float) -> list[str]:
        found = self._labels.get((entity_type, value))
        if not found:
            return []
        return [label for label, expires in found if expires is None or expires > at]


class AccountBook:
    """Registration times of accounts: a bounded cache in front of the accounts table."""

    def __init__(self, lookup: RegistrationLookup, *, capacity: int = 200_000) -> None:
        self._lookup = lookup
        self._capacity = capacity
        self._known: OrderedDict[str, float | None] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, account_id: str, registered_at: float) -> None:
        with self._lock:
            current = self._known.get(account_id)
            if current is None or registered_at < current:
                self._known[account_id] = registered_at
            self._known.move_to_end(account_id)
            if len(self._known) > self._capacity:
                self._known.popitem(last=False)

    def registered_at(self, account_id: str) -> float | None:
        if account_id in self._known:
            return self._known[account_id]
        moment = self._lookup.get(account_id)
        value = None if moment is None else moment.timestamp()
        with self._lock:
            self._known[account_id] = value
            if len(self._known) > self._capacity:
                self._known.popitem(last=False)
        return value
