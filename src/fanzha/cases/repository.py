from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.orm import Session

from fanzha.cases.models import Case, CaseEvidence, CaseSubject, CaseTransition, EvidenceRelease, ReviewQueue

SUBJECT_CHUNK = 5000
KEY_CHUNK = 500


class CaseRepository:
    """All SQL on cases, their subjects, evidence and transitions, and review queues."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: Case | CaseSubject | CaseEvidence | CaseTransition | ReviewQueue) -> None:
        self.session.add(row)
        self.session.flush()

    def add_subjects(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert many subjects in one statement per chunk (no ORM objects: cheap for 100,000 rows)."""
        for start in range(0, len(rows), SUBJECT_CHUNK):
            self.session.execute(insert(CaseSubject), list(rows[start : start + SUBJECT_CHUNK]))

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
        by_type: dict[str, list[str]] = {}
        for kind, value in dict.fromkeys(keys):
            by_type.setdefault(kind, []).append(value)
        case_ids: set[int] = set()
        # One type at a time and in chunks: ``type = ? AND value IN (...)`` uses the (type, value) index
        # where a row-value IN scans the table, and a chunk stays under the databases' parameter limits.
        for kind, values in by_type.items():
            for start in range(0, len(values), KEY_CHUNK):
                chunk = values[start : start + KEY_CHUNK]
                case_ids.update(
                    self.session.execute(
                        select(CaseSubject.case_id)
                        .where(CaseSubject.type == kind, CaseSubject.value.in_(chunk), CaseSubject.case_id != exclude)
                        .distinct()
                    ).scalars()
                )
        found: list[Case] = []
        wanted = sorted(case_ids)
        for start in range(0, len(wanted), KEY_CHUNK):
            found.extend(
                self.session.execute(select(Case).where(Case.id.in_(wanted[start : start + KEY_CHUNK]))).scalars()
            )
        return found

    def link_rows(self, case_id: int) -> list[tuple[str, str, str]]:
        """(type, value, role) of every subject of a case, without loading them as objects."""
        rows = self.session.execute(
            select(CaseSubject.type, CaseSubject.value, CaseSubject.role).where(CaseSubject.case_id == case_id)
        ).all()
        return [(row[0], row[1], row[2]) for row in rows]

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

    def queue_load(self, *, states: Sequence[str], at: datetime) -> list[tuple[str, int, int, int]]:
        """(queue, cases in ``states``, of them unclaimed, of them past their SLA) per queue, one query."""
        unclaimed = case((or_(Case.claimed_by.is_(None), Case.claim_expires_at <= at), 1), else_=0)
        overdue = case((Case.sla_due_at <= at, 1), else_=0)
        rows = self.session.execute(
            select(Case.queue, func.count(), func.sum(unclaimed), func.sum(overdue))
            .where(Case.state.in_(list(states)))
            .group_by(Case.queue)
            .order_by(Case.queue)
        ).all()
        return [(row[0], int(row[1]), int(row[2] or 0), int(row[3] or 0)) for row in rows]

    def held_by(self, actor: str, *, at: datetime, limit: int) -> list[Case]:
        """Cases whose claim ``actor`` holds now, most urgent first."""
        return list(
            self.session.execute(
                select(Case)
                .where(Case.claimed_by == actor, Case.claim_expires_at > at)
                .order_by(Case.priority, Case.sla_due_at, Case.id)
                .limit(limit)
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
