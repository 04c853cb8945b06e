"""Police and authority notices: check, store, link identifiers to accounts, open or join a case,
apply the requested measures and keep the per-identifier feedback the issuing unit is owed.

A notice is checked whole before anything is written (required fields, identifier formats, the
allow-list of issuing units, an earlier notice with the same document number); any failure stores
nothing. Account ids are found in the ``accounts`` table; devices, phones and payment accounts are
linked to the acting accounts of the cases that named them as that account's own. The accounts
table keeps no phone binding, so a phone no case has linked comes back "not found".
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from fanzha.audit import service as audit
from fanzha.cases import service as cases
from fanzha.cases.models import Case
from fanzha.cases.states import OPEN, Priority, SourceType, SubjectType
from fanzha.kit.clock import ensure_utc, utcnow
from fanzha.kit.errors import Conflict, InvalidInput, NotFound
from fanzha.lists.kinds import InvalidListValue, ListKind, normalize_value
from fanzha.lists.service import EntryChange
from fanzha.measures import service as measures
from fanzha.notices.models import Notice, NoticeIdentifier
from fanzha.notices.repository import NoticeRepository
from fanzha.notices.schemas import IdentifierOutcome, IdentifierType, NoticeIn, NoticeState

LEGAL_BASIS = ["ATOFL art. 22", "ATOFL art. 26"]
PROGRESS_STEP = 500

NOT_FOUND_NOTE = "no account with this id"
UNLINKED_NOTE = (
    "no linked account: fanzha keeps no binding of this identifier to accounts beyond the cases that named it "
    "as an account's own"
)
PHONE_NOTE = (
    "no linked account: the accounts table keeps no phone binding, so only cases that named this phone "
    "as an account's own link it"
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


@dataclass
class Imported:
    """What importing a notice did: the notice, its case and the list entries its measures changed."""

    notice: Notice
    case: Case
    list_changes: list[EntryChange] = field(default_factory=list)


def _normalised(body: NoticeIn) -> list[tuple[str, str]]:
    errors: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    keys: list[tuple[str, str]] = []
    for index, item in enumerate(body.identifiers):
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
        raise InvalidInput(f"{len(errors)} identifier(s) are not valid; nothing was imported", details=errors)
    return keys


def check(session: Session, body: NoticeIn, *, allowed_units: Sequence[str]) -> list[tuple[str, str]]:
    """The completeness and authenticity checks; returns the normalised identifiers in order."""
    if allowed_units and body.issuing_unit not in allowed_units:
        raise InvalidInput(
            f"issuing unit {body.issuing_unit!r} is not on the allow-list of issuing units; nothing was imported",
            details=[{"field": "issuing_unit", "value": body.issuing_unit}],
        )
    keys = _normalised(body)
    existing = NoticeRepository(session).by_document(body.issuing_unit, body.document_no)
    if existing is not None:
        raise Conflict(
            f"notice {body.document_no!r} from {body.issuing_unit!r} was already imported as notice {existing.id}"
        )
    return keys


def import_notice(
    session: Session,
    *,
    body: NoticeIn,
    actor: str,
    allowed_units: Sequence[str],
    progress: Callable[[int], None] | None = None,
) -> Imported:
    """Check and store a notice, link every identifier, open or join its case and apply the requested measures."""
    keys = check(session, body, allowed_units=allowed_units)
    repository = NoticeRepository(session)
    now = utcnow()
    notice = Notice(
        issuing_unit=body.issuing_unit,
        document_no=body.document_no,
        case_no=body.case_no,
        received_at=body.received_at,
        deadline=body.deadline,
        requested_measures=[spec.model_dump(mode="json", exclude_defaults=True) for spec in body.requested_measures],
        state=NoticeState.open.value,
        identifier_count=len(keys),
        found_count=0,
        created_by=actor,
        created_at=now,
    )
    repository.add(notice)
    accounts_by_key = _link(repository, keys)
    found_accounts = sorted({account for accounts in accounts_by_key.values() for account in accounts})
    subjects = [cases.Subject(SubjectType(kind), value, "notified") for kind, value in keys]
    subjects.extend(cases.Subject(SubjectType.account, account, "linked") for account in found_accounts)
    case = _open_or_join(session, notice, subjects, actor=actor)
    notice.case_id = case.id
    imported = Imported(notice, case)
    applied = _apply_measures(session, notice, body, found_accounts, case_id=case.id, actor=actor, imported=imported)
    rows: list[NoticeIdentifier] = []
    found = 0
    for position, (kind, value) in enumerate(keys):
        accounts = sorted(accounts_by_key.get((kind, value), set()))
        if accounts:
            found += 1
        rows.append(
            NoticeIdentifier(
                notice_id=notice.id,
                position=position,
                type=kind,
                value=value,
                outcome=(IdentifierOutcome.found if accounts else IdentifierOutcome.not_found).value,
                accounts=[{"account_id": account, "measures": applied.get(account, [])} for account in accounts],
                note=_note(kind, accounts, body),
                processed_at=utcnow(),
            )
        )
        if progress is not None and (position + 1) % PROGRESS_STEP == 0:
            progress(PROGRESS_STEP)
    repository.add_identifiers(rows)
    if progress is not None and len(keys) % PROGRESS_STEP:
        progress(len(keys) % PROGRESS_STEP)
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
            "identifiers": len(keys),
            "found": found,
            "accounts": len(found_accounts),
            "requested_measures": [spec["kind"] for spec in notice.requested_measures],
            "case_id": case.id,
        },
    )
    return imported


def _link(repository: NoticeRepository, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    account_ids = [value for kind, value in keys if kind == IdentifierType.account.value]
    known = repository.known_accounts(account_ids)
    linked = repository.linked_accounts(
        [(kind, value) for kind, value in keys if kind in ("phone", "device", "payment_account")]
    )
    for value in known:
        linked[(IdentifierType.account.value, value)] = {value}
    return linked


def _note(kind: str, accounts: list[str], body: NoticeIn) -> str:
    if accounts:
        if not body.requested_measures:
            return "found; no measure requested"
        return "found; requested measures proposed (see measures)"
    if kind == IdentifierType.account.value:
        return NOT_FOUND_NOTE
    if kind == IdentifierType.phone.value:
        return PHONE_NOTE
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
) -> dict[str, list[str]]:
    """Propose each requested measure for each account found; irreversible ones wait for approval."""
    applied: dict[str, list[str]] = {}
    reason = f"police notice {notice.document_no} from {notice.issuing_unit} (case {notice.case_no})"
    for account in accounts:
        for spec in body.requested_measures:
            outcome = measures.propose(
                session,
                account_id=account,
                spec=spec,
                reason=reason,
                legal_basis=LEGAL_BASIS,
                rules=[],
                case_id=case_id,
                automated=False,
                actor=actor,
            )
            imported.list_changes.extend(outcome.list_changes)
            applied.setdefault(account, []).extend(
                f"{measure.kind}#{measure.id}:{measure.state}" for measure in outcome.measures
            )
    return applied


def get(session: Session, notice_id: int) -> Notice:
    notice = NoticeRepository(session).get(notice_id)
    if notice is None:
        raise NotFound(f"no notice {notice_id}")
    return notice


def is_overdue(notice: Notice, *, now: datetime | None = None) -> bool:
    return notice.state == NoticeState.open.value and ensure_utc(notice.deadline) < (now or utcnow())


def search(session: Session, *, overdue: bool, limit: int, offset: int) -> list[Notice]:
    if overdue:
        return NoticeRepository(session).search(
            state=NoticeState.open.value, deadline_before=utcnow(), limit=limit, offset=offset
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
            "note": row.note,
            "processed_at": ensure_utc(row.processed_at),
        }
        for row in NoticeRepository(session).identifiers(notice_id)
    ]


FEEDBACK_COLUMNS = ["position", "type", "value", "outcome", "accounts", "measures", "note", "processed_at"]
_PLAIN_NUMBER = re.compile(r"^[+-]?[0-9][0-9 ]*$")


def csv_safe(text: str) -> str:
    """Quote a cell a spreadsheet would run as a formula; an E.164 phone number is a number, not a formula."""
    if text and text[0] in "=+-@\t\r" and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def feedback_csv(rows: Sequence[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FEEDBACK_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                str(row["position"]),
                csv_safe(row["type"]),
                csv_safe(row["value"]),
                row["outcome"],
                csv_safe(";".join(row["accounts"])),
                csv_safe(";".join(row["measures"])),
                csv_safe(row["note"]),
                row["processed_at"].isoformat(),
            ]
        )
    return out.getvalue()


def mark_answered(session: Session, *, notice_id: int, actor: str, note: str) -> Notice:
    """The feedback went back to the issuing unit: the notice is answered and the case's feedback recorded."""
    notice = get(session, notice_id)
    if notice.state != NoticeState.open.value:
        raise Conflict(f"notice {notice_id} was already answered")
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
