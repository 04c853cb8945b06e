"""Cases and review queues over HTTP."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from fanzha.auth.deps import CasesRead, CasesWrite, MeasuresApprove, QueuesAdmin
from fanzha.auth.masking import require_reveal
from fanzha.cases import releases
from fanzha.cases import service as cases_service
from fanzha.cases.schemas import (
    CaseCreate,
    CaseDecision,
    CaseDetail,
    CaseOut,
    ClaimIn,
    EvidenceIn,
    FeedbackIn,
    QueueIn,
    QueueOut,
    ReleaseDecisionIn,
    ReleaseIn,
    ReleaseOut,
    SubjectIn,
    TransitionIn,
)
from fanzha.cases.service import Subject
from fanzha.kit.web import runtime_of, unit_of_work
from fanzha.measures import service as measures_service
from fanzha.measures.runtime import apply_list_changes
from fanzha.measures.schemas import MeasureOut, ReasonIn

router = APIRouter(tags=["cases"])

QueueName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,99}$")]


def _out(case: Any) -> CaseOut:
    return CaseOut.model_validate(case, from_attributes=True)


def _subjects(items: list[SubjectIn]) -> list[Subject]:
    return [Subject(item.type, item.value, item.role) for item in items]


@router.post("/v1/cases", response_model=CaseOut, status_code=201, summary="Open a case")
def create(body: CaseCreate, request: Request, principal: CasesWrite) -> CaseOut:
    """Open a case for a report, a notice, a patrol hit or by hand; it is routed to the first matching queue."""
    with unit_of_work(request) as session:
        case = cases_service.open_case(
            session,
            source_type=body.source_type,
            source_ref=body.source_ref,
            subjects=_subjects(body.subjects),
            evidence=[item.model_dump() for item in body.evidence],
            summary=body.summary,
            fraud_type=body.fraud_type,
            risk_score=body.risk_score,
            priority=body.priority,
            legal_basis=body.legal_basis,
            feedback_owed=body.feedback_owed,
            actor=principal.actor,
        )
        return _out(case)


@router.get("/v1/cases", response_model=list[CaseOut], summary="List cases")
def list_cases(
    request: Request,
    principal: CasesRead,
    state: Annotated[list[str] | None, Query()] = None,
    queue: str | None = None,
    cluster_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[CaseOut]:
    """Most urgent first (priority, then SLA due time)."""
    with unit_of_work(request) as session:
        rows = cases_service.search(
            session, state=state, queue=queue, cluster_id=cluster_id, limit=limit, offset=offset
        )
        return [_out(row) for row in rows]


@router.get("/v1/cases/{case_id}", response_model=CaseDetail, summary="A case with its history")
def get_case(case_id: int, request: Request, principal: CasesRead, reveal: bool = False) -> CaseDetail:
    """Personal data (phones, ID hashes, payment accounts) is masked; ``reveal=true`` needs
    ``personal_data:reveal`` and is recorded in the audit log."""
    require_reveal(principal, reveal)
    with unit_of_work(request) as session:
        case = cases_service.get(session, case_id)
        if reveal:
            cases_service.record_reveal(
                session, actor=principal.actor, object_type="case", object_id=str(case_id), reason=None
            )
        return CaseDetail.model_validate(cases_service.detail(session, case, reveal=reveal))


@router.get("/v1/cases/{case_id}/cluster", response_model=list[CaseOut], summary="Cases linked to this one")
def cluster(case_id: int, request: Request, principal: CasesRead) -> list[CaseOut]:
    with unit_of_work(request) as session:
        return [_out(row) for row in cases_service.cluster_of(session, case_id)]


@router.post("/v1/cases/{case_id}/subjects", response_model=CaseOut, summary="Add subjects")
def add_subjects(case_id: int, body: list[SubjectIn], request: Request, principal: CasesWrite) -> CaseOut:
    with unit_of_work(request) as session:
        return _out(
            cases_service.add_subjects(session, case_id=case_id, subjects=_subjects(body), actor=principal.actor)
        )


@router.post("/v1/cases/{case_id}/evidence", response_model=CaseOut, summary="Add evidence")
def add_evidence(case_id: int, body: list[EvidenceIn], request: Request, principal: CasesWrite) -> CaseOut:
    with unit_of_work(request) as session:
        evidence = [item.model_dump() for item in body]
        return _out(cases_service.add_evidence(session, case_id=case_id, evidence=evidence, actor=principal.actor))


@router.post("/v1/cases/{case_id}/transitions", response_model=CaseOut, summary="Move a case")
def transition(case_id: int, body: TransitionIn, request: Request, principal: CasesWrite) -> CaseOut:
    """Triage, verify, escalate, close (only when the loop is closed) or reopen; a reason is required."""
    with unit_of_work(request) as session:
        return _out(
            cases_service.transition(session, case_id=case_id, to=body.to, actor=principal.actor, reason=body.reason)
        )


@router.post("/v1/cases/{case_id}/claim", response_model=CaseOut, summary="Claim a case for review")
def claim(case_id: int, request: Request, principal: CasesWrite, body: ClaimIn | None = None) -> CaseOut:
    with unit_of_work(request) as session:
        minutes = None if body is None else body.minutes
        return _out(cases_service.claim(session, case_id=case_id, actor=principal.actor, minutes=minutes))


@router.post("/v1/cases/{case_id}/release", response_model=CaseOut, summary="Release a claim")
def release(case_id: int, request: Request, principal: CasesWrite) -> CaseOut:
    with unit_of_work(request) as session:
        return _out(cases_service.release(session, case_id=case_id, actor=principal.actor))


@router.post("/v1/cases/{case_id}/decision", response_model=CaseDetail, summary="Decide a claimed case")
def decide(case_id: int, body: CaseDecision, request: Request, principal: CasesWrite) -> CaseDetail:
    """Act (measures from the disposal ladder) or not, with a reason. Reversible measures take effect at
    once; close and re-registration bans wait for a senior reviewer's approval."""
    with unit_of_work(request) as session:
        outcome = cases_service.decide(session, case_id=case_id, actor=principal.actor, decision=body)
        case = cases_service.get(session, case_id)
        out = CaseDetail.model_validate(cases_service.detail(session, case, reveal=False))
    apply_list_changes(runtime_of(request).lists, outcome.list_changes)
    return out


@router.post("/v1/cases/{case_id}/feedback", response_model=CaseOut, summary="Record feedback sent")
def feedback(case_id: int, body: FeedbackIn, request: Request, principal: CasesWrite) -> CaseOut:
    with unit_of_work(request) as session:
        return _out(cases_service.record_feedback(session, case_id=case_id, actor=principal.actor, note=body.note))


@router.post("/v1/measures/{measure_id}/approve", response_model=MeasureOut, summary="Approve (four eyes)")
def approve(measure_id: int, body: ReasonIn, request: Request, principal: MeasuresApprove) -> MeasureOut:
    """A second person approves an irreversible measure (close, ban re-registration); not its proposer."""
    with unit_of_work(request) as session:
        outcome = cases_service.approve_measure(
            session, measure_id=measure_id, actor=principal.actor, reason=body.reason
        )
        out = MeasureOut.model_validate(measures_service.to_dict(outcome.measures[0], reveal=False))
    apply_list_changes(runtime_of(request).lists, outcome.list_changes)
    return out


@router.post("/v1/measures/{measure_id}/reject", response_model=MeasureOut, summary="Reject a proposed measure")
def reject(measure_id: int, body: ReasonIn, request: Request, principal: MeasuresApprove) -> MeasureOut:
    with unit_of_work(request) as session:
        measure = cases_service.reject_measure(
            session, measure_id=measure_id, actor=principal.actor, reason=body.reason
        )
        return MeasureOut.model_validate(measures_service.to_dict(measure, reveal=False))


@router.put("/v1/queues/{name}", response_model=QueueOut, summary="Create or change a queue")
def put_queue(name: QueueName, body: QueueIn, request: Request, principal: QueuesAdmin) -> QueueOut:
    with unit_of_work(request) as session:
        queue = cases_service.put_queue(session, name=name, body=body, actor=principal.actor)
        return QueueOut.model_validate(queue, from_attributes=True)


@router.get("/v1/queues", response_model=list[QueueOut], summary="Queues in routing order")
def list_queues(request: Request, principal: CasesRead) -> list[QueueOut]:
    with unit_of_work(request) as session:
        return [QueueOut.model_validate(q, from_attributes=True) for q in cases_service.queues(session)]


@router.post("/v1/queues/{name}/next", response_model=CaseOut, summary="Claim the next case in a queue")
def claim_next(name: QueueName, request: Request, principal: CasesWrite) -> CaseOut | Response:
    """The most urgent unclaimed open case, claimed for the caller; 204 when the queue is empty."""
    with unit_of_work(request) as session:
        case = cases_service.claim_next(session, queue=name, actor=principal.actor)
        if case is None:
            return Response(status_code=204)
        return _out(case)


@router.post(
    "/v1/cases/{case_id}/releases", response_model=ReleaseOut, status_code=201, summary="Propose an evidence release"
)
def propose_release(case_id: int, body: ReleaseIn, request: Request, principal: CasesWrite) -> ReleaseOut:
    """Propose releasing the case's evidence to the police or an authority; a second person must approve."""
    with unit_of_work(request) as session:
        release = releases.propose(
            session,
            case_id=case_id,
            recipient=body.recipient,
            request_ref=body.request_ref,
            hashes=body.hashes,
            legal_basis=body.legal_basis,
            reason=body.reason,
            actor=principal.actor,
        )
        return ReleaseOut.model_validate(release, from_attributes=True)


@router.get("/v1/cases/{case_id}/releases", response_model=list[ReleaseOut], summary="Evidence releases of a case")
def list_releases(case_id: int, request: Request, principal: CasesRead) -> list[ReleaseOut]:
    with unit_of_work(request) as session:
        return [
            ReleaseOut.model_validate(item, from_attributes=True)
            for item in releases.for_case(session, case_id=case_id)
        ]


@router.post("/v1/releases/{release_id}/decision", response_model=ReleaseOut, summary="Approve or reject a release")
def decide_release(
    release_id: int, body: ReleaseDecisionIn, request: Request, principal: MeasuresApprove
) -> ReleaseOut:
    """The second pair of eyes: someone other than the proposer approves (releases) or rejects."""
    with unit_of_work(request) as session:
        release = releases.decide(
            session, release_id=release_id, approve=body.approve, actor=principal.actor, reason=body.reason
        )
        return ReleaseOut.model_validate(release, from_attributes=True)
