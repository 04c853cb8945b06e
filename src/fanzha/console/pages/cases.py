"""The case page and the subject page: everything a reviewer needs to decide, and the actions their role
allows (claim, move, decide with a measure from the ladder, add evidence and notes, approve as the second
pair of eyes, reveal personal data). Every action calls the same service function as the API."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from fanzha.appeals import service as appeals_service
from fanzha.auth.masking import mask_digit_runs
from fanzha.auth.roles import Permission
from fanzha.cases import service as cases_service
from fanzha.cases.schemas import CaseDecision, EvidenceIn
from fanzha.cases.states import MANUAL, OPEN, CaseState, SubjectType
from fanzha.console import casework
from fanzha.console.i18n import Locale
from fanzha.console.pages.referrals import answer_days, sender_of
from fanzha.console.web import Console, ConsoleAction, ConsolePage
from fanzha.kit.clock import ensure_utc, utcnow
from fanzha.kit.errors import Conflict, InvalidInput, NotFound
from fanzha.kit.web import runtime_of, unit_of_work
from fanzha.measures import service as measures_service
from fanzha.measures.runtime import apply_list_changes
from fanzha.measures.vocabulary import ITEM_KINDS, MeasureKind, known_functions
from fanzha.referrals import service as referrals_service
from fanzha.referrals.schemas import Destination, ReferralIn, RiskDegree

router = APIRouter()

MEASURE_KINDS = ["ladder", *[kind.value for kind in MeasureKind]]
DEFAULT_KIND = MeasureKind.restrict.value
EVIDENCE_TYPES = ["screenshot", "chat_log", "transaction_record", "call_record", "document", "other"]
DONE = frozenset(
    {"claimed", "released", "moved", "decided", "evidence", "note", "approved", "rejected", "pending_approval"}
)
"""Confirmations a redirect may ask the case page to show (anything else in ``?done=`` is ignored)."""

Reason = Annotated[str, Form(max_length=2000)]
REFERRALS_SHOWN = 20
"""The case's latest referrals listed on its page."""


# ---- reading ------------------------------------------------------------------------------------------


def _fields_for(kind: str) -> set[str]:
    """The measure fields the decision form shows for a kind of measure."""
    if kind == MeasureKind.restrict.value:
        return {"functions", "duration_hours"}
    if kind == MeasureKind.suspend.value:
        return {"duration_hours"}
    if kind == MeasureKind.rectify.value:
        return {"deadline_hours"}
    if kind == MeasureKind.ban_reregistration.value:
        return {"keys", "duration_hours"}
    if kind in {item.value for item in ITEM_KINDS}:
        return {"item_id"}
    return set()


def _measure_fields(session: Session, case_id: int, kind: str, *, form: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": kind,
        "fields": _fields_for(kind),
        "functions": sorted(known_functions()),
        "ban_candidates": casework.ban_candidates(session, case_id, reveal=False),
        "form": form,
    }


def _case_values(
    console: Console, session: Session, case_id: int, *, reveal: bool, form: dict[str, Any] | None = None
) -> dict[str, Any]:
    case = cases_service.get(session, case_id)
    now = utcnow()
    detail = cases_service.detail(session, case, reveal=reveal)
    if not reveal:
        # Descriptions are free text (a reporter's, a reviewer's): numbers in them are masked too.
        detail["evidence"] = [
            {**item, "description": mask_digit_runs(item.get("description") or "")} for item in detail["evidence"]
        ]
    decisions_visible = console.can(Permission.decisions_read)
    accounts = casework.accounts_of(session, case)
    history = {case.id: case}
    for account in accounts:
        for other in cases_service.with_subject(session, kind=SubjectType.account, value=account, limit=10):
            history.setdefault(other.id, other)
    claim_live = case.claim_expires_at is not None and ensure_utc(case.claim_expires_at) > now
    holder = case.claimed_by if claim_live else None
    moves = sorted(MANUAL.get(CaseState(case.state), frozenset()))
    measures = detail["measures"]
    measure_ids = {measure["id"] for measure in measures}
    appeals = {
        appeal.measure_id: appeal
        for account in accounts
        for appeal in appeals_service.search(session, state=None, account_id=account, limit=100, offset=0)
        if appeal.measure_id in measure_ids
    }
    form = form or {}
    days = answer_days(console.request)
    referrals = [
        referrals_service.to_dict(session, referral, answer_days=days, now=now)
        for referral in referrals_service.search(session, case_id=case.id, state=None, limit=REFERRALS_SHOWN, offset=0)
    ]
    return {
        "case": case,
        "detail": detail,
        "reveal": reveal,
        "subjects": casework.subject_rows(session, case.id, reveal=reveal),
        "clock": casework.sla_clock(case.sla_due_at, now=now),
        "holder": holder,
        "held_by_me": holder == console.actor,
        "is_open": case.state in OPEN,
        "moves": moves,
        "close_problems": [
            chinese if console.locale is Locale.zh else english
            for english, chinese in (cases_service.close_problems(session, case) if CaseState.closed in moves else [])
        ],
        "measures": measures,
        "pending": [measure for measure in measures if measure["state"] == "pending_approval"],
        "appeals": appeals,
        "accounts": accounts,
        "restrictions": casework.restrictions(session, accounts),
        "strikes": [measures_service.strikes(session, account) for account in accounts],
        "screening": casework.screening_views(session, case.id, reveal=reveal) if decisions_visible else [],
        "graph": casework.link_graph(session, case, reveal=reveal, decisions_visible=decisions_visible),
        "timeline": casework.timeline(
            session, accounts=accounts, cases=list(history.values()), decisions_visible=decisions_visible
        ),
        "cluster": cases_service.cluster_of(session, case.id) if case.cluster_id is not None else [],
        "can_write": console.can(Permission.cases_write),
        "can_approve": console.can(Permission.measures_approve),
        "can_reveal": console.can(Permission.personal_data_reveal),
        "referrals": referrals,
        "destinations": [item.value for item in Destination],
        "risk_degrees": [item.value for item in RiskDegree],
        "measure_kinds": MEASURE_KINDS,
        "evidence_types": EVIDENCE_TYPES,
        "measure_form": _measure_fields(session, case.id, str(form.get("kind") or DEFAULT_KIND), form=form),
        "form": form,
        "errors": form.get("errors", {}),
        "now": now,
    }


def _render_case(
    console: Console,
    request: Request,
    case_id: int,
    *,
    reveal: bool = False,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
    done: str = "",
) -> HTMLResponse:
    with unit_of_work(request) as session:
        values = _case_values(console, session, case_id, reveal=reveal, form=form)
        return console.render("cases/page.html", status_code=status_code, done=done if done in DONE else "", **values)


@router.get("/cases/{case_id}", include_in_schema=False)
def case_page(
    case_id: int, console: ConsolePage, request: Request, done: Annotated[str, Query(max_length=30)] = ""
) -> HTMLResponse:
    console.require(Permission.cases_read)
    return _render_case(console, request, case_id, done=done)


@router.get("/cases/{case_id}/measure-fields", include_in_schema=False)
def measure_fields(
    case_id: int,
    console: ConsolePage,
    request: Request,
    kind: Annotated[str, Query(max_length=40)] = DEFAULT_KIND,
) -> HTMLResponse:
    """The fields a kind of measure needs (htmx swaps them in when the reviewer picks another kind)."""
    console.require(Permission.cases_read)
    if kind not in MEASURE_KINDS:
        kind = DEFAULT_KIND
    with unit_of_work(request) as session:
        cases_service.get(session, case_id)
        return console.render(
            "cases/_measure_fields.html", case_id=case_id, mf=_measure_fields(session, case_id, kind, form={})
        )


@router.post("/cases/{case_id}/reveal", include_in_schema=False)
def reveal(case_id: int, request: Request, console: ConsoleAction, reason: Reason = "") -> HTMLResponse:
    """Show the case with personal data unmasked, once: the reveal is recorded in the audit log first."""
    console.require(Permission.cases_read)
    console.require(Permission.personal_data_reveal)
    with unit_of_work(request) as session:
        cases_service.get(session, case_id)
        cases_service.record_reveal(
            session, actor=console.actor, object_type="case", object_id=str(case_id), reason=reason.strip() or None
        )
    return _render_case(console, request, case_id, reveal=True)


# ---- claims and moves ---------------------------------------------------------------------------------


@router.post("/cases/{case_id}/claim", include_in_schema=False)
def claim(case_id: int, request: Request, console: ConsoleAction) -> Response:
    console.require(Permission.cases_write)
    with unit_of_work(request) as session:
        cases_service.claim(session, case_id=case_id, actor=console.actor)
    return console.redirect(f"/console/cases/{case_id}?done=claimed")


@router.post("/cases/{case_id}/release", include_in_schema=False)
def release(case_id: int, request: Request, console: ConsoleAction) -> Response:
    console.require(Permission.cases_write)
    with unit_of_work(request) as session:
        cases_service.release(session, case_id=case_id, actor=console.actor)
    return console.redirect(f"/console/cases/{case_id}?done=released")


@router.post("/cases/{case_id}/transition", include_in_schema=False)
def transition(
    case_id: int,
    request: Request,
    console: ConsoleAction,
    to: Annotated[str, Form(max_length=30)],
    reason: Reason = "",
) -> Response:
    console.require(Permission.cases_write)
    try:
        target = CaseState(to)
    except ValueError:
        raise InvalidInput(f"unknown case state {to!r}", zh=f"未知的案件状态 {to!r}") from None
    if len(reason.strip()) < 3:
        return _refuse(console, request, case_id, "transition", console.t("cases.reason_required"), {"to": to})
    try:
        with unit_of_work(request) as session:
            cases_service.transition(session, case_id=case_id, to=target, actor=console.actor, reason=reason.strip())
    except (Conflict, InvalidInput) as error:
        typed = {"to": to, "reason": reason}
        return _refuse(
            console, request, case_id, "transition", console.error_text(error), typed, status_code=error.status_code
        )
    return console.redirect(f"/console/cases/{case_id}?done=moved")


def _refuse(
    console: Console,
    request: Request,
    case_id: int,
    form_name: str,
    message: str,
    form: dict[str, Any],
    *,
    status_code: int = 422,
) -> HTMLResponse:
    """The case page again, with the refused form's message beside it and what was typed kept."""
    form = {**form, "errors": {form_name: message}}
    return _render_case(console, request, case_id, form=form, status_code=status_code)


# ---- the decision -------------------------------------------------------------------------------------


def _hours(value: str, field: str, problems: list[str], console: Console) -> float | None:
    if not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        problems.append(console.t("cases.decide.bad_number", field=console.t(f"cases.decide.{field}")))
        return None


def _validation_messages(error: ValidationError) -> list[str]:
    messages = []
    for item in error.errors(include_url=False, include_input=False):
        message = str(item["msg"]).removeprefix("Value error, ")
        where = ".".join(str(part) for part in item["loc"] if part not in ("measures", 0))
        messages.append(f"{where}: {message}" if where and item["type"] != "value_error" else message)
    return messages


@router.post("/cases/{case_id}/decision", include_in_schema=False)
def decide(
    case_id: int,
    request: Request,
    console: ConsoleAction,
    outcome: Annotated[str, Form(max_length=20)] = "action",
    reason: Reason = "",
    kind: Annotated[str, Form(max_length=40)] = DEFAULT_KIND,
    functions: Annotated[list[str] | None, Form()] = None,
    duration_hours: Annotated[str, Form(max_length=20)] = "",
    deadline_hours: Annotated[str, Form(max_length=20)] = "",
    item_id: Annotated[str, Form(max_length=256)] = "",
    ban_subjects: Annotated[list[int] | None, Form()] = None,
    fraud_type: Annotated[str, Form(max_length=50)] = "",
    cluster: Annotated[bool, Form()] = False,
) -> Response:
    """Decide the case the reviewer holds: a measure from the ladder (or none), always with a reason."""
    console.require(Permission.cases_write)
    typed: dict[str, Any] = {
        "outcome": outcome,
        "reason": reason,
        "kind": kind if kind in MEASURE_KINDS else DEFAULT_KIND,
        "functions": functions or [],
        "duration_hours": duration_hours,
        "deadline_hours": deadline_hours,
        "item_id": item_id,
        "ban_subjects": ban_subjects or [],
        "fraud_type": fraud_type,
        "cluster": cluster,
    }
    if len(reason.strip()) < 3:
        return _refuse(console, request, case_id, "decide", console.t("cases.reason_required"), typed)
    problems: list[str] = []
    fields = _fields_for(typed["kind"])
    spec: dict[str, Any] = {"kind": typed["kind"]}
    if "functions" in fields:
        spec["functions"] = typed["functions"]
    if "duration_hours" in fields:
        spec["duration_hours"] = _hours(duration_hours, "duration_hours", problems, console)
    if "deadline_hours" in fields:
        spec["deadline_hours"] = _hours(deadline_hours, "deadline_hours", problems, console)
    if "item_id" in fields:
        spec["item_id"] = item_id.strip() or None
    if problems:
        return _refuse(console, request, case_id, "decide", "; ".join(problems), typed)
    try:
        with unit_of_work(request) as session:
            if "keys" in fields:
                spec["keys"] = casework.ban_keys(session, case_id, typed["ban_subjects"])
            decision = CaseDecision.model_validate(
                {
                    "outcome": "no_action" if outcome == "no_action" else "action",
                    "reason": reason,
                    "fraud_type": fraud_type.strip() or None,
                    "measures": [spec] if outcome != "no_action" else [],
                    "cluster": cluster,
                }
            )
            result = cases_service.decide(session, case_id=case_id, actor=console.actor, decision=decision)
            waiting = any(measure.state == "pending_approval" for measure in result.measures)
    except ValidationError as error:
        return _refuse(console, request, case_id, "decide", "; ".join(_validation_messages(error)), typed)
    except (Conflict, InvalidInput) as error:
        return _refuse(
            console, request, case_id, "decide", console.error_text(error), typed, status_code=error.status_code
        )
    apply_list_changes(runtime_of(request).lists, result.list_changes)
    return console.redirect(f"/console/cases/{case_id}?done={'pending_approval' if waiting else 'decided'}")


# ---- evidence and notes -------------------------------------------------------------------------------


@router.post("/cases/{case_id}/evidence", include_in_schema=False)
def add_evidence(
    case_id: int,
    request: Request,
    console: ConsoleAction,
    hash: Annotated[str, Form(max_length=200)] = "",
    type: Annotated[str, Form(max_length=50)] = "",
    uri: Annotated[str, Form(max_length=2048)] = "",
    description: Annotated[str, Form(max_length=2000)] = "",
    captured_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    console.require(Permission.cases_write)
    typed = {"hash": hash, "type": type, "uri": uri, "description": description, "captured_at": captured_at}
    try:
        moment = ensure_utc(datetime.fromisoformat(captured_at)) if captured_at.strip() else utcnow()
        item = EvidenceIn.model_validate(
            {"hash": hash.strip(), "type": type, "uri": uri.strip(), "description": description, "captured_at": moment}
        )
    except ValidationError as error:
        return _refuse(console, request, case_id, "evidence", "; ".join(_validation_messages(error)), typed)
    except ValueError:
        return _refuse(console, request, case_id, "evidence", console.t("cases.evidence.bad_time"), typed)
    try:
        with unit_of_work(request) as session:
            cases_service.add_evidence(session, case_id=case_id, evidence=[item.model_dump()], actor=console.actor)
    except Conflict as error:
        return _refuse(console, request, case_id, "evidence", console.error_text(error), typed, status_code=409)
    return console.redirect(f"/console/cases/{case_id}?done=evidence")


@router.post("/cases/{case_id}/note", include_in_schema=False)
def add_note(
    case_id: int, request: Request, console: ConsoleAction, note: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    """A reviewer's note, kept as evidence of type ``note`` (its hash is the hash of its text)."""
    console.require(Permission.cases_write)
    text = note.strip()
    if len(text) < 3:
        return _refuse(console, request, case_id, "note", console.t("cases.note.required"), {"note": note})
    item = {
        "hash": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "type": "note",
        "uri": "",
        "description": text,
        "captured_at": utcnow(),
    }
    try:
        with unit_of_work(request) as session:
            cases_service.add_evidence(session, case_id=case_id, evidence=[item], actor=console.actor)
    except Conflict as error:
        return _refuse(console, request, case_id, "note", console.error_text(error), {"note": note}, status_code=409)
    return console.redirect(f"/console/cases/{case_id}?done=note")


# ---- clue referral -------------------------------------------------------------------------------------


@router.post("/cases/{case_id}/referrals", include_in_schema=False)
def refer(
    case_id: int,
    request: Request,
    console: ConsoleAction,
    recipient_unit: Annotated[str, Form(max_length=300)] = "",
    recipient_type: Annotated[str, Form(max_length=20)] = Destination.police.value,
    risk_degree: Annotated[str, Form(max_length=10)] = RiskDegree.high.value,
    summary: Annotated[str, Form(max_length=5000)] = "",
    reason: Reason = "",
    cluster: Annotated[bool, Form()] = False,
) -> Response:
    """Refer the case's clues to the police (``referrals.service.refer``, as ``POST /v1/cases/{id}/referrals``):
    the package is frozen and waits for a second person's approval on the referral page."""
    console.require(Permission.cases_write)
    typed = {
        "recipient_unit": recipient_unit,
        "recipient_type": recipient_type,
        "risk_degree": risk_degree,
        "summary": summary,
        "reason": reason,
        "cluster": cluster,
    }
    if len(reason.strip()) < 3:
        return _refuse(console, request, case_id, "refer", console.t("referrals.reason_required"), {"refer": typed})
    try:
        body = ReferralIn.model_validate(
            {
                "recipient_unit": recipient_unit,
                "recipient_type": recipient_type,
                "risk_degree": risk_degree,
                "summary": summary.strip(),
                "reason": reason,
                "cluster": cluster,
            }
        )
    except ValidationError as error:
        message = "; ".join(_validation_messages(error))
        return _refuse(console, request, case_id, "refer", message, {"refer": typed})
    try:
        with unit_of_work(request) as session:
            referral = referrals_service.refer(
                session, case_ids=[case_id], body=body, sender=sender_of(request), actor=console.actor
            )
            referral_id = referral.id
    except Conflict as error:
        return _refuse(console, request, case_id, "refer", console.error_text(error), {"refer": typed}, status_code=409)
    return console.redirect(f"/console/referrals/{referral_id}?done=referred")


# ---- four eyes ----------------------------------------------------------------------------------------


def _back(back: str, measure_case: int | None, done: str) -> str:
    if back.startswith("/console/") and "//" not in back:
        target = back
    elif measure_case is not None:
        target = f"/console/cases/{measure_case}"
    else:
        target = "/console/queue"
    separator = "&" if "?" in target else "?"
    return f"{target}{separator}done={done}"


@router.post("/measures/{measure_id}/approve", include_in_schema=False)
def approve(
    measure_id: int,
    request: Request,
    console: ConsoleAction,
    reason: Reason = "",
    back: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """The second pair of eyes makes an irreversible measure (close, ban re-registration) take effect."""
    console.require(Permission.measures_approve)
    reason = console.required_reason(reason)
    with unit_of_work(request) as session:
        outcome = cases_service.approve_measure(session, measure_id=measure_id, actor=console.actor, reason=reason)
        case_id = outcome.measures[0].case_id
    apply_list_changes(runtime_of(request).lists, outcome.list_changes)
    return console.redirect(_back(back, case_id, "approved"))


@router.post("/measures/{measure_id}/reject", include_in_schema=False)
def reject(
    measure_id: int,
    request: Request,
    console: ConsoleAction,
    reason: Reason = "",
    back: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    console.require(Permission.measures_approve)
    reason = console.required_reason(reason)
    with unit_of_work(request) as session:
        measure = cases_service.reject_measure(session, measure_id=measure_id, actor=console.actor, reason=reason)
        case_id = measure.case_id
    return console.redirect(_back(back, case_id, "rejected"))


# ---- a subject's own page -----------------------------------------------------------------------------


@router.get("/subjects/{kind}/{value:path}", include_in_schema=False)
def subject_page(
    kind: Annotated[str, Path(max_length=30)],
    value: Annotated[str, Path(min_length=1, max_length=2048)],
    console: ConsolePage,
    request: Request,
) -> HTMLResponse:
    """An account, device, phone ...: its restrictions now, and its history across cases, decisions and measures."""
    console.require(Permission.cases_read)
    try:
        subject_type = SubjectType(kind)
    except ValueError:
        raise NotFound(f"no subject type {kind!r}", zh=f"没有对象类型 {kind!r}") from None
    value = cases_service.normalise_subject(subject_type, value)
    is_account = subject_type is SubjectType.account
    with unit_of_work(request) as session:
        cases = cases_service.with_subject(session, kind=subject_type, value=value, limit=50)
        accounts = [value] if is_account else []
        now = utcnow()
        return console.render(
            "cases/subject.html",
            kind=subject_type.value,
            shown=casework.shown(subject_type.value, value, reveal=False),
            is_account=is_account,
            cases=cases,
            clocks={case.id: casework.sla_clock(case.sla_due_at, now=now) for case in cases},
            restrictions=casework.restrictions(session, accounts),
            strikes=[measures_service.strikes(session, account) for account in accounts],
            measures=[measures_service.to_dict(m, reveal=False) for m in measures_service.for_account(session, value)]
            if is_account
            else [],
            timeline=casework.timeline(
                session,
                accounts=accounts,
                cases=cases[:10],
                decisions_visible=console.can(Permission.decisions_read),
            ),
        )
