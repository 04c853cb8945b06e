from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from fanzha.cases.models import EvidenceRelease
from fanzha.cases.releases import ReleaseState
from fanzha.referrals.models import Referral, ReferralFeedback


def _feedback_in(statuses: Sequence[str | None]) -> ColumnElement[bool]:
    """The referral's feedback status is one of ``statuses`` (``None``: no answer yet)."""
    named = [status for status in statuses if status is not None]
    condition: ColumnElement[bool] = Referral.feedback_status.in_(named)
    if None in statuses:
        unanswered = Referral.feedback_status.is_(None)
        condition = or_(condition, unanswered) if named else unanswered
    return condition


class ReferralRepository:
    """All SQL on referrals and the feedback authorities send back."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: Referral | ReferralFeedback) -> None:
        self.session.add(row)
        self.session.flush()

    def get(self, referral_id: int) -> Referral | None:
        return self.session.get(Referral, referral_id)

    def release(self, release_id: int | None) -> EvidenceRelease | None:
        return None if release_id is None else self.session.get(EvidenceRelease, release_id)

    def search(
        self,
        *,
        case_id: int | None,
        release_states: Sequence[str] | None,
        feedback_statuses: Sequence[str | None] | None,
        approved_before: datetime | None = None,
        limit: int,
        offset: int,
    ) -> list[Referral]:
        """Newest first; ``release_states`` and ``feedback_statuses`` filter on the approval and the answer,
        ``approved_before`` on when the release was approved."""
        statement = select(Referral).outerjoin(EvidenceRelease, EvidenceRelease.id == Referral.release_id)
        conditions: list[ColumnElement[bool]] = []
        if case_id is not None:
            conditions.append(Referral.case_id == case_id)
        if release_states is not None:
            conditions.append(EvidenceRelease.state.in_(list(release_states)))
        if feedback_statuses is not None:
            conditions.append(_feedback_in(feedback_statuses))
        if approved_before is not None:
            conditions.append(EvidenceRelease.decided_at < approved_before)
        if conditions:
            statement = statement.where(and_(*conditions))
        statement = statement.order_by(Referral.id.desc()).limit(limit).offset(offset)
        return list(self.session.execute(statement).scalars())

    def count_awaiting(self, *, awaited: Sequence[str | None], approved_before: datetime) -> tuple[int, int]:
        """(approved referrals whose feedback status is in ``awaited``, those of them approved before then)."""
        row = self.session.execute(
            select(func.count(), func.sum(case((EvidenceRelease.decided_at < approved_before, 1), else_=0)))
            .select_from(Referral)
            .join(EvidenceRelease, EvidenceRelease.id == Referral.release_id)
            .where(EvidenceRelease.state == ReleaseState.released.value, _feedback_in(awaited))
        ).one()
        return int(row[0] or 0), int(row[1] or 0)

    def feedback(self, referral_id: int) -> list[ReferralFeedback]:
        return list(
            self.session.execute(
                select(ReferralFeedback)
                .where(ReferralFeedback.referral_id == referral_id)
                .order_by(ReferralFeedback.id)
            ).scalars()
        )

    def set_feedback_if(
        self, referral_id: int, *, expected: Sequence[str | None], status: str, at: datetime, now: datetime
    ) -> bool:
        """Move the referral's feedback status only if it is still one of ``expected`` (a race lost: False)."""
        result = self.session.execute(
            update(Referral)
            .where(Referral.id == referral_id, _feedback_in(expected))
            .values(feedback_status=status, feedback_at=at, updated_at=now)
        )
        self.session.flush()
        return bool(getattr(result, "rowcount", 0))
