"""The dashboard: what the office needs to see first.

Decisions by outcome over the last 24 hours or 7 days, the rules that hit most, review queues and
their SLA breaches, open police notices by deadline, and appeals with their overturn rate. Each
widget is shown only to roles that may read what it counts.

Every number is an aggregate over an index that exists: decisions by ``decided_at``
(``ix_decisions_decided_at_decision``; buckets that have closed are counted once per process and kept, see
:class:`SettledBuckets`), open cases by ``state`` (the review queue's own load count), open notices by
``state, deadline`` (``ix_notices_state_deadline``) and appeals by ``state`` (``ix_appeals_state``).
Rule hits live inside each stored answer (JSON), so they are counted over the newest
:data:`RULE_HIT_SAMPLE` decisions of the window only, and the page says so when it sampled.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import ColumnElement, Integer, and_, case, cast, func, select, true
from sqlalchemy.orm import Session

from fanzha.appeals import service as appeals_service
from fanzha.appeals.models import Appeal
from fanzha.auth.roles import Permission
from fanzha.cases import service as cases_service
from fanzha.console.charts import BarItem, Bucket, Series, horizontal_bars, stacked_bars
from fanzha.console.i18n import Translator
from fanzha.console.web import ConsolePage
from fanzha.decisions.models import DecisionRecord
from fanzha.kit.clock import ensure_utc, utcnow
from fanzha.kit.db import dialect_of
from fanzha.kit.web import runtime_of, unit_of_work
from fanzha.notices.models import Notice
from fanzha.notices.repository import NoticeRepository
from fanzha.notices.schemas import NoticeState
from fanzha.referrals import service as referrals_service

router = APIRouter()

OUTCOMES = ("allow", "warn", "review", "block")
"""Stacking order, least to most severe (block on top, where the eye lands)."""

OUTCOME_COLORS = {"allow": "#1f7a4d", "warn": "#7a5cc4", "review": "#d08a12", "block": "#b4232a"}
RULE_HIT_SAMPLE = 20_000
TOP_RULES = 8
NEXT_NOTICES = 5
DUE_SOON = timedelta(hours=24)
SETTLE_AFTER = timedelta(minutes=2)


class Window(StrEnum):
    """How far back the decision chart looks."""

    day = "24h"
    week = "7d"


@dataclass(frozen=True, slots=True)
class Buckets:
    """Equal time buckets ending just after now, aligned to whole buckets so they do not move with the clock."""

    start: datetime
    size: timedelta
    count: int

    @classmethod
    def for_window(cls, window: Window, now: datetime) -> Buckets:
        size, count = (timedelta(hours=1), 24) if window is Window.day else (timedelta(hours=6), 28)
        seconds = int(size.total_seconds())
        epoch = int(ensure_utc(now).timestamp())
        end = datetime.fromtimestamp(epoch - epoch % seconds + seconds, tz=UTC)
        return cls(start=end - size * count, size=size, count=count)

    @property
    def end(self) -> datetime:
        return self.start + self.size * self.count

    def edge(self, index: int) -> datetime:
        return self.start + self.size * index

    def index_of(self, moment: datetime) -> int | None:
        """Which bucket ``moment`` falls in, or None outside the window."""
        offset = ensure_utc(moment) - self.start
        index = int(offset.total_seconds() // self.size.total_seconds())
        return index if 0 <= index < self.count else None


@dataclass
class DecisionVolume:
    """Decisions per bucket and outcome, and the totals over the window."""

    buckets: Buckets
    counts: list[dict[str, int]]
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.totals.values())


@dataclass(frozen=True, slots=True)
class NoticeDeadlines:
    overdue: int
    due_soon: int
    later: int
    upcoming: list[Notice]

    @property
    def open(self) -> int:
        return self.overdue + self.due_soon + self.later


@dataclass(frozen=True, slots=True)
class AppealSummary:
    by_state: dict[str, int]
    top_overturned: list[tuple[str, int, int]]
    """(rule, overturned, decided) for the rules whose measures were overturned most."""

    @property
    def decided(self) -> int:
        return self.by_state.get("upheld", 0) + self.by_state.get("overturned", 0)

    @property
    def pending(self) -> int:
        return self.by_state.get("submitted", 0) + self.by_state.get("in_review", 0)

    @property
    def overturn_rate(self) -> float | None:
        return self.by_state.get("overturned", 0) / self.decided if self.decided else None


# ---- the queries ---------------------------------------------------------------------------------


def _bucket_of(session: Session, column: Any, buckets: Buckets) -> ColumnElement[Any]:
    """The bucket index of a time column, computed in the database (integer seconds since the window start)."""
    start = int(buckets.start.timestamp())
    size = int(buckets.size.total_seconds())
    if dialect_of(session) == "sqlite":
        # Times are stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC; integer division floors (offsets are >= 0).
        return (cast(func.strftime("%s", column), Integer) - start) / size
    return func.floor((func.extract("epoch", column) - start) / size)


def decision_volume(session: Session, buckets: Buckets) -> DecisionVolume:
    """One grouped count over the window's slice of ``ix_decisions_decided_at_decision``."""
    bucket = _bucket_of(session, DecisionRecord.decided_at, buckets).label("bucket")
    rows = session.execute(
        select(bucket, DecisionRecord.decision, func.count())
        .where(DecisionRecord.decided_at >= buckets.start, DecisionRecord.decided_at < buckets.end)
        .group_by(bucket, DecisionRecord.decision)
    ).all()
    volume = DecisionVolume(buckets, [{} for _ in range(buckets.count)])
    for index, outcome, count in rows:
        position = int(index)
        if 0 <= position < buckets.count:
            volume.counts[position][outcome] = volume.counts[position].get(outcome, 0) + int(count)
            volume.totals[outcome] = volume.totals.get(outcome, 0) + int(count)
    return volume


class SettledBuckets:
    """Counts of buckets that closed more than :data:`SETTLE_AFTER` ago, kept per database.

    Decisions are stored with the time they were decided, so a bucket that has ended stops changing
    (the grace period covers a decision committed just after its bucket ended). A page then counts
    only the buckets it has not seen settle: after the first view of a window, the open bucket.
    """

    def __init__(self, limit: int = 4096) -> None:
        self._counts: dict[tuple[str, datetime, int], dict[str, int]] = {}
        self._lock = threading.Lock()
        self._limit = limit

    def volume(self, session: Session, buckets: Buckets, now: datetime) -> DecisionVolume:
        database = session.get_bind().engine.url.render_as_string(hide_password=True)
        size = int(buckets.size.total_seconds())
        settled_before = ensure_utc(now) - SETTLE_AFTER
        with self._lock:
            known = [self._counts.get((database, buckets.edge(i), size)) for i in range(buckets.count)]
        first = next(
            (i for i, counts in enumerate(known) if counts is None or buckets.edge(i + 1) > settled_before),
            buckets.count,
        )
        if first < buckets.count:
            rest = decision_volume(session, Buckets(buckets.edge(first), buckets.size, buckets.count - first))
            with self._lock:
                if len(self._counts) > self._limit:
                    self._counts.clear()
                for offset, counts in enumerate(rest.counts):
                    index = first + offset
                    known[index] = counts
                    if buckets.edge(index + 1) <= settled_before:
                        self._counts[(database, buckets.edge(index), size)] = counts
        volume = DecisionVolume(buckets, [dict(counts or {}) for counts in known])
        for counts in volume.counts:
            for outcome, count in counts.items():
                volume.totals[outcome] = volume.totals.get(outcome, 0) + count
        return volume


SETTLED = SettledBuckets()


def top_rules(session: Session, buckets: Buckets, *, limit: int = TOP_RULES) -> tuple[list[tuple[str, int]], bool]:
    """The live rules that decided most often in the window, and whether only a sample was counted.

    Hits are the ``reasons`` of each stored answer; they are unnested in the database over the newest
    :data:`RULE_HIT_SAMPLE` decisions of the window.
    """
    window = and_(DecisionRecord.decided_at >= buckets.start, DecisionRecord.decided_at < buckets.end)
    recent = (
        select(DecisionRecord.response.label("response"))
        .where(window)
        .order_by(DecisionRecord.decided_at.desc())
        .limit(RULE_HIT_SAMPLE)
        .subquery()
    )
    if dialect_of(session) == "sqlite":
        reasons = func.json_each(recent.c.response, "$.reasons").table_valued("value").alias("reasons")
        rule: ColumnElement[Any] = func.json_extract(reasons.c.value, "$.rule")
    else:
        reasons = func.jsonb_array_elements(recent.c.response["reasons"]).table_valued("value").alias("reasons")
        rule = reasons.c.value.op("->>")("rule")
    hits = func.count().label("hits")
    rows = session.execute(
        select(rule.label("rule"), hits)
        .select_from(recent)
        .join(reasons, true())
        .group_by(rule)
        .order_by(hits.desc(), rule)
        .limit(limit)
    ).all()
    in_window = 0
    if rows:
        in_window = int(
            session.execute(
                select(func.count()).select_from(
                    select(DecisionRecord.seq).where(window).limit(RULE_HIT_SAMPLE + 1).subquery()
                )
            ).scalar_one()
        )
    return [(str(row[0]), int(row[1])) for row in rows], in_window > RULE_HIT_SAMPLE


def notice_deadlines(session: Session, now: datetime) -> NoticeDeadlines:
    soon = now + DUE_SOON
    row = session.execute(
        select(
            func.sum(case((Notice.deadline < now, 1), else_=0)),
            func.sum(case((and_(Notice.deadline >= now, Notice.deadline < soon), 1), else_=0)),
            func.sum(case((Notice.deadline >= soon, 1), else_=0)),
        ).where(Notice.state == NoticeState.open.value)
    ).one()
    upcoming = NoticeRepository(session).search(
        state=NoticeState.open.value, deadline_before=None, limit=NEXT_NOTICES, offset=0
    )
    return NoticeDeadlines(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0), upcoming)


def appeal_summary(session: Session) -> AppealSummary:
    rows = session.execute(select(Appeal.state, func.count()).group_by(Appeal.state)).all()
    counts = sorted(
        ((c.rule, c.overturned, c.upheld + c.overturned) for c in appeals_service.rule_counts(session)),
        key=lambda item: (-item[1], -item[2], item[0]),
    )
    return AppealSummary({str(row[0]): int(row[1]) for row in rows}, [c for c in counts if c[2] > 0][:5])


# ---- the page ------------------------------------------------------------------------------------


def _bucket_label(buckets: Buckets, index: int) -> tuple[str, str]:
    start = buckets.edge(index)
    end = buckets.edge(index + 1)
    short = start.strftime("%H:%M") if buckets.size < timedelta(hours=6) else start.strftime("%m-%d %Hh")
    return short, f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} UTC"


def decision_chart(volume: DecisionVolume, t: Translator) -> Any:
    series = [Series(outcome, t(f"dashboard.outcome.{outcome}"), OUTCOME_COLORS[outcome]) for outcome in OUTCOMES]
    known = set(OUTCOMES)
    buckets: list[Bucket] = []
    for index, counts in enumerate(volume.counts):
        short, full = _bucket_label(volume.buckets, index)
        buckets.append(Bucket(short, full, {k: v for k, v in counts.items() if k in known}))
    return stacked_bars(
        buckets,
        series,
        ident="decisions-chart",
        title=t("dashboard.decisions.title"),
        description=t("dashboard.decisions.desc", total=volume.total, buckets=volume.buckets.count),
        max_labels=12 if volume.buckets.count <= 24 else 7,
    )


@router.get("/", include_in_schema=False)
def dashboard(request: Request, console: ConsolePage, window: str = Window.day.value) -> HTMLResponse:
    chosen = Window(window) if window in {w.value for w in Window} else Window.day
    now = utcnow()
    buckets = Buckets.for_window(chosen, now)
    values: dict[str, Any] = {
        "window": chosen.value,
        "windows": [w.value for w in Window],
        "now": now,
        "volume": None,
        "chart": None,
        "rules": None,
        "rules_chart": None,
        "sampled": False,
        "queues": None,
        "notices": None,
        "referrals": None,
        "appeals": None,
        "appeals_chart": None,
        "outcomes": OUTCOMES,
        "sample_size": RULE_HIT_SAMPLE,
    }
    t = console.t
    with unit_of_work(request) as session:
        if console.can(Permission.decisions_read):
            volume = SETTLED.volume(session, buckets, now)
            values["volume"] = volume
            values["chart"] = decision_chart(volume, t)
            rules, sampled = top_rules(session, buckets)
            values["rules"] = rules
            values["sampled"] = sampled
            if rules:
                values["rules_chart"] = horizontal_bars(
                    [BarItem(rule, hits) for rule, hits in rules],
                    ident="rules-chart",
                    title=t("dashboard.rules.title"),
                    description=t("dashboard.rules.desc", count=len(rules)),
                )
        if console.can(Permission.cases_read):
            values["queues"] = cases_service.queue_load(session, now=now)
        if console.can(Permission.notices_read):
            values["notices"] = notice_deadlines(session, now)
            values["referrals"] = referrals_service.answer_watch(
                session, answer_days=runtime_of(request).settings.referral_answer_days, now=now
            )
        if console.can(Permission.appeals_read):
            summary = appeal_summary(session)
            values["appeals"] = summary
            if summary.top_overturned:
                values["appeals_chart"] = horizontal_bars(
                    [
                        BarItem(rule, overturned, note=t("dashboard.appeals.of_decided", decided=decided))
                        for rule, overturned, decided in summary.top_overturned
                    ],
                    ident="appeals-chart",
                    title=t("dashboard.appeals.by_rule"),
                    color=OUTCOME_COLORS["block"],
                )
    return console.render("dashboard.html", **values)
