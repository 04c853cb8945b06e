"""Every table, imported in one place so migrations and ``create_all`` see the whole schema."""

from fanzha.audit.models import AuditEntry
from fanzha.auth.models import ApiKey
from fanzha.decisions.models import DecisionRecord, InboxEvent, OutboxMessage
from fanzha.entities.models import Account, EntityLabel
from fanzha.kit.db import Base
from fanzha.kit.revisions.models import StateRevision
from fanzha.lists.models import IndicatorList, ListEntry
from fanzha.rules.models import RuleSetVersion

__all__ = [
    "Account",
    "ApiKey",
    "AuditEntry",
    "Base",
    "DecisionRecord",
    "EntityLabel",
    "InboxEvent",
    "IndicatorList",
    "ListEntry",
    "OutboxMessage",
    "RuleSetVersion",
    "StateRevision",
]
