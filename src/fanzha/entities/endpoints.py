"""Entity labels and phone bindings over HTTP."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from fanzha.auth.deps import BindingsRead, BindingsWrite, LabelsRead, LabelsWrite
from fanzha.entities import bindings as bindings_service
from fanzha.entities import service as entity_service
from fanzha.entities.models import EntityLabel
from fanzha.entities.schemas import (
    BindingsIn,
    BindingsRecorded,
    BoundAccountOut,
    LabelCreate,
    LabelOut,
    PhoneAccountsOut,
)
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


@router.post(
    "/v1/accounts/bindings",
    response_model=BindingsRecorded,
    tags=["phone bindings"],
    summary="Record phone bindings from the account system",
)
def record_bindings(body: BindingsIn, request: Request, principal: BindingsWrite) -> BindingsRecorded:
    """Up to 10,000 bindings ``{account_id, phone, bound_at, unbound_at?, source?}`` at once.

    Phones are normalised as lists normalise them; a bad phone is a 422 naming each by index, and
    nothing is stored. A current binding (no ``unbound_at``) closes the account's binding to another
    phone; the same binding sent again with ``unbound_at`` records the unbinding.
    """
    with unit_of_work(request) as session:
        outcome = bindings_service.record_from_api(session, bindings=body.bindings, actor=principal.actor)
    return BindingsRecorded(
        recorded=outcome.recorded, updated=outcome.updated, closed=outcome.closed, unchanged=outcome.unchanged
    )


@router.get(
    "/v1/phones/{phone}/accounts",
    response_model=PhoneAccountsOut,
    tags=["phone bindings"],
    summary="Accounts bound to a phone, now and before",
)
def phone_accounts(phone: str, request: Request, principal: BindingsRead) -> PhoneAccountsOut:
    """How many accounts are bound to ``phone`` now (``current``) and ever (``total``), and which, with
    their binding periods (current ones first). Each look-up is written to the audit log."""
    with unit_of_work(request) as session:
        found = bindings_service.accounts_of_phone(session, phone=phone, actor=principal.actor)
        return PhoneAccountsOut(
            phone=found.phone,
            current=found.current,
            total=found.total,
            bindings=[
                BoundAccountOut(
                    account_id=row.account_id,
                    bound_at=row.bound_at,
                    unbound_at=row.unbound_at,
                    current=row.unbound_at is None,
                    source=row.source,
                )
                for row in found.bindings
            ],
        )
