"""Clue referrals to the police and authorities: the list with filters (state, the authority's answer, past
the answer date), the referral page with its cases, the four-eyes decision, the authority's answers and the
package downloads.

Every action calls the same service function as ``/v1/referrals``: ``decide`` (the service refuses the
requester's own approval), ``record_feedback`` and ``package_view``, which audits every read of the
package and refuses the unmasked one until a second person approved the referral. Referring a case is on
the case page (:mod:`fanzha.console.pages.cases`). The page shows the package's subjects masked unless the
user asks to reveal them; that reveal goes through ``package_view`` too, so it is recorded first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from fanzha.auth.masking import mask_digit_runs
from fanzha.auth.roles import Permission
from fanzha.console.web import Console, ConsoleAction, ConsolePage
from fanzha.intel.indicators import SharingIdentity
from fanzha.kit.clock import ensure_utc, utcnow
from fanzha.kit.errors import Conflict, Forbidden, InvalidInput
from fanzha.kit.web import runtime_of, unit_of_work
from fanzha.referrals import package as packages
from fanzha.referrals import render
from fanzha.referrals import service as referrals_service
from fanzha.referrals.schemas import FeedbackIn, FeedbackStatus, PackageFormat, ReferralState

router = APIRouter()

PAGE_SIZE = 50
NO_ANSWER = "none"
"""The feedback filter for referrals that went and have no answer yet (the service's ``referred`` state)."""
FEEDBACK_FILTERS = (NO_ANSWER, *(item.value for item in FeedbackStatus))
SENT = frozenset({ReferralState.referred, ReferralState.received, ReferralState.case_filed, ReferralState.declined})
"""States in which the package has been approved to go (the unmasked package may be read)."""
DONE = frozenset({"referred", "approved", "rejected", "feedback"})
"""Confirmations a redirect may ask the referral page to show (anything else in ``?done=`` is ignored)."""
Text = Annotated[str, Query(max_length=200)]


def sender_of(request: Request) -> SharingIdentity:
    """Who refers: this instance's sharing identity, as ``/v1/referrals`` names it."""
    settings = runtime_of(request).settings
    return SharingIdentity.of(settings.sharing_identity_name, settings.sharing_identity_id)


def answer_days(request: Request) -> float:
    return runtime_of(request).settings.referral_answer_days


def _flag(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "on", "yes")


def resolve_state(state: str, feedback: str) -> tuple[ReferralState | None, bool]:
    """The service's state filter for the page's state and feedback filters, and whether they contradict.

    The authority's answer is part of a referral's state (``referred``: sent without an answer yet), so a
    feedback filter is that state; asked together with another state, nothing can match."""
    chosen = ReferralState(state) if state in {item.value for item in ReferralState} else None
    if feedback not in FEEDBACK_FILTERS:
        return chosen, False
    answered = ReferralState.referred if feedback == NO_ANSWER else ReferralState(feedback)
    if chosen is not None and chosen is not answered:
        return None, True
    return answered, False


# ---- the list ----------------------------------------------------------------------------------------


@router.get("/referrals", include_in_schema=False)
def referrals_page(
    request: Request,
    console: ConsolePage,
    state: Text = "",
    feedback: Text = "",
    overdue: Annotated[str, Query(max_length=10)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    console.require(Permission.cases_read)
    now = utcnow()
    days = answer_days(request)
    state = state if state in {item.value for item in ReferralState} else ""
    feedback = feedback if feedback in FEEDBACK_FILTERS else ""
    only_overdue = _flag(overdue)
    query = {
        key: value
        for key, value in {"state": state, "feedback": feedback, "overdue": "true" if only_overdue else ""}.items()
        if value
    }
    chosen, contradictory = resolve_state(state, feedback)
    rows: list[dict[str, Any]] = []
    more = False
    if not contradictory:
        with unit_of_work(request) as session:
            found = referrals_service.search(
                session,
                case_id=None,
                state=chosen,
                limit=PAGE_SIZE + 1,
                offset=(page - 1) * PAGE_SIZE,
                overdue=only_overdue,
                answer_days=days,
                now=now,
            )
            more = len(found) > PAGE_SIZE
            rows = [referrals_service.to_dict(session, item, answer_days=days, now=now) for item in found[:PAGE_SIZE]]
    return console.render(
        "referrals/index.html",
        referrals=rows,
        state=state,
        feedback=feedback,
        overdue=only_overdue,
        filtered=bool(query),
        states=[item.value for item in ReferralState],
        feedbacks=FEEDBACK_FILTERS,
        page=page,
        previous_url=f"/console/referrals?{urlencode({**query, 'page': page - 1})}" if page > 1 else None,
        next_url=f"/console/referrals?{urlencode({**query, 'page': page + 1})}" if more else None,
    )


# ---- one referral ------------------------------------------------------------------------------------


def _clues(package: dict[str, Any]) -> list[dict[str, Any]]:
    """The package's subjects, each with the lists its value is on (from the package's indicators)."""
    lists = {(item["type"], item["value"]): item.get("lists", []) for item in package.get("indicators", [])}
    return [
        {
            "type": item.get("type", ""),
            "value": item.get("value", ""),
            "role": item.get("role", ""),
            "cases": item.get("cases", []),
            "lists": lists.get((item.get("type"), item.get("value")), []),
        }
        for item in package.get("subjects", [])
    ]


def _masked_text(text: str | None, reveal: bool) -> str:
    return (text or "") if reveal else mask_digit_runs(text or "")


def _render_referral(
    console: Console,
    request: Request,
    referral_id: int,
    *,
    revealed: dict[str, Any] | None = None,
    done: str = "",
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The referral page; ``revealed`` is the unmasked package ``package_view`` returned (already audited)."""
    now = utcnow()
    reveal = revealed is not None
    with unit_of_work(request) as session:
        referral = referrals_service.get(session, referral_id)
        shown = referrals_service.to_dict(session, referral, answer_days=answer_days(request), now=now)
        stored: dict[str, Any] = orjson.loads(referral.package_json or "{}")
        sha = referral.package_sha256
    package = revealed if revealed is not None else packages.masked(stored, sha=sha)
    state: ReferralState = shown["state"]
    for key in ("summary", "reason", "decision_reason"):
        shown[key] = _masked_text(shown[key], reveal)
    feedback = [{**item, "text": _masked_text(item["text"], reveal)} for item in shown["feedback"]]
    cases = {item["id"]: item for item in package.get("cases", [])}
    return console.render(
        "referrals/page.html",
        status_code=status_code,
        referral=shown,
        state=state.value,
        cases=[{"id": case_id, "summary": cases.get(case_id, {}).get("summary", "")} for case_id in shown["case_ids"]],
        clues=_clues(package),
        feedback=feedback,
        revealed=reveal,
        sent=state in SENT,
        pending=state is ReferralState.pending_approval,
        awaiting=state in referrals_service.AWAITING_ANSWER,
        own=shown["referred_by"] == console.actor,
        can_approve=console.can(Permission.measures_approve),
        can_write=console.can(Permission.cases_write),
        can_reveal=console.can(Permission.personal_data_reveal),
        formats=[item.value for item in PackageFormat],
        feedback_statuses=[item.value for item in FeedbackStatus],
        done=done if done in DONE else "",
        errors=errors or {},
        form=form or {},
    )


@router.get("/referrals/{referral_id}", include_in_schema=False)
def referral_page(
    referral_id: int, request: Request, console: ConsolePage, done: Annotated[str, Query(max_length=30)] = ""
) -> HTMLResponse:
    console.require(Permission.cases_read)
    return _render_referral(console, request, referral_id, done=done)


@router.post("/referrals/{referral_id}/reveal", include_in_schema=False)
def reveal(referral_id: int, request: Request, console: ConsoleAction) -> HTMLResponse:
    """The same page with the package's personal data unmasked, once; ``package_view`` records the read
    (and the reveal) first, and refuses it until a second person approved the referral."""
    console.require(Permission.cases_read)
    console.require(Permission.personal_data_reveal)
    try:
        with unit_of_work(request) as session:
            view = referrals_service.package_view(
                session, referral_id=referral_id, reveal=True, fmt="console", actor=console.actor
            )
    except Conflict as error:
        return _render_referral(
            console, request, referral_id, errors={"reveal": console.error_text(error)}, status_code=error.status_code
        )
    return _render_referral(console, request, referral_id, revealed=view.package)


def _package(request: Request, console: Console, referral_id: int, fmt: str, *, reveal: bool) -> Response:
    """The package as ``GET /v1/referrals/{id}/package.{fmt}`` gives it, byte for byte."""
    try:
        chosen = PackageFormat(fmt)
    except ValueError:
        raise InvalidInput(
            "the package comes as json, html or pdf",
            details=[{"field": "format", "value": fmt}],
            zh="移送材料包的格式只能是 json、html 或 pdf",
        ) from None
    with unit_of_work(request) as session:
        view = referrals_service.package_view(
            session, referral_id=referral_id, reveal=reveal, fmt=chosen.value, actor=console.actor
        )
    return render.download(view, chosen)


@router.get("/referrals/{referral_id}/package.{fmt}", include_in_schema=False)
def masked_package(referral_id: int, fmt: str, request: Request, console: ConsolePage) -> Response:
    """The masked copy of the package (every read is recorded in the audit log)."""
    console.require(Permission.cases_read)
    return _package(request, console, referral_id, fmt, reveal=False)


@router.post("/referrals/{referral_id}/package.{fmt}", include_in_schema=False)
def full_package(referral_id: int, fmt: str, request: Request, console: ConsoleAction) -> Response:
    """The package exactly as referred: ``personal_data:reveal``, only once approved, recorded first."""
    console.require(Permission.cases_read)
    console.require(Permission.personal_data_reveal)
    return _package(request, console, referral_id, fmt, reveal=True)


# ---- four eyes and the authority's answer ------------------------------------------------------------


@router.post("/referrals/{referral_id}/decision", include_in_schema=False)
def decide(
    referral_id: int,
    request: Request,
    console: ConsoleAction,
    verdict: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The second pair of eyes approves or rejects (``referrals.service.decide``: never the requester's approval)."""
    console.require(Permission.measures_approve)
    if verdict not in ("approve", "reject"):
        raise InvalidInput(
            f"unknown verdict {verdict!r}", details=[{"field": "verdict"}], zh=f"未知的审批结论 {verdict!r}"
        )
    typed = {"reason": reason}
    if len(reason.strip()) < 3:
        errors = {"decision": console.t("referrals.reason_required")}
        return _render_referral(console, request, referral_id, errors=errors, form=typed, status_code=422)
    try:
        with unit_of_work(request) as session:
            referrals_service.decide(
                session,
                referral_id=referral_id,
                approve=verdict == "approve",
                actor=console.actor,
                reason=reason.strip(),
            )
    except (Conflict, Forbidden) as error:
        errors = {"decision": console.error_text(error)}
        return _render_referral(console, request, referral_id, errors=errors, form=typed, status_code=error.status_code)
    done = "approved" if verdict == "approve" else "rejected"
    return console.redirect(f"/console/referrals/{referral_id}?done={done}")


def _validation_messages(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in item["loc"])
        parts.append(f"{where}: {item['msg']}" if where else str(item["msg"]))
    return "; ".join(parts)


@router.post("/referrals/{referral_id}/feedback", include_in_schema=False)
def feedback(
    referral_id: int,
    request: Request,
    console: ConsoleAction,
    status: Annotated[str, Form(max_length=20)] = "",
    text: Annotated[str, Form(max_length=5000)] = "",
    authority_ref: Annotated[str, Form(max_length=300)] = "",
    received_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """The authority's answer (``referrals.service.record_feedback``): received, then case filed or declined."""
    console.require(Permission.cases_write)
    typed = {"status": status, "text": text, "authority_ref": authority_ref, "received_at": received_at}

    def refuse(message: str, status_code: int = 422) -> HTMLResponse:
        return _render_referral(
            console, request, referral_id, errors={"feedback": message}, form=typed, status_code=status_code
        )

    moment: datetime | None = None
    if received_at.strip():
        try:
            moment = ensure_utc(datetime.fromisoformat(received_at.strip()))
        except ValueError:
            return refuse(console.t("referrals.bad_time"))
    try:
        body = FeedbackIn.model_validate(
            {"status": status, "text": text, "authority_ref": authority_ref.strip(), "received_at": moment}
        )
    except ValidationError as error:
        return refuse(_validation_messages(error))
    try:
        with unit_of_work(request) as session:
            referrals_service.record_feedback(session, referral_id=referral_id, body=body, actor=console.actor)
    except Conflict as error:
        return refuse(console.error_text(error), error.status_code)
    return console.redirect(f"/console/referrals/{referral_id}?done=feedback")
