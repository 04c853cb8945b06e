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


class Role(StrEnum):
    """Who holds an API key. The due-process roles (reviewers, appeals, police liaison) come later."""

    admin = "admin"
    analyst = "analyst"
    api_client = "api_client"
    auditor = "auditor"
    metrics = "metrics"


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
        }
    ),
    Role.api_client: frozenset({Permission.decisions_write, Permission.decisions_read, Permission.screen}),
    Role.auditor: frozenset(
        {Permission.decisions_read, Permission.rules_read, Permission.lists_read, Permission.labels_read}
    ),
    Role.metrics: frozenset({Permission.metrics_read}),
}
