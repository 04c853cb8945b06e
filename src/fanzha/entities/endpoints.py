"""Entity labels over HTTP."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from fanzha.auth.deps import LabelsRead, LabelsWrite
from fanzha.entities import service as entity_service
from fanzha.entities.models import EntityLabel
from fanzha.entities.schemas import LabelCreate, LabelOut
from fanzha.events.entities import EntityType
from fanzha.kit.web import runtime_of, unit_of_work

router = APIRouter(tags=["labels"])


def _out(label: EntityLabel) -> LabelOut:
    return LabelOut(
        entity_type=label.entity_type,
        value=label.entity_value,
        label=label.label,
        reason=label.reason,
        source=label.source,
        manual=label.manual,
        expires_at=label.expires_at,
        created_at=label.created_at,
        created_by=label.created_by,
    )


@router.post("/v1/labels", response_model=LabelOut, status_code=201, summary="Label an entity")
def set_label(body: LabelCreate, request: Request, principal: LabelsWrite) -> LabelOut:
    """Put a label (``fraud``, ``mule``, ``verified`` ...) on an account, device, phone or payment account."""
    with unit_of_work(request) as session:
        label = entity_service.set_label(
            session,
            entity_type=body.entity_type,
            value=body.value,
            label=body.label,
            reason=body.reason,
            source=body.source,
            manual=body.manual,
            expires_at=body.expires_at,
            actor=principal.actor,
        )
        out = _out(label)
    runtime_of(request).refresh()
    return out


@router.get("/v1/labels/{entity_type}/{value}", response_model=list[LabelOut], summary="Labels of an entity")
def get_labels(entity_type: EntityType, value: str, request: Request, principal: LabelsRead) -> list[LabelOut]:
    with unit_of_work(request) as session:
        return [_out(label) for label in entity_service.labels_of(session, entity_type=entity_type, value=value)]


@router.delete("/v1/labels/{entity_type}/{value}/{label}", status_code=204, summary="Remove a label")
def remove_label(
    entity_type: EntityType,
    value: str,
    label: str,
    request: Request,
    principal: LabelsWrite,
    reason: str | None = None,
) -> Response:
    with unit_of_work(request) as session:
        entity_service.remove_label(
            session,
            entity_type=entity_type,
            value=value,
            label=label,
            manual=True,
            actor=principal.actor,
            reason=reason,
        )
    runtime_of(request).refresh()
    return Response(status_code=204)
