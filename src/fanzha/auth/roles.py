"""Roles and the permissions each one carries. Every endpoint declares the permission it needs."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    decisions_write = "decisions:write"
    decisions_read = "decisions:read"
    rules_read = "rules:read"
    rules_write = "rules:write"
    lists_read = "lists:read"
    lists_write = "lists:write"
    labels_read = "labels:read"
    labels_write = "labels:write"
    screen = "screen"
    metrics_read = "metrics:read"
    keys_admin = "keys:admin"
    cases_read = "cases:read"
    cases_write = "cases:write"
    queues_admin = "queues:admin"
    measures_read = "measures:read"
    measures_write = "measures:write"
    measures_approve = "measures:approve"
    restrictions_read = "restrictions:read"
    reverify_report = "reverify:report"
    statements_read = "statements:read"
    statements_withhold = "statements:withhold"
    appeals_submit = "appeals:submit"
    appeals_read = "appeals:read"
    appeals_decide = "appeals:decide"
    audit_read = "audit:read"
    personal_data_reveal = "personal_data:reveal"
    webhooks_admin = "webhooks:admin"
    reports_submit = "reports:submit"
    notices_read = "notices:read"
    notices_write = "notices:write"
    bindings_read = "bindings:read"
    bindings_write = "bindings:write"
    intel_read = "intel:read"
    intel_write = "intel:write"


class Role(StrEnum):
    """Who holds an API key.

    ``analyst`` reviews cases (first pair of eyes); ``senior_reviewer`` approves irreversible measures
    (the second pair) and handles escalations; ``appeals_officer`` decides appeals; ``police_liaison``
    handles authority requests; ``auditor`` reads everything that is not personal data and the audit log.
    """

    admin = "admin"
    analyst = "analyst"
    senior_reviewer = "senior_reviewer"
    appeals_officer = "appeals_officer"
    police_liaison = "police_liaison"
    api_client = "api_client"
    auditor = "auditor"
    metrics = "metrics"


_CASE_READERS = {Permission.cases_read, Permission.measures_read, Permission.statements_read}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.admin: frozenset(Permission),
    Role.analyst: frozenset(
        {
            Permission.decisions_read,
            Permission.rules_read,
            Permission.rules_write,
            Permission.lists_read,
            Permission.lists_write,
            Permission.labels_read,
            Permission.labels_write,
            Permission.screen,
            *_CASE_READERS,
            Permission.cases_write,
            Permission.restrictions_read,
            Permission.appeals_read,
            Permission.intel_read,
            Permission.intel_write,
            Permission.bindings_read,
        }
    ),
    Role.senior_reviewer: frozenset(
        {
            Permission.decisions_read,
            Permission.rules_read,
            Permission.lists_read,
            Permission.labels_read,
            *_CASE_READERS,
            Permission.cases_write,
            Permission.queues_admin,
            Permission.measures_write,
            Permission.measures_approve,
            Permission.restrictions_read,
            Permission.statements_withhold,
            Permission.appeals_read,
            Permission.personal_data_reveal,
            Permission.bindings_read,
        }
    ),
    Role.appeals_officer: frozenset(
        {
            Permission.decisions_read,
            *_CASE_READERS,
            Permission.restrictions_read,
            Permission.appeals_read,
            Permission.appeals_decide,
            Permission.personal_data_reveal,
        }
    ),
    Role.police_liaison: frozenset(
        {
            *_CASE_READERS,
            Permission.cases_write,
            Permission.statements_withhold,
            Permission.personal_data_reveal,
            Permission.notices_read,
            Permission.notices_write,
            Permission.bindings_read,
        }
    ),
    Role.api_client: frozenset(
        {
            Permission.decisions_write,
            Permission.decisions_read,
            Permission.screen,
            Permission.restrictions_read,
            Permission.reverify_report,
            Permission.statements_read,
            Permission.appeals_submit,
            Permission.appeals_read,
            Permission.reports_submit,
            Permission.bindings_read,
            Permission.bindings_write,
        }
    ),
    Role.auditor: frozenset(
        {
            Permission.decisions_read,
            Permission.rules_read,
            Permission.lists_read,
            Permission.labels_read,
            *_CASE_READERS,
            Permission.appeals_read,
            Permission.restrictions_read,
            Permission.audit_read,
        }
    ),
    Role.metrics: frozenset({Permission.metrics_read}),
}
