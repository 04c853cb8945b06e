from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.orm import Session

from fanzha.reports.models import Report, Reporter, ReportSubject


class ReportRepository:
    """All SQL on reports, their subjects and reporters."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: Report | ReportSubject | Reporter) -> None:
        self.session.add(row)
        self.session.flush()

    def get(self, report_id: int) -> Report | None:
        return self.session.get(Report, report_id)

    def reporter(self, reporter_id: str) -> Reporter | None:
        return self.session.get(Reporter, reporter_id)

    def reports_since(self, reporter_id: str, since: datetime) -> int:
        return int(
            self.session.execute(
                select(func.count())
                .select_from(Report)
                .where(Report.reporter_id == reporter_id, Report.received_at >= since)
            ).scalar_one()
        )

    def recent_case_ids(self, keys: Sequence[tuple[str, str]]) -> list[int]:
        """Cases that earlier reports naming any of ``keys`` were clustered into, newest first."""
        if not keys:
            return []
        rows = self.session.execute(
            select(Report.case_id)
            .join(ReportSubject, ReportSubject.report_id == Report.id)
            .where(Report.case_id.is_not(None), tuple_(ReportSubject.type, ReportSubject.value).in_(list(keys)))
            .order_by(Report.id.desc())
            .limit(50)
        ).all()
        seen: list[int] = []
        for (case_id,) in rows:
            if case_id is not None and case_id not in seen:
                seen.append(int(case_id))
        return seen

    def count_for_case(self, case_id: int) -> int:
        return int(
            self.session.execute(select(func.count()).select_from(Report).where(Report.case_id == case_id)).scalar_one()
        )

    def reporters_of(self, kind: str, value: str, since: datetime) -> list[tuple[str, float]]:
        """The distinct reporters who named (kind, value) since ``since``, with their reliability now."""
        rows = self.session.execute(
            select(Reporter.reporter_id, Reporter.reliability)
            .where(
                Reporter.reporter_id.in_(
                    select(ReportSubject.reporter_id).where(
                        ReportSubject.type == kind,
                        ReportSubject.value == value,
                        ReportSubject.received_at >= since,
                    )
                )
            )
            .order_by(Reporter.reporter_id)
        ).all()
        return [(row[0], float(row[1])) for row in rows]

    def subjects(self, report_id: int) -> list[ReportSubject]:
        return list(
            self.session.execute(
                select(ReportSubject).where(ReportSubject.report_id == report_id).order_by(ReportSubject.id)
            ).scalars()
        )

    def without_outcome(self, case_id: int) -> list[Report]:
        """The reports clustered into ``case_id`` whose reporters have not been told the outcome yet."""
        return list(
            self.session.execute(
                select(Report).where(Report.case_id == case_id, Report.outcome.is_(None)).order_by(Report.id)
            ).scalars()
        )

    def set_outcome(self, report_id: int, values: dict[str, Any]) -> bool:
        """Record the outcome unless one is already there (True when this call recorded it)."""
        result = self.session.execute(
            update(Report).where(Report.id == report_id, Report.outcome.is_(None)).values(**values)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1
