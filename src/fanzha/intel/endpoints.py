"""Indicator sharing over HTTP: STIX 2.1 bundles out of and into the indicator lists."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from fanzha.auth.deps import IntelRead, IntelWrite
from fanzha.intel import service as intel_service
from fanzha.intel.schemas import ImportOut, SkippedIndicator
from fanzha.kit.errors import InvalidInput, PayloadTooLarge
from fanzha.kit.web import runtime_of, unit_of_work

router = APIRouter(tags=["intel"])

STIX_MEDIA_TYPE = "application/stix+json;version=2.1"


async def _read_bundle(request: Request) -> bytes:
    body = await request.body()
    if len(body) > intel_service.MAX_BUNDLE_BYTES:
        raise PayloadTooLarge(f"a bundle may be at most {intel_service.MAX_BUNDLE_BYTES} bytes")
    return body


def _salts(request: Request) -> dict[str, str]:
    return {group: salt.get_secret_value() for group, salt in runtime_of(request).settings.sharing_salts.items()}


@router.get("/v1/intel/stix", summary="Export lists as a STIX 2.1 bundle", response_class=Response)
def export_stix(
    request: Request,
    principal: IntelRead,
    lists: Annotated[str, Query(min_length=1, max_length=2000, description="Comma-separated list names")],
    tlp: Literal["white", "green", "amber", "red"] = "amber",
    group: Annotated[str | None, Query(max_length=64, description="Sharing group: hash phones/accounts")] = None,
    confidence: Annotated[int, Query(ge=0, le=100)] = 75,
) -> Response:
    """One Indicator per live entry, marked with the TLP level and created by this instance's Identity.

    With ``group``, phone numbers, accounts and payment accounts are shared as SHA-256 hashes salted
    with that group's salt (``FANZHA_SHARING_SALTS``).
    """
    names = [name.strip() for name in lists.split(",") if name.strip()]
    if not names:
        raise InvalidInput("name at least one list", details=[{"field": "lists"}])
    with unit_of_work(request) as session:
        body = intel_service.export_bundle(
            session,
            list_names=names,
            tlp=tlp,
            group=group,
            salts=_salts(request),
            confidence=confidence,
            actor=principal.actor,
        )
    return Response(body, media_type=STIX_MEDIA_TYPE)


@router.post("/v1/intel/stix", response_model=ImportOut, summary="Import a STIX 2.1 bundle")
def import_stix(request: Request, principal: IntelWrite, body: Annotated[bytes, Depends(_read_bundle)]) -> ImportOut:
    """Validate the whole bundle, then put its indicators on the ``intel_*`` lists with their provenance.

    A revoked indicator withdraws the entry its source shared earlier. An invalid bundle is refused
    with 422 and nothing is stored; patterns fanzha does not map are skipped and reported.
    """
    with unit_of_work(request) as session:
        summary = intel_service.import_bundle(session, raw=body, actor=principal.actor)
    runtime_of(request).lists.refresh()
    return ImportOut(
        bundle_id=summary.bundle_id,
        imported=summary.imported,
        withdrawn=summary.withdrawn,
        skipped_count=summary.skipped_count,
        skipped=[SkippedIndicator.model_validate(item) for item in summary.skipped],
    )
