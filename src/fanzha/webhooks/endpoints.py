"""Webhook endpoints over HTTP (admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from fanzha.auth.deps import WebhooksAdmin
from fanzha.kit.web import unit_of_work
from fanzha.webhooks import service as webhooks_service
from fanzha.webhooks.schemas import DeliveryOut, WebhookCreate, WebhookCreated, WebhookOut

router = APIRouter(tags=["webhooks"])


@router.post("/v1/webhooks", response_model=WebhookCreated, status_code=201, summary="Register a webhook")
def create(body: WebhookCreate, request: Request, principal: WebhooksAdmin) -> WebhookCreated:
    """Deliveries are signed: ``Fanzha-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``."""
    with unit_of_work(request) as session:
        endpoint, secret = webhooks_service.create_endpoint(
            session, url=body.url, topics=body.topics, actor=principal.actor
        )
        out = WebhookOut.model_validate(endpoint, from_attributes=True)
    return WebhookCreated(**out.model_dump(), secret=secret)


@router.get("/v1/webhooks", response_model=list[WebhookOut], summary="List webhooks")
def list_endpoints(request: Request, principal: WebhooksAdmin) -> list[WebhookOut]:
    with unit_of_work(request) as session:
        return [WebhookOut.model_validate(e, from_attributes=True) for e in webhooks_service.endpoints(session)]


@router.delete("/v1/webhooks/{endpoint_id}", response_model=WebhookOut, summary="Stop a webhook")
def deactivate(endpoint_id: int, request: Request, principal: WebhooksAdmin) -> WebhookOut:
    with unit_of_work(request) as session:
        endpoint = webhooks_service.deactivate(session, endpoint_id=endpoint_id, actor=principal.actor)
        return WebhookOut.model_validate(endpoint, from_attributes=True)


@router.get("/v1/webhooks/deliveries", response_model=list[DeliveryOut], summary="Recent deliveries")
def list_deliveries(
    request: Request,
    principal: WebhooksAdmin,
    endpoint_id: int | None = None,
    pending: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeliveryOut]:
    with unit_of_work(request) as session:
        rows = webhooks_service.deliveries(session, endpoint_id=endpoint_id, pending_only=pending, limit=limit)
        return [DeliveryOut.model_validate(row, from_attributes=True) for row in rows]
