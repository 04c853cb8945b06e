"""The due-process background jobs a server runs every second, in one place.

Who handles which topic (the subscriptions) is decided here, so ``decisions/`` never learns that
cases or measures exist: it only writes ``decision.made`` to the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from fanzha.bus.dispatcher import Dispatcher, HandlerRegistry
from fanzha.cases import service as cases_service
from fanzha.cases.handlers import on_decision_made
from fanzha.entities.bindings import PHONE_TOPIC
from fanzha.entities.handlers import on_phone_seen
from fanzha.kit.clock import utcnow
from fanzha.kit.db import transaction
from fanzha.lists.service import EntryChange
from fanzha.measures import service as measures_service
from fanzha.notices import service as notices_service
from fanzha.reports.handlers import on_case_ended
from fanzha.webhooks import service as webhooks_service

log = logging.getLogger(__name__)


def default_registry() -> HandlerRegistry:
    registry = HandlerRegistry()
    registry.subscribe("decision.made", "cases.open_or_join", on_decision_made)
    registry.subscribe(PHONE_TOPIC, "entities.phone_binding", on_phone_seen)
    registry.subscribe("case.ended", "reports.outcome", on_case_ended)
    for topic in webhooks_service.TOPICS:
        registry.subscribe(topic, "webhooks.enqueue", webhooks_service.enqueue)
    return registry


@dataclass
class TickReport:
    messages: int = 0
    ended_measures: int = 0
    escalated_cases: int = 0
    notice_warnings: int = 0
    overdue_notices: int = 0
    webhooks_sent: int = 0


class DueProcessJobs:
    """Dispatch the outbox, end measures whose term is over, lapse rectifications and re-verifications,
    escalate cases past their SLA, warn of and mark police notices near or past their deadline, and
    send webhooks. Safe to run in several processes at once."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        registry: HandlerRegistry | None = None,
        sender: webhooks_service.Sender = webhooks_service.http_sender,
        on_list_changes: Callable[[Sequence[EntryChange]], None] | None = None,
        notice_warning_hours: float = notices_service.DEFAULT_DEADLINE_WARNING_HOURS,
    ) -> None:
        self._sessions = sessions
        self.dispatcher = Dispatcher(sessions, registry or default_registry())
        self.sender = sender
        self._on_list_changes = on_list_changes
        self._notice_warning = timedelta(hours=notice_warning_hours)

    def tick(self, *, now: datetime | None = None) -> TickReport:
        """One round of every job; a failing job is logged and does not stop the others."""
        now = now or utcnow()
        report = TickReport()
        try:
            report.messages = self.dispatcher.run_once(now=now)
        except Exception:
            log.exception("bus dispatch failed")
        try:
            with transaction(self._sessions) as session:
                outcome = measures_service.expire_due(session, now=now)
                outcome.extend(measures_service.lapse_overdue_rectifications(session, now=now))
                outcome.extend(measures_service.expire_overdue_reverifications(session, now=now))
            report.ended_measures = len(outcome.measures)
            if outcome.list_changes and self._on_list_changes is not None:
                self._on_list_changes(outcome.list_changes)
        except Exception:
            log.exception("measure expiry failed")
        try:
            with transaction(self._sessions) as session:
                report.escalated_cases = cases_service.escalate_overdue(session, now=now)
        except Exception:
            log.exception("SLA escalation failed")
        try:
            with transaction(self._sessions) as session:
                watched = notices_service.watch_deadlines(session, now=now, warning=self._notice_warning)
            report.notice_warnings, report.overdue_notices = watched.warned, watched.overdue
        except Exception:
            log.exception("notice deadline watch failed")
        try:
            # Messages published by the jobs above go out in this same tick.
            self.dispatcher.run_once(now=now)
            report.webhooks_sent = webhooks_service.deliver_due(self._sessions, sender=self.sender, now=now)
        except Exception:
            log.exception("webhook delivery failed")
        return report
