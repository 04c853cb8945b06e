"""Phone bindings (D2-ACC-03, D2-ACC-04): which account is, or was, bound to which phone number.

Two feeds write them: the decision path (an ``account.registered`` or ``account.profile_changed``
event naming the account's phone, recorded by a bus handler after the decision is durable, so the
synchronous path never waits on it) and the platform's account system (``POST /v1/accounts/bindings``).
Both go through :func:`record`, which reads the accounts' bindings with one query per batch and
applies the facts in time order:

- a fact the account's existing binding to the same phone already covers changes nothing, except
  that an ``unbound_at`` it carries closes (or corrects the end of) that binding;
- otherwise it is a new binding. A current one (no ``unbound_at``) closes the account's open binding
  to another phone at its ``bound_at``; one older than a binding already known ends where that
  binding begins (events can arrive late), or, for the same phone, moves that binding's start back.
- a binding remembers the latest sighting it absorbed (``last_seen_at``). When a late change of
  phone falls inside a binding whose phone was seen again after it, the account went back to that
  phone: the binding ends at the change, the new one at that sighting, where the old phone resumes.

An account has at most one current phone; a phone may be bound to many accounts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from fanzha.audit import service as audit
from fanzha.auth.masking import mask
from fanzha.entities.models import PhoneBinding
from fanzha.entities.repository import BindingRepository
from fanzha.entities.schemas import BindingIn
from fanzha.events.schemas import Event
from fanzha.kit.clock import ensure_utc, utcnow
from fanzha.kit.errors import InvalidInput
from fanzha.lists.kinds import InvalidListValue, ListKind, normalize_value

log = logging.getLogger(__name__)

BINDING_EVENT_TYPES = frozenset({"account.registered", "account.profile_changed"})
"""Event types whose phone is the account's own bound phone (not just the phone of a session)."""
PHONE_TOPIC = "account.phone_seen"
"""Written by the decision journal with the decision: an account registered or changed its profile with a phone."""


def phone_of(event: Event) -> str | None:
    """The account's phone an ``account.registered`` / ``account.profile_changed`` event names, if any.

    ``context.phone`` first, else a ``phone`` attribute on the actor (kept as an extra field).
    """
    if event.type not in BINDING_EVENT_TYPES:
        return None
    if event.context is not None and event.context.phone:
        return event.context.phone
    extra = event.actor.model_extra or {}
    phone = extra.get("phone")
    return phone if isinstance(phone, str) and phone else None


@dataclass(frozen=True, slots=True)
class BindingFact:
    """What is known of a binding: ``account_id`` had ``phone`` (E.164) from ``bound_at`` (until ``unbound_at``)."""

    account_id: str
    phone: str
    bound_at: datetime
    unbound_at: datetime | None
    source: str


@dataclass
class Recorded:
    """What :func:`record` changed."""

    recorded: int = 0
    updated: int = 0
    closed: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.recorded or self.updated or self.closed)


def normalise_phone(value: str) -> str:
    """The E.164 form lists use; :class:`InvalidInput` when it is not a valid phone number."""
    try:
        return normalize_value(ListKind.phone, value)
    except InvalidListValue as error:
        raise InvalidInput(error.message, details=[{"field": "phone", "value": value}], zh=error.message_zh) from None


def facts_from_api(bindings: Sequence[BindingIn], *, actor: str) -> list[BindingFact]:
    """Check a batch whole: every phone must be valid, else 422 naming each bad one and nothing stored."""
    facts: list[BindingFact] = []
    errors: list[dict[str, object]] = []
    for index, item in enumerate(bindings):
        try:
            phone = normalize_value(ListKind.phone, item.phone)
        except InvalidListValue as error:
            errors.append({"index": index, "field": "phone", "value": item.phone, "message": error.message})
            continue
        facts.append(
            BindingFact(
                account_id=item.account_id,
                phone=phone,
                bound_at=ensure_utc(item.bound_at),
                unbound_at=None if item.unbound_at is None else ensure_utc(item.unbound_at),
                source=item.source or f"api:{actor}",
            )
        )
    if errors:
        raise InvalidInput(
            f"{len(errors)} binding(s) are not valid; nothing was recorded",
            details=errors,
            zh=f"{len(errors)} 条绑定关系无效；未记录任何内容",
        )
    return facts


def record(session: Session, facts: Sequence[BindingFact]) -> Recorded:
    """Apply binding facts in time order (see the module docstring); flushes, does not audit."""
    outcome = Recorded()
    if not facts:
        return outcome
    repository = BindingRepository(session)
    by_account = repository.for_accounts([fact.account_id for fact in facts])
    now = utcnow()
    new_rows: list[PhoneBinding] = []
    for fact in sorted(facts, key=lambda item: item.bound_at):
        rows = by_account.setdefault(fact.account_id, [])
        added = _apply(rows, fact, now=now, outcome=outcome)
        if added:
            rows.extend(added)
            rows.sort(key=lambda row: ensure_utc(row.bound_at))
            new_rows.extend(added)
    repository.add_all(new_rows)
    return outcome


def _covers(row: PhoneBinding, fact: BindingFact) -> bool:
    start = ensure_utc(row.bound_at)
    if row.phone != fact.phone:
        return False
    if start == fact.bound_at:
        return True
    if start > fact.bound_at:
        # An ended binding known from earlier on that spans the row's start is that binding (ended).
        return fact.unbound_at is not None and start < fact.unbound_at
    return row.unbound_at is None or fact.bound_at < ensure_utc(row.unbound_at)


def _last_seen(row: PhoneBinding) -> datetime:
    return ensure_utc(row.last_seen_at if row.last_seen_at is not None else row.bound_at)


def _apply(rows: list[PhoneBinding], fact: BindingFact, *, now: datetime, outcome: Recorded) -> list[PhoneBinding]:
    """Apply one fact to an account's bindings (oldest first); return the new rows it needs."""
    cover = next((row for row in rows if _covers(row, fact)), None)
    if cover is not None:
        earlier = ensure_utc(cover.bound_at) > fact.bound_at
        if earlier:
            cover.bound_at = fact.bound_at  # it was bound earlier than we knew
        ends = fact.unbound_at is not None and (
            cover.unbound_at is None or ensure_utc(cover.unbound_at) != fact.unbound_at
        )
        if ends:
            cover.unbound_at = fact.unbound_at
            cover.unbind_source = fact.source
        if fact.unbound_at is None and fact.bound_at > _last_seen(cover):
            cover.last_seen_at = fact.bound_at  # a sighting, not a change: kept for late changes
        if earlier or ends:
            cover.updated_at = now
            outcome.updated += 1
        else:
            outcome.unchanged += 1
        return []
    unbound_at = fact.unbound_at
    unbind_source: str | None = None
    added: list[PhoneBinding] = []
    if unbound_at is None:
        # The account had this phone from the fact's time on: a binding to another phone then in force ended.
        for row in rows:
            if row.phone != fact.phone and _in_force(row, fact.bound_at):
                seen_again = _last_seen(row)
                if seen_again > fact.bound_at:
                    # That phone was seen again after this change (which arrived late): the account
                    # went back to it by then, so it resumes there and this binding ends there.
                    added.append(_binding(row.account_id, row.phone, seen_again, row.unbound_at, row.source, now))
                    added[-1].unbind_source = row.unbind_source
                    row.last_seen_at = None
                row.unbound_at = fact.bound_at
                row.unbind_source = fact.source
                row.updated_at = now
                outcome.closed += 1
        later = min(
            (row for row in [*rows, *added] if ensure_utc(row.bound_at) > fact.bound_at),
            key=lambda row: ensure_utc(row.bound_at),
            default=None,
        )
        if later is not None and later.phone == fact.phone:
            # The same phone, known from later on: it was bound earlier than we knew.
            later.bound_at = fact.bound_at
            later.updated_at = now
            outcome.updated += 1
            outcome.recorded += len(added)
            return added
        if later is not None:
            # Another phone was bound after this fact (an event that arrived late): it ended then.
            unbound_at, unbind_source = ensure_utc(later.bound_at), later.source
    new = _binding(fact.account_id, fact.phone, fact.bound_at, unbound_at, fact.source, now)
    new.unbind_source = unbind_source
    if fact.unbound_at is None:
        new.last_seen_at = fact.bound_at
    outcome.recorded += 1 + len(added)
    return [new, *added]


def _binding(
    account_id: str, phone: str, bound_at: datetime, unbound_at: datetime | None, source: str, now: datetime
) -> PhoneBinding:
    return PhoneBinding(
        account_id=account_id,
        phone=phone,
        bound_at=bound_at,
        unbound_at=unbound_at,
        source=source,
        recorded_at=now,
        updated_at=now,
    )


def _in_force(row: PhoneBinding, at: datetime) -> bool:
    return ensure_utc(row.bound_at) <= at and (row.unbound_at is None or ensure_utc(row.unbound_at) > at)


def record_from_api(session: Session, *, bindings: Sequence[BindingIn], actor: str) -> Recorded:
    """The account system's batch: checked whole, recorded, and one audit entry for the batch."""
    outcome = record(session, facts_from_api(bindings, actor=actor))
    audit.record(
        session,
        actor=actor,
        action="phone_binding.import",
        object_type="phone_binding",
        object_id=f"batch:{len(bindings)}",
        after={
            "bindings": len(bindings),
            "recorded": outcome.recorded,
            "updated": outcome.updated,
            "closed": outcome.closed,
            "unchanged": outcome.unchanged,
        },
    )
    return outcome


def record_from_event(
    session: Session, *, account_id: str, phone: str, at: datetime, event_id: str, actor: str
) -> Recorded:
    """An event said ``account_id`` has ``phone`` at ``at``; an invalid phone is logged and skipped."""
    try:
        normalised = normalize_value(ListKind.phone, phone)
    except InvalidListValue:
        log.info("event %s names no valid phone for account %s; no binding recorded", event_id, account_id)
        return Recorded()
    outcome = record(
        session,
        [
            BindingFact(
                account_id=account_id,
                phone=normalised,
                bound_at=ensure_utc(at),
                unbound_at=None,
                source=f"event:{event_id}",
            )
        ],
    )
    if outcome.changed:
        audit.record(
            session,
            actor=actor,
            action="phone_binding.record",
            object_type="account",
            object_id=account_id,
            after={
                "phone": mask("phone", normalised),
                "bound_at": ensure_utc(at).isoformat(),
                "recorded": outcome.recorded,
                "updated": outcome.updated,
                "closed": outcome.closed,
            },
            reason=f"event {event_id}",
        )
    return outcome


@dataclass(frozen=True, slots=True)
class PhoneAccounts:
    """The answer to "which accounts are or were bound to this phone"."""

    phone: str
    bindings: list[PhoneBinding]

    @property
    def current(self) -> int:
        return len({row.account_id for row in self.bindings if row.unbound_at is None})

    @property
    def total(self) -> int:
        return len({row.account_id for row in self.bindings})


def accounts_of_phone(session: Session, *, phone: str, actor: str) -> PhoneAccounts:
    """Every binding of ``phone`` (normalised as lists do); the look-up is itself audited (D6-LE-05)."""
    normalised = normalise_phone(phone)
    found = PhoneAccounts(normalised, BindingRepository(session).for_phone(normalised))
    audit.record(
        session,
        actor=actor,
        action="phone_binding.lookup",
        object_type="phone",
        object_id=mask("phone", normalised),
        after={"current": found.current, "total": found.total},
    )
    return found


def bound_accounts(
    session: Session, phones: Sequence[str], *, at: datetime, lookback: timedelta
) -> dict[str, list[tuple[str, datetime, datetime | None]]]:
    """Per phone (E.164): (account, bound_at, unbound_at) of the accounts bound now, or unbound no
    earlier than ``lookback`` before ``at``."""
    found: dict[str, list[tuple[str, datetime, datetime | None]]] = {}
    for phone, account_id, bound_at, unbound_at in BindingRepository(session).bound_to(phones, since=at - lookback):
        found.setdefault(phone, []).append((account_id, bound_at, unbound_at))
    return found
