"""API keys over HTTP (admin only)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from fanzha.auth import service as auth_service
from fanzha.auth.deps import KeysAdmin
from fanzha.auth.models import ApiKey
from fanzha.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from fanzha.kit.web import unit_of_work

router = APIRouter(tags=["api keys"])


def _out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut.model_validate(key, from_attributes=True)


@router.post("/v1/apikeys", response_model=ApiKeyCreated, status_code=201, summary="Create an API key")
def create(body: ApiKeyCreate, request: Request, principal: KeysAdmin) -> ApiKeyCreated:
    with unit_of_work(request) as session:
        key, secret = auth_service.create_key(session, name=body.name, role=body.role, actor=principal.actor)
        return ApiKeyCreated(**_out(key).model_dump(), secret=secret)


@router.get("/v1/apikeys", response_model=list[ApiKeyOut], summary="List API keys")
def list_keys(request: Request, principal: KeysAdmin) -> list[ApiKeyOut]:
    with unit_of_work(request) as session:
        return [_out(key) for key in auth_service.list_keys(session)]


@router.delete("/v1/apikeys/{key_id}", response_model=ApiKeyOut, summary="Revoke an API key")
def revoke(key_id: int, request: Request, principal: KeysAdmin) -> ApiKeyOut:
    with unit_of_work(request) as session:
        return _out(auth_service.revoke_key(session, key_id=key_id, actor=principal.actor))
