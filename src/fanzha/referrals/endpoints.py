"""Clue referrals over HTTP: build one from a case (or several), approve it, export it, record the feedback."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from fanzha.auth.deps import CasesRead, CasesWrite, MeasuresApprove
from fanzha.auth.masking import require_reveal
from fanzha.intel.indicators import SharingIdentity
from fanzha.kit.web import runtime_of, unit_of_work
from fanzha.referrals import render
from fanzha.referrals import service as referrals_service
from fanzha.referrals.models import Referral
from fanzha.referrals.schemas import (
    FeedbackIn,
    PackageFormat,
    ReferralCreate,
    ReferralDecisionIn,
    ReferralIn,
    ReferralOut,
    ReferralState,
)

router = APIRouter(tags=["referrals"])


def _sender(request: Request) -> SharingIdentity:
    settings = runtime_of(request).settings
    return SharingIdentity.of(settings.sharing_identity_name, settings.sharing_identity_id)


def _answer_days(request: Request) -> float:
    return runtime_of(request).settings.referral_answer_days


def _view(request: Request, session: Session, referral: Referral) -> ReferralOut:
    return ReferralOut.model_validate(referrals_service.to_dict(session, referral, answer_days=_answer_days(request)))


def _out(request: Request, referral_id: int) -> ReferralOut:
    with unit_of_work(request) as session:
        referral = referrals_service.get(session, referral_id)
        return ReferralOut.model_validate(
            referrals_service.to_dict(session, referral, answer_days=_answer_days(request))
        )


@router.post(
    "/v1/cases/{case_id}/referrals", response_model=ReferralOut, status_code=201, summary="Refer a case's clues"
)
def refer_case(case_id: int, body: ReferralIn, request: Request, principal: CasesWrite) -> ReferralOut:
    """Build the referral package of the case (with ``cluster``, of its whole cluster) for the police or an
    authority (ATOFL art. 26(2)), and propose releasing it: a second person must approve before it may go."""
    with unit_of_work(request) as session:
        referral = referrals_service.refer(
            session, case_ids=[case_id], body=body, sender=_sender(request), actor=principal.actor
        )
        return ReferralOut.model_validate(
            referrals_service.to_dict(session, referral, answer_days=_answer_days(request))
        )


@router.post("/v1/referrals", response_model=ReferralOut, status_code=201, summary="Refer several cases' clues")
def refer_cases(body: ReferralCreate, request: Request, principal: CasesWrite) -> ReferralOut:
    """One package for several cases (the first holds it as evidence and carries the release)."""
    with unit_of_work(request) as session:
        referral = referrals_service.refer(
            session, case_ids=body.case_ids, body=body, sender=_sender(request), actor=principal.actor
        )
        return ReferralOut.model_validate(
            referrals_service.to_dict(session, referral, answer_days=_answer_days(request))
        )


@router.get("/v1/referrals", response_model=list[ReferralOut], summary="List referrals")
def list_referrals(
    request: Request,
    principal: CasesRead,
    case_id: int | None = None,
    state: ReferralState | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    overdue: Annotated[
        bool, Query(description="Only those whose final answer is awaited past answer_due_at (to chase).")
    ] = False,
) -> list[ReferralOut]:
    """Newest first; ``state=referred`` lists those still waiting for the authority's answer."""
    with unit_of_work(request) as session:
        rows = referrals_service.search(
            session,
            case_id=case_id,
            state=state,
            limit=limit,
            offset=offset,
            overdue=overdue,
            answer_days=_answer_days(request),
        )
        return [
            ReferralOut.model_validate(referrals_service.to_dict(session, row, answer_days=_answer_days(request)))
            for row in rows
        ]


@router.get("/v1/referrals/{referral_id}", response_model=ReferralOut, summary="A referral")
def get_referral(referral_id: int, request: Request, principal: CasesRead) -> ReferralOut:
    """What was referred (cases, package SHA-256), when, to whom, by whom, who approved, and the feedback."""
    return _out(request, referral_id)


@router.post("/v1/referrals/{referral_id}/decision", response_model=ReferralOut, summary="Approve or reject")
def decide(referral_id: int, body: ReferralDecisionIn, request: Request, principal: MeasuresApprove) -> ReferralOut:
    """The second pair of eyes (not the person who built the referral) approves or rejects it."""
    with unit_of_work(request) as session:
        referral = referrals_service.decide(
            session, referral_id=referral_id, approve=body.approve, actor=principal.actor, reason=body.reason
        )
        return ReferralOut.model_validate(
            referrals_service.to_dict(session, referral, answer_days=_answer_days(request))
        )


@router.post("/v1/referrals/{referral_id}/feedback", response_model=ReferralOut, summary="Record the feedback")
def feedback(referral_id: int, body: FeedbackIn, request: Request, principal: CasesWrite) -> ReferralOut:
    """The authority's answer: ``received``, then ``case_filed`` (立案) or ``declined``, with its text."""
    with unit_of_work(request) as session:
        referral = referrals_service.record_feedback(session, referral_id=referral_id, body=body, actor=principal.actor)
        return ReferralOut.model_validate(
            referrals_service.to_dict(session, referral, answer_days=_answer_days(request))
        )


@router.get(
    "/v1/referrals/{referral_id}/package.{fmt}",
    summary="The referral package (JSON, HTML or PDF)",
    response_class=Response,
    responses={200: {"content": {"application/json": {}, "text/html": {}, "application/pdf": {}}}},
)
def package(
    referral_id: int, fmt: PackageFormat, request: Request, principal: CasesRead, reveal: bool = False
) -> Response:
    """A masked copy by default. ``reveal=true`` gives the package exactly as referred (its JSON hashes to
    ``package_sha256``); it needs ``personal_data:reveal``, is refused until a second person approved the
    referral, and is recorded in the audit log. PDFs need pango and a CJK font (503 without them)."""
    require_reveal(principal, reveal)
    with unit_of_work(request) as session:
        view = referrals_service.package_view(
            session, referral_id=referral_id, reveal=reveal, fmt=fmt.value, actor=principal.actor
        )
    return render.download(view, fmt)
