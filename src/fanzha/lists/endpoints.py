"""Indicator lists over HTTP."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from fanzha.auth.deps import ListsRead, ListsWrite
from fanzha.kit.web import runtime_of, unit_of_work
from fanzha.lists import service as lists_service
from fanzha.lists.schemas import (
    IndicatorListOut,
    ListCreate,
    ListEntryCreate,
    ListEntryOut,
    ListEntryPage,
)

router = APIRouter(tags=["lists"])

ListNamePath = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,99}$")]


@router.get("/v1/lists", response_model=list[IndicatorListOut], summary="All lists")
def list_lists(request: Request, principal: ListsRead) -> list[IndicatorListOut]:
    with unit_of_work(request) as session:
        return [
            IndicatorListOut.model_validate(item, from_attributes=True) for item in lists_service.all_lists(session)
        ]


@router.put("/v1/lists/{name}", response_model=IndicatorListOut, summary="Create a list")
def create(name: ListNamePath, body: ListCreate, request: Request, principal: ListsWrite) -> IndicatorListOut:
    """Create a list of one kind: phone, domain, url, ip, device, account, payment_account, email, keyword."""
    with unit_of_work(request) as session:
        created = lists_service.create_list(
            session, name=name, kind=body.kind, description=body.description, actor=principal.actor
        )
        out = IndicatorListOut.model_validate(created, from_attributes=True)
    runtime_of(request).lists.refresh()
    return out


@router.post("/v1/lists/{name}/entries", response_model=ListEntryOut, status_code=201, summary="Add an entry")
def add_entry(name: ListNamePath, body: ListEntryCreate, request: Request, principal: ListsWrite) -> ListEntryOut:
    """Put a value on a list (it is normalised first: E.164 phones, lower-case domains, ...)."""
    with unit_of_work(request) as session:
        entry, change = lists_service.add_entry(
            session,
            list_name=name,
            value=body.value,
            reason=body.reason,
            source=body.source,
            expires_at=body.expires_at,
            actor=principal.actor,
        )
        out = ListEntryOut.model_validate(lists_service.entry_to_dict(entry))
    runtime_of(request).lists.apply(change)
    return out


@router.get("/v1/lists/{name}/entries", response_model=ListEntryPage, summary="List entries")
def entries(
    name: ListNamePath,
    request: Request,
    principal: ListsRead,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    prefix: str | None = None,
) -> ListEntryPage:
    with unit_of_work(request) as session:
        rows = lists_service.entries(session, list_name=name, limit=limit, offset=offset, prefix=prefix)
        items = [ListEntryOut.model_validate(lists_service.entry_to_dict(row)) for row in rows]
    return ListEntryPage(items=items, limit=limit, offset=offset)


@router.get("/v1/lists/{name}/entries/{value}", response_model=ListEntryOut, summary="Get an entry")
def get_entry(name: ListNamePath, value: str, request: Request, principal: ListsRead) -> ListEntryOut:
    with unit_of_work(request) as session:
        entry = lists_service.find_entry(session, list_name=name, value=value)
        return ListEntryOut.model_validate(lists_service.entry_to_dict(entry))


@router.delete("/v1/lists/{name}/entries/{value}", status_code=204, summary="Remove an entry")
def delete_entry(
    name: ListNamePath, value: str, request: Request, principal: ListsWrite, reason: str | None = None
) -> Response:
    with unit_of_work(request) as session:
        change = lists_service.remove_entry(session, list_name=name, value=value, actor=principal.actor, reason=reason)
    runtime_of(request).lists.apply(change)
    return Response(status_code=204)
