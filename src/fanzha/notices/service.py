"""Police and authority notices: check, store, link identifiers to accounts, open or join a case,
apply the requested measures and keep the per-identifier feedback the issuing unit is owed.

A notice is checked whole before anything is written (required fields, identifier formats, the
allow-list of issuing units, an earlier notice with the same document number); any failure stores
nothing. Account ids are found in the ``accounts`` table; phones find the accounts bound to them
(``phone_bindings``: bound now, or unbound no longer than the configured lookback before the notice
was received); devices, phones and payment accounts are also linked to the acting accounts of the
cases that named them as that account's own.

The work is done in batches (one look-up query per kind and batch, multi-row inserts), so a notice
of 100,000 identifiers imports in well under a minute; each identifier still gets its own outcome.
A deadline watch (run by the bus worker) warns of open notices whose deadline is near, escalates
their case, and marks those whose deadline has passed.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from fanzha.audit import service as audit
from fanzha.cases import service as cases
from fanzha.cases.models import Case
from fanzha.cases.states import OPEN, CaseState, Priority, SourceType, SubjectType
from fanzha.entities import bindings
from fanzha.kit.clock import ensure_utc, iso_or_none, utcnow
from fanzha.kit.errors import Conflict, InvalidInput, NotFound
from fanzha.kit.spreadsheets import formula_safe
from fanzha.lists.kinds import InvalidListValue, ListKind, normalize_value
from fanzha.lists.service import EntryChange
from fanzha.measures import service as measures
from fanzha.notices.models import Notice
from fanzha.notices.repository import NoticeRepository
from fanzha.notices.schemas import IdentifierOutcome, IdentifierType, NoticeIn, NoticeState

log = logging.getLogger(__name__)

LEGAL_BASIS = ["ATOFL art. 22", "ATOFL art. 26"]
BATCH_SIZE = 2000
"""Identifiers per look-up round and per insert; ``batch_size=1`` is the one-by-one path (same outcome)."""
DEFAULT_BINDING_LOOKBACK = timedelta(days=180)
DEFAULT_DEADLINE_WARNING_HOURS = 24.0
DEADLINE_ACTOR = "system:notice-deadline"

NOT_FOUND_NOTE = "no account with this id"
UNLINKED_NOTE = (
    "no linked account: fanzha keeps no binding of this identifier to accounts beyond the cases that named it "
    "as an account's own"
)
NO_ACCOUNT_TYPES_NOTE = "a url or domain names no account; added to the case for review"

_KINDS = {
    IdentifierType.phone: ListKind.phone,
    IdentifierType.account: ListKind.account,
    IdentifierType.url: ListKind.url,
    IdentifierType.domain: ListKind.domain,
    IdentifierType.payment_account: ListKind.payment_account,
    IdentifierType.device: ListKind.device,
}


def phone_note(lookback: timedelta) -> str:
    """Why a phone found no account: no phone binding within the lookback, and no case linked it."""
    days = lookback.total_seconds() / 86_400
    return (
        f"no linked account: no account is bound to this phone, none was unbound from it in the {days:g} days "
        "before the notice was received (phone bindings), and no case named it as an account's own"
    )


class ImportStage(StrEnum):
    """The steps of an import, in order, as progress reports name them."""

    checking = "checking"
    linking = "linking"
    case = "case"
    measures = "measures"
    feedback = "feedback"


Progress = Callable[[ImportStage, int, int], None]
"""Called with (stage, done, total) as an import goes on."""


@dataclass
class Imported:
    """What importing a notice did: the notice, its case and the list entries its measures changed."""

    notice: Notice
    case: Case
    list_changes: list[EntryChange] = field(default_factory=list)


def _silent(stage: ImportStage, done: int, total: int) -> None:
    return None


def _normalised(body: NoticeIn, progress: Progress) -> list[tuple[str, str]]:
    errors: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    keys: list[tuple[str, str]] = []
    total = len(body.identifiers)
    for index, item in enumerate(body.identifiers):
        if index and index % BATCH_SIZE == 0:
            progress(ImportStage.checking, index, total)
        try:
            value = normalize_value(_KINDS[item.type], item.value)
        except InvalidListValue as error:
            errors.append({"index": index, "type": item.type.value, "value": item.value, "message": error.message})
            continue
        key = (item.type.value, value)
        if key in seen:
            errors.append(
                {
                    "index": index,
                    "type": item.type.value,
                    "value": item.value,
                    "message": f"the same identifier as index {seen[key]}",
                }
            )
            continue
        seen[key] = index
        keys.append(key)
    if errors:
        raise InvalidInput(
            f"{len(errors)} identifier(s) are not valid; nothing was imported",
            details=errors,
            zh=f"{len(errors)} 个对象无效；未导入任何内容",
        )
    progress(ImportStage.checking, total, total)
    return keys


def check(
    session: Session, body: NoticeIn, *, allowed_units: Sequence[str], progress: Progress = _silent
) -> list[tuple[str, str]]:
    """The completeness and authenticity checks; returns the normalised identifiers in order."""
    if allowed_units and body.issuing_unit not in allowed_units:
        raise InvalidInput(
            f"issuing unit {body.issuing_unit!r} is not on the allow-list of issuing units; nothing was imported",
            details=[{"field": "issuing_unit", "value": body.issuing_unit}],
            zh=f"发文单位 {body.issuing_unit!r} 不在发文单位白名单上；未导入任何内容",
        )
    existing = NoticeRepository(session).by_document(body.issuing_unit, body.document_no)
    if existing is not None:
        raise Conflict(
            f"notice {body.document_no!r} from {body.issuing_unit!r} was already imported as notice {existing.id}",
            zh=f"{body.issuing_unit!r} 的通报 {body.document_no!r} 已作为通报 {existing.id} 导入",
        )
    return _normalised(body, progress)


Links = dict[tuple[str, str], dict[str, list[str]]]
"""Per identifier (type, value): the accounts it links to, each with its binding periods (phones only)."""


def import_notice(
    session: Session,
    *,
    body: NoticeIn,
    actor: str,
    allowed_units: Sequence[str],
    binding_lookback: timedelta = DEFAULT_BINDING_LOOKBACK,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
) -> Imported:
    """Check and store a notice, link every identifier, open or join its case and apply the requested measures."""
    report = progress or _silent
    keys = check(session, body, allowed_units=allowed_units, progress=report)
    repository = NoticeRepository(session)
    total = len(keys)
    notice = Notice(
        issuing_unit=body.issuing_unit,
        document_no=body.document_no,
        case_no=body.case_no,
        received_at=body.received_at,
        deadline=body.deadline,
        requested_measures=[spec.model_dump(mode="json", exclude_defaults=True) for spec in body.requested_measures],
        state=NoticeState.open.value,
        identifier_count=total,
        found_count=0,
        created_by=actor,
        created_at=utcnow(),
    )
    repository.add(notice)
    links: Links = {}
    for start in range(0, total, batch_size):
        batch = keys[start : start + batch_size]
        links.update(_link(session, repository, batch, at=ensure_utc(body.received_at), lookback=binding_lookback))
        report(ImportStage.linking, start + len(batch), total)
    found_accounts = sorted({account for accounts in links.values() for account in accounts})
    subjects = [cases.Subject(SubjectType(kind), value, "notified", normalised=True) for kind, value in keys]
    subjects.extend(
        cases.Subject(SubjectType.account, account, "linked", normalised=True) for account in found_accounts
    )
    case = _open_or_join(session, notice, subjects, actor=actor)
    notice.case_id = case.id
    report(ImportStage.case, len(subjects), len(subjects))
    imported = Imported(notice, case)
    applied = _apply_measures(
        session,
        notice,
        body,
        found_accounts,
        case_id=case.id,
        actor=actor,
        imported=imported,
        progress=report,
        batch_size=batch_size,
    )
    found = 0
    lookback_note = phone_note(binding_lookback)
    for start in range(0, total, batch_size):
        processed_at = utcnow()
        rows: list[dict[str, Any]] = []
        for position in range(start, min(start + batch_size, total)):
            kind, value = keys[position]
            linked = links.get((kind, value), {})
            if linked:
                found += 1
            rows.append(
                {
                    "notice_id": notice.id,
                    "position": position,
                    "type": kind,
                    "value": value,
                    "outcome": (IdentifierOutcome.found if linked else IdentifierOutcome.not_found).value,
                    "accounts": [_account_item(account, linked[account], applied) for account in sorted(linked)],
                    "note": _note(kind, bool(linked), body, lookback_note),
                    "processed_at": processed_at,
                }
            )
        repository.insert_identifiers(rows)
        report(ImportStage.feedback, start + len(rows), total)
    notice.found_count = found
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="notice.import",
        object_type="notice",
        object_id=str(notice.id),
        after={
            "issuing_unit": notice.issuing_unit,
            "document_no": notice.document_no,
            "case_no": notice.case_no,
            "deadline": ensure_utc(notice.deadline).isoformat(),
            "identifiers": total,
            "found": found,
            "accounts": len(found_accounts),
            "requested_measures": [spec["kind"] for spec in notice.requested_measures],
            "case_id": case.id,
        },
    )
    return imported


def _account_item(account: str, periods: list[str], applied: dict[str, list[str]]) -> dict[str, Any]:
    item: dict[str, Any] = {"account_id": account, "measures": applied.get(account, [])}
    if periods:
        item["bind_periods"] = periods
    return item


def _period(bound_at: datetime, unbound_at: datetime | None) -> str:
    """An ISO 8601 interval; ``..`` for an open end (the binding is in force)."""
    return f"{ensure_utc(bound_at).isoformat()}/{'..' if unbound_at is None else ensure_utc(unbound_at).isoformat()}"


def _link(
    session: Session,
    repository: NoticeRepository,
    keys: Sequence[tuple[str, str]],
    *,
    at: datetime,
    lookback: timedelta,
) -> Links:
    """The accounts a batch of identifiers links to: one query per kind of link for the whole batch."""
    links: Links = {}
    for key, accounts in repository.linked_accounts(
        [(kind, value) for kind, value in keys if kind in ("phone", "device", "payment_account")]
    ).items():
        links[key] = {account: [] for account in accounts}
    account_ids = [value for kind, value in keys if kind == IdentifierType.account.value]
    for value in repository.known_accounts(account_ids):
        links[(IdentifierType.account.value, value)] = {value: []}
    phones = [value for kind, value in keys if kind == IdentifierType.phone.value]
    for phone, bound in bindings.bound_accounts(session, phones, at=at, lookback=lookback).items():
        linked = links.setdefault((IdentifierType.phone.value, phone), {})
        for account, bound_at, unbound_at in bound:
            linked.setdefault(account, []).append(_period(bound_at, unbound_at))
    return links


def _note(kind: str, found: bool, body: NoticeIn, lookback_note: str) -> str:
    if found:
        if not body.requested_measures:
            return "found; no measure requested"
        return "found; requested measures proposed (see measures)"
    if kind == IdentifierType.account.value:
        return NOT_FOUND_NOTE
    if kind == IdentifierType.phone.value:
        return lookback_note
    if kind in (IdentifierType.url.value, IdentifierType.domain.value):
        return NO_ACCOUNT_TYPES_NOTE
    return UNLINKED_NOTE


def _open_or_join(session: Session, notice: Notice, subjects: list[cases.Subject], *, actor: str) -> Case:
    open_states = {state.value for state in OPEN}
    for case_id in NoticeRepository(session).case_ids_for_case_no(notice.case_no):
        case = cases.get(session, case_id)
        if case.state in open_states and case.source_type == SourceType.police_notice.value:
            cases.add_subjects(session, case_id=case.id, subjects=subjects, actor=actor)
            return case
    return cases.open_case(
        session,
        source_type=SourceType.police_notice,
        source_ref=f"notice:{notice.id}",
        subjects=subjects,
        summary=f"police notice {notice.document_no} from {notice.issuing_unit} (case {notice.case_no})",
        priority=Priority.P1,
        legal_basis=LEGAL_BASIS,
        feedback_owed=True,
        actor=actor,
    )


def _apply_measures(
    session: Session,
    notice: Notice,
    body: NoticeIn,
    accounts: Sequence[str],
    *,
    case_id: int,
    actor: str,
    imported: Imported,
    progress: Progress,
    batch_size: int = BATCH_SIZE,
) -> dict[str, list[str]]:
    """Propose each requested measure for each account found; irreversible ones wait for approval.

    A batch of accounts goes through ``measures.propose_many`` (same outcome as one ``propose`` per
    account and measure, a fixed number of statements per batch); ``batch_size=1`` calls ``propose``.
    """
    applied: dict[str, list[str]] = {}
    if not body.requested_measures:
        return applied
    reason = f"police notice {notice.document_no} from {notice.issuing_unit} (case {notice.case_no})"
    for start in range(0, len(accounts), batch_size):
        proposals = [
            measures.Proposal(
                account_id=account,
                spec=spec,
                reason=reason,
                legal_basis=LEGAL_BASIS,
                rules=[],
                case_id=case_id,
                automated=False,
            )
            for account in accounts[start : start + batch_size]
            for spec in body.requested_measures
        ]
        if batch_size > 1:
            outcomes = measures.propose_many(session, proposals, actor=actor)
        else:
            outcomes = [
                measures.propose(
                    session,
                    account_id=proposal.account_id,
                    spec=proposal.spec,
                    reason=proposal.reason,
                    legal_basis=LEGAL_BASIS,
                    rules=[],
                    case_id=case_id,
                    automated=False,
                    actor=actor,
                )
                for proposal in proposals
            ]
        for proposal, outcome in zip(proposals, outcomes, strict=True):
            imported.list_changes.extend(outcome.list_changes)
            applied.setdefault(proposal.account_id, []).extend(
                f"{measure.kind}#{measure.id}:{measure.state}" for measure in outcome.measures
            )
        done = min(start + batch_size, len(accounts))
        if batch_size > 1 or done % 100 == 0 or done == len(accounts):
            progress(ImportStage.measures, done, len(accounts))
    return applied


def get(session: Session, notice_id: int) -> Notice:
    notice = NoticeRepository(session).get(notice_id)
    if notice is None:
        raise NotFound(f"no notice {notice_id}", zh=f"通报 {notice_id} 不存在")
    return notice


def is_overdue(notice: Notice, *, now: datetime | None = None) -> bool:
    return notice.state == NoticeState.open.value and ensure_utc(notice.deadline) < (now or utcnow())


def search(
    session: Session, *, overdue: bool, due_before: datetime | None = None, limit: int, offset: int
) -> list[Notice]:
    """Notices by deadline; ``overdue`` or ``due_before`` keep the open ones due before now or that time."""
    deadline_before = due_before
    if overdue:
        now = utcnow()
        deadline_before = now if deadline_before is None else min(now, ensure_utc(deadline_before))
    if deadline_before is not None:
        return NoticeRepository(session).search(
            state=NoticeState.open.value, deadline_before=deadline_before, limit=limit, offset=offset
        )
    return NoticeRepository(session).search(state=None, deadline_before=None, limit=limit, offset=offset)


def feedback(session: Session, notice_id: int) -> list[dict[str, Any]]:
    """The per-identifier outcome in position order (found / not found, accounts, measures, time)."""
    get(session, notice_id)
    return [
        {
            "position": row.position,
            "type": row.type,
            "value": row.value,
            "outcome": row.outcome,
            "accounts": [item["account_id"] for item in row.accounts or []],
            "measures": [f"{item['account_id']}:{m}" for item in row.accounts or [] for m in item["measures"]],
            "bind_periods": [
                f"{item['account_id']}:{period}"
                for item in row.accounts or []
                for period in item.get("bind_periods", [])
            ],
            "note": row.note,
            "processed_at": ensure_utc(row.processed_at),
        }
        for row in NoticeRepository(session).identifiers(notice_id)
    ]


FEEDBACK_COLUMNS = [
    "position",
    "type",
    "value",
    "outcome",
    "accounts",
    "measures",
    "note",
    "processed_at",
    "bind_periods",
]


def feedback_csv(rows: Sequence[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FEEDBACK_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                str(row["position"]),
                formula_safe(row["type"]),
                formula_safe(row["value"]),
                row["outcome"],
                formula_safe(";".join(row["accounts"])),
                formula_safe(";".join(row["measures"])),
                formula_safe(row["note"]),
                row["processed_at"].isoformat(),
                formula_safe(";".join(row["bind_periods"])),
            ]
        )
    return out.getvalue()


def mark_answered(session: Session, *, notice_id: int, actor: str, note: str) -> Notice:
    """The feedback went back to the issuing unit: the notice is answered and the case's feedback recorded."""
    notice = get(session, notice_id)
    if notice.state != NoticeState.open.value:
        raise Conflict(f"notice {notice_id} was already answered", zh=f"通报 {notice_id} 已反馈")
    notice.state = NoticeState.answered.value
    session.flush()
    if notice.case_id is not None:
        case = cases.get(session, notice.case_id)
        if case.feedback_sent_at is None:
            cases.record_feedback(session, case_id=case.id, actor=actor, note=note)
    audit.record(
        session,
        actor=actor,
        action="notice.answer",
        object_type="notice",
        object_id=str(notice_id),
        before={"state": NoticeState.open.value},
        after={"state": notice.state},
        reason=note,
    )
    return notice


# ---- deadlines --------------------------------------------------------------------------------------


@dataclass
class Watched:
    """What one round of the deadline watch did."""

    warned: int = 0
    overdue: int = 0


def watch_deadlines(session: Session, *, now: datetime | None = None, warning: timedelta, limit: int = 200) -> Watched:
    """Warn of open notices due within ``warning`` and mark those past their deadline; escalate their cases.

    Each notice is warned once and marked once (a conditional update, so two workers never both do
    it); the warning and the mark are written to the audit log and logged at WARNING level.
    """
    now = now or utcnow()
    repository = NoticeRepository(session)
    watched = Watched()
    for notice in repository.due_for_warning(now=now, until=now + warning, limit=limit):
        if not repository.stamp(notice.id, column="deadline_warned_at", at=now):
            continue  # another worker got it first
        watched.warned += 1
        left = ensure_utc(notice.deadline) - now
        reason = (
            f"notice {notice.document_no} from {notice.issuing_unit} is due {ensure_utc(notice.deadline).isoformat()} "
            f"({left.total_seconds() / 3600:.1f} h left) and not answered"
        )
        log.warning("police notice %d: %s", notice.id, reason)
        escalated = _escalate(session, notice, reason=reason)
        audit.record(
            session,
            actor=DEADLINE_ACTOR,
            action="notice.deadline_warning",
            object_type="notice",
            object_id=str(notice.id),
            after={"deadline": iso_or_none(notice.deadline), "case_escalated": escalated},
            reason=reason,
        )
    for notice in repository.overdue_unmarked(now=now, limit=limit):
        if not repository.stamp(notice.id, column="overdue_at", at=now):
            continue
        watched.overdue += 1
        reason = (
            f"notice {notice.document_no} from {notice.issuing_unit} passed its deadline "
            f"{ensure_utc(notice.deadline).isoformat()} without an answer"
        )
        log.warning("police notice %d: %s", notice.id, reason)
        escalated = _escalate(session, notice, reason=reason)
        audit.record(
            session,
            actor=DEADLINE_ACTOR,
            action="notice.overdue",
            object_type="notice",
            object_id=str(notice.id),
            after={"deadline": iso_or_none(notice.deadline), "case_escalated": escalated},
            reason=reason,
        )
    return watched


def _escalate(session: Session, notice: Notice, *, reason: str) -> bool:
    """Move the notice's case to ``escalated`` (senior reviewers watch it), if it still waits for review."""
    if notice.case_id is None:
        return False
    case = cases.get(session, notice.case_id)
    if case.state not in {state.value for state in OPEN} or case.state == CaseState.escalated.value:
        return False
    try:
        cases.transition(session, case_id=case.id, to=CaseState.escalated, actor=DEADLINE_ACTOR, reason=reason)
    except Conflict:
        return False  # moved by someone in the meantime
    return True
