from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, tuple_, update
from sqlalchemy.orm import Session

from fanzha.cases.models import Case, CaseEvidence, CaseSubject, CaseTransition, EvidenceRelease, ReviewQueue


class CaseRepository:
    """All SQL on cases, their subjects, evidence and transitions, and review queues."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: Case | CaseSubject | CaseEvidence | CaseTransition | ReviewQueue) -> None:
        self.session.add(row)
        self.session.flush()

    def get(self, case_id: int) -> Case | None:
        return self.session.get(Case, case_id)

    def by_source(self, source_type: str, source_ref: str) -> Case | None:
        return self.session.execute(
            select(Case).where(Case.source_type == source_type, Case.source_ref == source_ref)
        ).scalar_one_or_none()

    def update_if(self, case_id: int, conditions: Sequence[Any], values: dict[str, Any]) -> bool:
        """Change a case only if ``conditions`` still hold; the row lock taken makes racing writers wait."""
        result = self.session.execute(update(Case).where(Case.id == case_id, *conditions).values(**values))
        return int(getattr(result, "rowcount", 0) or 0) == 1

    def search(
        self,
        *,
        state: Sequence[str] | None,
        queue: str | None,
        cluster_id: int | None,
        unclaimed_at: datetime | None,
        limit: int,
        offset: int,
    ) -> list[Case]:
        statement = select(Case)
        if state:
            statement = statement.where(Case.state.in_(list(state)))
        if queue:
            statement = statement.where(Case.queue == queue)
        if cluster_id is not None:
            statement = statement.where(Case.cluster_id == cluster_id)
        if unclaimed_at is not None:
            statement = statement.where(or_(Case.claimed_by.is_(None), Case.claim_expires_at <= unclaimed_at))
        statement = statement.order_by(Case.priority, Case.sla_due_at, Case.id).limit(limit).offset(offset)
        return list(self.session.execute(statement).scalars())

    def overdue(self, *, states: Sequence[str], at: datetime, limit: int) -> list[Case]:
        return list(
            self.session.execute(
                select(Case)
                .where(Case.state.in_(list(states)), Case.sla_due_at <= at)
                .order_by(Case.sla_due_at)
                .limit(limit)
            ).scalars()
        )

    def subjects(self, case_id: int) -> list[CaseSubject]:
        return list(
            self.session.execute(
                select(CaseSubject).where(CaseSubject.case_id == case_id).order_by(CaseSubject.id)
            ).scalars()
        )

    def subject_keys(self, case_id: int) -> set[tuple[str, str]]:
        rows = self.session.execute(
            select(CaseSubject.type, CaseSubject.value).where(CaseSubject.case_id == case_id)
        ).all()
        return {(row[0], row[1]) for row in rows}

    def set_outcomes(self, case_id: int, outcomes: dict[tuple[str, str], str], at: datetime) -> None:
        for (kind, value), outcome in outcomes.items():
            self.session.execute(
                update(CaseSubject)
                .where(CaseSubject.case_id == case_id, CaseSubject.type == kind, CaseSubject.value == value)
                .values(outcome=outcome, outcome_at=at)
            )

    def cases_sharing(self, keys: Iterable[tuple[str, str]], *, exclude: int) -> list[Case]:
        """Cases with a subject equal to one of ``keys`` (type, value)."""
        wanted = list(keys)
        if not wanted:
            return []
        matching = select(CaseSubject.case_id).where(tuple_(CaseSubject.type, CaseSubject.value).in_(wanted))
        return list(self.session.execute(select(Case).where(Case.id.in_(matching), Case.id != exclude)).scalars())

    def open_case_for_subject(self, kind: str, value: str, *, states: Sequence[str], source_type: str) -> Case | None:
        matching = select(CaseSubject.case_id).where(
            and_(CaseSubject.type == kind, CaseSubject.value == value, CaseSubject.role == "actor")
        )
        return self.session.execute(
            select(Case)
            .where(Case.id.in_(matching), Case.state.in_(list(states)), Case.source_type == source_type)
            .order_by(Case.id)
            .limit(1)
        ).scalar_one_or_none()

    def merge_clusters(self, case_ids: Sequence[int], cluster_ids: Sequence[int], into: int) -> None:
        conditions = [Case.id.in_(list(case_ids))]
        if cluster_ids:
            conditions.append(Case.cluster_id.in_(list(cluster_ids)))
        self.session.execute(update(Case).where(or_(*conditions)).values(cluster_id=into))

    def evidence(self, case_id: int) -> list[CaseEvidence]:
        return list(
            self.session.execute(
                select(CaseEvidence).where(CaseEvidence.case_id == case_id).order_by(CaseEvidence.id)
            ).scalars()
        )

    def has_evidence(self, case_id: int, digest: str) -> bool:
        return (
            self.session.execute(
                select(CaseEvidence.id).where(CaseEvidence.case_id == case_id, CaseEvidence.hash == digest)
            ).first()
            is not None
        )

    def transitions(self, case_id: int) -> list[CaseTransition]:
        return list(
            self.session.execute(
                select(CaseTransition).where(CaseTransition.case_id == case_id).order_by(CaseTransition.id)
            ).scalars()
        )

    def queues(self) -> list[ReviewQueue]:
        return list(
            self.session.execute(select(ReviewQueue).order_by(ReviewQueue.position, ReviewQueue.name)).scalars()
        )

    def get_queue(self, name: str) -> ReviewQueue | None:
        return self.session.get(ReviewQueue, name)


class ReleaseRepository:
    """All SQL on evidence releases."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, release: EvidenceRelease) -> None:
        self.session.add(release)
        self.session.flush()

    def get(self, release_id: int) -> EvidenceRelease | None:
        return self.session.get(EvidenceRelease, release_id)

    def for_case(self, case_id: int) -> list[EvidenceRelease]:
        return list(
            self.session.execute(
                select(EvidenceRelease).where(EvidenceRelease.case_id == case_id).order_by(EvidenceRelease.id)
            ).scalars()
        )

    def decide(self, release_id: int, *, values: dict[str, object]) -> bool:
        """Move a pending release to its decision; False when it is no longer pending (a race lost)."""
        result = self.session.execute(
            update(EvidenceRelease)
            .where(EvidenceRelease.id == release_id, EvidenceRelease.state == "pending")
            .values(**values)
        )
        self.session.flush()
        return bool(getattr(result, "rowcount", 0))
