"""FastAPI dependencies for authentication. An endpoint without one of these is public."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from fanzha.auth.roles import Permission
from fanzha.auth.service import Authenticator, Principal


def _authenticator(request: Request) -> Authenticator:
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator


def Authorize(permission: Permission) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency requiring a valid API key whose role grants ``permission``."""

    # A plain async function on purpose: FastAPI runs sync dependencies in a worker thread (a
    # costly hop per request) and re-inspects callable instances on every call.
    async def authorize(request: Request) -> Principal:
        principal = _authenticator(request).authenticate(request.headers.get("authorization"))
        principal.require(permission)
        return principal

    return authorize


DecisionsWrite = Annotated[Principal, Depends(Authorize(Permission.decisions_write))]
DecisionsRead = Annotated[Principal, Depends(Authorize(Permission.decisions_read))]
RulesRead = Annotated[Principal, Depends(Authorize(Permission.rules_read))]
RulesWrite = Annotated[Principal, Depends(Authorize(Permission.rules_write))]
ListsRead = Annotated[Principal, Depends(Authorize(Permission.lists_read))]
ListsWrite = Annotated[Principal, Depends(Authorize(Permission.lists_write))]
LabelsRead = Annotated[Principal, Depends(Authorize(Permission.labels_read))]
LabelsWrite = Annotated[Principal, Depends(Authorize(Permission.labels_write))]
MetricsRead = Annotated[Principal, Depends(Authorize(Permission.metrics_read))]
KeysAdmin = Annotated[Principal, Depends(Authorize(Permission.keys_admin))]
CasesRead = Annotated[Principal, Depends(Authorize(Permission.cases_read))]
CasesWrite = Annotated[Principal, Depends(Authorize(Permission.cases_write))]
QueuesAdmin = Annotated[Principal, Depends(Authorize(Permission.queues_admin))]
MeasuresRead = Annotated[Principal, Depends(Authorize(Permission.measures_read))]
MeasuresWrite = Annotated[Principal, Depends(Authorize(Permission.measures_write))]
MeasuresApprove = Annotated[Principal, Depends(Authorize(Permission.measures_approve))]
RestrictionsRead = Annotated[Principal, Depends(Authorize(Permission.restrictions_read))]
ReverifyReport = Annotated[Principal, Depends(Authorize(Permission.reverify_report))]
StatementsRead = Annotated[Principal, Depends(Authorize(Permission.statements_read))]
StatementsWithhold = Annotated[Principal, Depends(Authorize(Permission.statements_withhold))]
AppealsSubmit = Annotated[Principal, Depends(Authorize(Permission.appeals_submit))]
AppealsRead = Annotated[Principal, Depends(Authorize(Permission.appeals_read))]
AppealsDecide = Annotated[Principal, Depends(Authorize(Permission.appeals_decide))]
AuditRead = Annotated[Principal, Depends(Authorize(Permission.audit_read))]
WebhooksAdmin = Annotated[Principal, Depends(Authorize(Permission.webhooks_admin))]
ReportsSubmit = Annotated[Principal, Depends(Authorize(Permission.reports_submit))]
NoticesRead = Annotated[Principal, Depends(Authorize(Permission.notices_read))]
NoticesWrite = Annotated[Principal, Depends(Authorize(Permission.notices_write))]
BindingsRead = Annotated[Principal, Depends(Authorize(Permission.bindings_read))]
BindingsWrite = Annotated[Principal, Depends(Authorize(Permission.bindings_write))]
IntelRead = Annotated[Principal, Depends(Authorize(Permission.intel_read))]
IntelWrite = Annotated[Principal, Depends(Authorize(Permission.intel_write))]
