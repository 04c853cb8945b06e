"""User reports: store them, cluster reports about the same subject into one case, weigh reporters.

A report joins the open case that earlier reports about any of its subjects went into, or opens
one (source ``user_report``). When the reliable reporters of an account or payment account within
the window add up to the threshold, the subject goes on ``reported_accounts`` /
``reported_payment_accounts``, which the default rule pack reads: a burst of reports changes the
decision for the next payment or message to that subject within a second.

When the case ends (decided with nothing awaiting approval, or closed), :func:`record_outcomes`
(run by the bus after the decision commits) gives every report on it its outcome once: the
notice in zh/en, the reporter's reliability, and a ``report.outcome`` message for the webhooks.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from fanzha.audit import service as audit
from fanzha.auth.masking import mask
from fanzha.bus.dispatcher import publish
from fanzha.cases import service as cases
from fanzha.cases.models import Case
from fanzha.cases.states import OPEN, CaseState, Priority, SourceType, SubjectType
from fanzha.kit.clock import ensure_utc, iso_or_none, utcnow
from fanzha.kit.errors import Conflict, FanzhaError, NotFound
from fanzha.lists import service as lists_service
from fanzha.lists.kinds import ListKind
from fanzha.lists.service import EntryChange
from fanzha.measures import service as measures
from fanzha.measures.models import Measure
from fanzha.measures.vocabulary import MeasureState
from fanzha.reports import outcomes
from fanzha.reports.models import Report, Reporter, ReportSubject
from fanzha.reports.repository import ReportRepository
from fanzha.reports.schemas import ReportIn, ReportOutcome, ReportStatus

RATE_WINDOW = timedelta(hours=1)
RATE_LIMIT = 20
"""Reports one reporter may file per window; more is mass reporting and refused (429)."""

SIGNAL_WINDOW = timedelta(days=7)
SIGNAL_THRESHOLD = 3.0
"""The summed reliability of distinct recent reporters that puts a subject on a reported list."""

SIGNAL_DAYS = 30
SIGNAL_ACTOR = "system:reports"

OUTCOME_TOPIC = "report.outcome"
OUTCOME_ACTOR = "system:reports"
SETTLED = frozenset({CaseState.decided, CaseState.actioned, CaseState.notified, CaseState.closed})
"""Case states in which the outcome is known (once no measure of the case awaits approval)."""

STATUS_PATH = "/report/status"
_REFERENCE = re.compile(r"^R(\d{1,12})-([a-z2-7]{16})$")

REPORTED_LISTS: dict[SubjectType, tuple[str, ListKind, str]] = {
    SubjectType.account: ("reported_accounts", ListKind.account, "Accounts reported by several users / 多人举报账号"),
    SubjectType.payment_account: (
        "reported_payment_accounts",
        ListKind.payment_account,
        "Payment accounts reported by several users / 多人举报收款账户",
    ),
}


class TooManyReports(FanzhaError):
    """The reporter filed more reports in the window than the limit allows."""

    status_code = 429
    code = "rate_limited"


@dataclass
class Filed:
    """What filing a report did: the report, its case, the count and the list entries it changed."""

    report: Report
    case_report_count: int
    reliability: float
    flagged: list[str] = field(default_factory=list)
    list_changes: list[EntryChange] = field(default_factory=list)


def reliability(founded: int, unfounded: int) -> float:
    """A new reporter weighs 1.0; every unfounded report lowers the weight, founded ones win it back."""
    return round((founded + 1) / (founded + unfounded + 1), 4)


def _reporter(session: Session, reporter_id: str) -> Reporter:
    repository = ReportRepository(session)
    reporter = repository.reporter(reporter_id)
    now = utcnow()
    if reporter is None:
        reporter = Reporter(
            reporter_id=reporter_id,
            reports=0,
            founded=0,
            unfounded=0,
            reliability=1.0,
            first_seen_at=now,
            last_report_at=now,
        )
        repository.add(reporter)
    return reporter


def file_report(session: Session, *, body: ReportIn, actor: str) -> Filed:
    """Store a report, cluster it into a case, and raise the reported-subject signal when warranted."""
    repository = ReportRepository(session)
    now = utcnow()
    reporter_id = body.reporter.id
    recent = repository.reports_since(reporter_id, now - RATE_WINDOW)
    if recent >= RATE_LIMIT:
        raise TooManyReports(
            f"reporter {reporter_id!r} filed {recent} reports in the last hour; the limit is {RATE_LIMIT}. "
            "Try again later, or call 110/96110 if money is being lost now.",
            zh=f"举报人 {reporter_id!r} 在过去一小时内已提交 {recent} 条举报，上限为 {RATE_LIMIT} 条。"
            "请稍后再试；如正在遭受资金损失，请立即拨打 110 或 96110。",
        )
    subjects: list[cases.Subject] = []
    keys: list[tuple[str, str]] = []
    for item in body.subjects:
        value = cases.normalise_subject(item.type, item.id)
        if (item.type.value, value) not in keys:
            keys.append((item.type.value, value))
            subjects.append(cases.Subject(item.type, value, "reported"))
    report = Report(
        reporter_id=reporter_id,
        category=body.category.value,
        text=body.text,
        evidence=[item.model_dump(mode="json") for item in body.evidence],
        state=ReportStatus.received.value,
        received_at=now,
        created_by=actor,
        status_token=base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower(),
    )
    repository.add(report)
    for kind, value in keys:
        repository.add(
            ReportSubject(report_id=report.id, type=kind, value=value, reporter_id=reporter_id, received_at=now)
        )
    evidence = [
        {
            "hash": item.sha256.lower(),
            "type": item.type.value,
            "uri": item.uri,
            "description": item.description or f"report {report.id}",
            "captured_at": now,
        }
        for item in body.evidence
    ]
    case = _open_or_join(session, report, subjects, keys, evidence, actor=actor)
    report.case_id = case.id
    reporter = _reporter(session, reporter_id)
    reporter.reports += 1
    reporter.last_report_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="report.file",
        object_type="report",
        object_id=str(report.id),
        after={
            "reporter": reporter_id,
            "category": report.category,
            "subjects": [{"type": kind, "value": mask(kind, value)} for kind, value in keys],
            "evidence": len(evidence),
            "case_id": case.id,
        },
    )
    filed = Filed(report, repository.count_for_case(case.id), reporter.reliability)
    for kind, value in keys:
        change = _signal(session, SubjectType(kind), value, now=now)
        if change is not None:
            filed.flagged.append(f"{kind}:{mask(kind, value)}")
            filed.list_changes.append(change)
    return filed


def _open_or_join(
    session: Session,
    report: Report,
    subjects: list[cases.Subject],
    keys: list[tuple[str, str]],
    evidence: list[dict[str, Any]],
    *,
    actor: str,
) -> Case:
    open_states = {state.value for state in OPEN}
    for case_id in ReportRepository(session).recent_case_ids(keys):
        case = cases.get(session, case_id)
        if case.state in open_states:
            cases.add_subjects(session, case_id=case.id, subjects=subjects, actor=actor)
            cases.add_evidence(session, case_id=case.id, evidence=evidence, actor=actor)
            return case
    return cases.open_case(
        session,
        source_type=SourceType.user_report,
        source_ref=f"report:{report.id}",
        subjects=subjects,
        evidence=evidence,
        summary=f"user report ({report.category})",
        fraud_type=report.category,
        priority=Priority.P2,
        feedback_owed=True,
        actor=actor,
    )


def _signal(session: Session, kind: SubjectType, value: str, *, now: datetime) -> EntryChange | None:
    target = REPORTED_LISTS.get(kind)
    if target is None:
        return None
    moment = ensure_utc(now)
    reporters = ReportRepository(session).reporters_of(kind.value, value, moment - SIGNAL_WINDOW)
    weight = sum(weight for _reporter_id, weight in reporters)
    if weight < SIGNAL_THRESHOLD:
        return None
    list_name, list_kind, description = target
    lists_service.create_list(session, name=list_name, kind=list_kind, description=description, actor=SIGNAL_ACTOR)
    _entry, change = lists_service.add_entry(
        session,
        list_name=list_name,
        value=value,
        reason=f"reported by {len(reporters)} users (weight {weight:.2f}) in {SIGNAL_WINDOW.days} days",
        source="user_reports",
        expires_at=moment + timedelta(days=SIGNAL_DAYS),
        actor=SIGNAL_ACTOR,
    )
    return change


def get(session: Session, report_id: int) -> Report:
    report = ReportRepository(session).get(report_id)
    if report is None:
        raise NotFound(f"no report {report_id}", zh=f"举报 {report_id} 不存在")
    return report


def case_report_count(session: Session, report: Report) -> int:
    return 0 if report.case_id is None else ReportRepository(session).count_for_case(report.case_id)


def resolve(session: Session, *, report_id: int, founded: bool, reason: str, actor: str) -> Reporter:
    """Mark a report founded or unfounded; the reporter's reliability follows."""
    report = get(session, report_id)
    if report.state != ReportStatus.received.value:
        raise Conflict(
            f"report {report_id} was already resolved as {report.state}",
            zh=f"举报 {report_id} 已处理，结果为 {report.state}",
        )
    return _settle(session, report, founded=founded, reason=reason, actor=actor)


def _settle(session: Session, report: Report, *, founded: bool, reason: str, actor: str) -> Reporter:
    report.state = (ReportStatus.founded if founded else ReportStatus.unfounded).value
    report.resolved_at = utcnow()
    report.resolved_by = actor
    reporter = _reporter(session, report.reporter_id)
    before = {"founded": reporter.founded, "unfounded": reporter.unfounded, "reliability": reporter.reliability}
    if founded:
        reporter.founded += 1
    else:
        reporter.unfounded += 1
    reporter.reliability = reliability(reporter.founded, reporter.unfounded)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="report.resolve",
        object_type="report",
        object_id=str(report.id),
        before=before,
        after={
            "state": report.state,
            "founded": reporter.founded,
            "unfounded": reporter.unfounded,
            "reliability": reporter.reliability,
        },
        reason=reason,
    )
    return reporter


# ---- the outcome, told to the reporter when the case ends ------------------------------------------


def _actioned_keys(taken: list[Measure]) -> set[tuple[str, str]]:
    """The subjects measures of the case really reached (rejected and still-pending ones reached nothing)."""
    keys: set[tuple[str, str]] = set()
    known = {kind.value for kind in SubjectType}
    for measure in taken:
        if measure.state in (MeasureState.pending_approval.value, MeasureState.rejected.value):
            continue
        keys.add((SubjectType.account.value, measure.account_id))
        if measure.item_id:
            keys.add((SubjectType.listing.value, measure.item_id))
        for key in measure.keys or []:
            if key.get("type") in known and key.get("value"):
                kind = SubjectType(key["type"])
                keys.add((kind.value, cases.normalise_subject(kind, str(key["value"]))))
    return keys


def record_outcomes(session: Session, *, case_id: int, actor: str = OUTCOME_ACTOR) -> list[Report]:
    """Tell every report on ``case_id`` its outcome, once, if the case has ended.

    A report is ``action_taken`` when a measure of the case reached one of the subjects it named,
    else ``no_violation_found``. Each report gets its notice (zh/en), is resolved founded or
    unfounded unless a reviewer already did (so the reporter's reliability follows), and owes a
    ``report.outcome`` webhook; once all are told, the case's owed feedback counts as sent. Running
    it again changes nothing: the outcome is written only where none is.
    """
    repository = ReportRepository(session)
    waiting = repository.without_outcome(case_id)
    if not waiting:
        return []  # most cases come from decisions and carry no reports
    case = cases.get(session, case_id)
    if case.state not in SETTLED:
        return []
    taken = measures.for_case(session, case.id)
    if any(measure.state == MeasureState.pending_approval.value for measure in taken):
        return []  # a second person may still reject the measure: the outcome is not known yet
    actioned = _actioned_keys(taken)
    decided_at = ensure_utc(case.decided_at or utcnow())
    told: list[Report] = []
    for report in waiting:
        named = {(subject.type, subject.value) for subject in repository.subjects(report.id)}
        outcome = ReportOutcome.action_taken if named & actioned else ReportOutcome.no_violation_found
        fields = outcomes.NoticeFields(
            reference=reference(report),
            category=report.category,
            received_at=report.received_at,
            decided_at=decided_at,
            outcome=outcome,
        )
        now = utcnow()
        values = {
            "outcome": outcome.value,
            "outcome_at": now,
            "outcome_text_zh": outcomes.render_zh(fields),
            "outcome_text_en": outcomes.render_en(fields),
        }
        if not repository.set_outcome(report.id, values):
            continue  # told by someone else in the meantime
        session.refresh(report)
        audit.record(
            session,
            actor=actor,
            action="report.outcome",
            object_type="report",
            object_id=str(report.id),
            after={"case_id": case.id, "outcome": outcome.value, "template_version": outcomes.TEMPLATE_VERSION},
        )
        if report.state == ReportStatus.received.value:
            _settle(
                session,
                report,
                founded=outcome is ReportOutcome.action_taken,
                reason=f"case {case.id} ended: {outcome.value}",
                actor=actor,
            )
        publish(session, topic=OUTCOME_TOPIC, key=report.reporter_id, payload=outcome_payload(report))
        told.append(report)
    if told and case.feedback_owed and case.feedback_sent_at is None and not repository.without_outcome(case.id):
        cases.record_feedback(
            session, case_id=case.id, actor=actor, note=f"outcome notices owed to {len(told)} reporter(s) by webhook"
        )
    return told


def outcome_payload(report: Report) -> dict[str, object]:
    """The ``report.outcome`` webhook: enough for the platform to tell its user, nothing about the subject."""
    return {
        "report_id": report.id,
        "reference": reference(report),
        "reporter_id": report.reporter_id,
        "case_id": report.case_id,
        "category": report.category,
        "outcome": report.outcome,
        "outcome_at": iso_or_none(report.outcome_at),
        "text_zh": report.outcome_text_zh,
        "text_en": report.outcome_text_en,
        "status_path": status_path(report),
    }


def reporter(session: Session, reporter_id: str) -> Reporter:
    found = ReportRepository(session).reporter(reporter_id)
    if found is None:
        raise NotFound(f"no reporter {reporter_id!r}", zh=f"举报人 {reporter_id!r} 不存在")
    return found


def reference(report: Report) -> str:
    """What the reporter quotes: ``R00000012-<token>`` (just ``R00000012`` for reports from before tokens)."""
    base = f"R{report.id:08d}"
    return f"{base}-{report.status_token}" if report.status_token else base


def status_path(report: Report) -> str | None:
    return f"{STATUS_PATH}?ref={reference(report)}" if report.status_token else None


def by_reference(session: Session, ref: str) -> Report:
    """The report a full reference names; the same NotFound whether the id or the token is wrong."""
    candidate = ref.strip()
    match = _REFERENCE.match(candidate[:1].upper() + candidate[1:].lower())
    report = ReportRepository(session).get(int(match.group(1))) if match else None
    if match is None or report is None or report.status_token is None:
        raise NotFound("no report with this reference", zh="没有与此编号对应的举报")
    if not hmac.compare_digest(report.status_token.encode("ascii"), match.group(2).encode("ascii")):
        raise NotFound("no report with this reference", zh="没有与此编号对应的举报")
    return report


def acknowledgement(report: Report) -> dict[str, object]:
    return {
        "reference": reference(report),
        "received_at": report.received_at,
        "status_path": status_path(report),
        "message": (
            "举报已收到，我们将尽快核查并反馈结果。如正在被骗或已转账，请立即拨打110或96110。"
            " / Your report was received; we will check it and tell you the outcome. "
            "If you are losing money now, call 110 or 96110 at once."
        ),
    }
