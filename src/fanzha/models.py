"""Every table, imported in one place so migrations and ``create_all`` see the whole schema."""

from fanzha.appeals.models import Appeal, RuleAppealCount
from fanzha.audit.models import AuditEntry
from fanzha.auth.models import ApiKey
from fanzha.bus.models import BusDelivery
from fanzha.cases.models import Case, CaseEvidence, CaseSubject, CaseTransition, EvidenceRelease, ReviewQueue
from fanzha.console.models import ConsoleSession, ConsoleUser
from fanzha.decisions.models import DecisionRecord, InboxEvent, OutboxMessage
from fanzha.earlywarning.models import VictimWarning
from fanzha.entities.models import Account, EntityLabel, PhoneBinding
from fanzha.kit.db import Base
from fanzha.kit.revisions.models import StateRevision
from fanzha.lists.models import IndicatorList, ListEntry
from fanzha.measures.models import Measure, ReverifyTask, Statement, Strike
from fanzha.notices.models import Notice, NoticeIdentifier
from fanzha.referrals.models import Referral, ReferralFeedback
from fanzha.reports.models import Report, Reporter, ReportSubject
from fanzha.rules.models import RuleSetVersion
from fanzha.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = [
    "Account",
    "ApiKey",
    "Appeal",
    "AuditEntry",
    "Base",
    "BusDelivery",
    "Case",
    "CaseEvidence",
    "CaseSubject",
    "CaseTransition",
    "ConsoleSession",
    "ConsoleUser",
    "DecisionRecord",
    "EntityLabel",
    "EvidenceRelease",
    "InboxEvent",
    "IndicatorList",
    "ListEntry",
    "Measure",
    "Notice",
    "NoticeIdentifier",
    "OutboxMessage",
    "PhoneBinding",
    "Referral",
    "ReferralFeedback",
    "Report",
    "ReportSubject",
    "Reporter",
    "ReverifyTask",
    "ReviewQueue",
    "RuleAppealCount",
    "RuleSetVersion",
    "StateRevision",
    "Statement",
    "Strike",
    "VictimWarning",
    "WebhookDelivery",
    "WebhookEndpoint",
]
