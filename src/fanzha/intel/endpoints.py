"""Indicator sharing over HTTP: STIX 2.1 bundles and MISP events out of and into the indicator lists."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from fanzha.auth.deps import IntelRead, IntelWrite
from fanzha.intel import service as intel_service
from fanzha.intel.indicators import SharingIdentity
from fanzha.intel.schemas import ImportOut, SkippedIndicator
from fanzha.kit.errors import InvalidInput, PayloadTooLarge
from fanzha.kit.web import runtime_of, unit_of_work

router = APIRouter(tags=["intel"])

STIX_MEDIA_TYPE = "application/stix+json;version=2.1"

ListNames = Annotated[str, Query(min_length=1, max_length=2000, description="Comma-separated list names")]
Tlp = Literal["white", "green", "amber", "red"]
Group = Annotated[str | None, Query(max_length=64, description="Sharing group: hash phones/accounts")]
Confidence = Annotated[int, Query(ge=0, le=100)]
WithdrawnDays = Annotated[
    int, Query(ge=0, le=3650, description="Entries removed here in this many past days go out as withdrawn")
]


async def _read_body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > intel_service.MAX_BUNDLE_BYTES:
        raise PayloadTooLarge(
            f"a bundle may be at most {intel_service.MAX_BUNDLE_BYTES} bytes",
            zh=f"情报包不得超过 {intel_service.MAX_BUNDLE_BYTES} 字节",
        )
    return body


def _identity(request: Request) -> SharingIdentity:
    settings = runtime_of(request).settings
    return SharingIdentity.of(settings.sharing_identity_name, settings.sharing_identity_id)


def _names(lists: str) -> list[str]:
    names = [name.strip() for name in lists.split(",") if name.strip()]
    if not names:
        raise InvalidInput("name at least one list", details=[{"field": "lists"}], zh="请至少指定一个名单")
    return names


def _import_out(summary: intel_service.ImportSummary) -> ImportOut:
    return ImportOut(
        bundle_id=summary.bundle_id,
        imported=summary.imported,
        withdrawn=summary.withdrawn,
        skipped_count=summary.skipped_count,
        skipped=[SkippedIndicator.model_validate(item) for item in summary.skipped],
    )


@router.get("/v1/intel/stix", summary="Export lists as a STIX 2.1 bundle", response_class=Response)
def export_stix(
    request: Request,
    principal: IntelRead,
    lists: ListNames,
    tlp: Tlp = "amber",
    group: Group = None,
    confidence: Confidence = 75,
    withdrawn_days: WithdrawnDays = 90,
) -> Response:
    """One Indicator per live entry, marked with the TLP level and created by this instance's Identity
    (``FANZHA_SHARING_IDENTITY_NAME``, ``FANZHA_SHARING_IDENTITY_ID``).

    Entries removed here in the last ``withdrawn_days`` (by hand, a lifted measure, a reversed appeal, a
    partner's revocation) go out as revoked Indicators, so partners withdraw them. With ``group``,
    phone numbers, accounts and payment accounts are shared as SHA-256 hashes salted with that group's
    salt (``FANZHA_SHARING_SALTS``).
    """
    names = _names(lists)
    with unit_of_work(request) as session:
        body = intel_service.export_bundle(
            session,
            list_names=names,
            tlp=tlp,
            group=group,
            salts=runtime_of(request).settings.sharing_salt_values(),
            confidence=confidence,
            identity=_identity(request),
            withdrawn_days=withdrawn_days,
            actor=principal.actor,
        )
    return Response(body, media_type=STIX_MEDIA_TYPE)


@router.post("/v1/intel/stix", response_model=ImportOut, summary="Import a STIX 2.1 bundle")
def import_stix(request: Request, principal: IntelWrite, body: Annotated[bytes, Depends(_read_body)]) -> ImportOut:
    """Validate the whole bundle, then put its indicators on the ``intel_*`` lists with their provenance.

    A revoked indicator withdraws the entry its source shared earlier. An invalid bundle is refused
    with 422 and nothing is stored; patterns fanzha does not map are skipped and reported.
    """
    with unit_of_work(request) as session:
        summary = intel_service.import_bundle(session, raw=body, actor=principal.actor)
    runtime_of(request).lists.refresh()
    return _import_out(summary)


@router.get("/v1/intel/misp", summary="Export lists as a MISP event", response_class=Response)
def export_misp(
    request: Request,
    principal: IntelRead,
    lists: ListNames,
    tlp: Tlp = "amber",
    group: Group = None,
    confidence: Confidence = 75,
    withdrawn_days: WithdrawnDays = 90,
) -> Response:
    """One MISP event (core format): an Attribute per live entry (``ip-dst``, ``domain``, ``url``,
    ``phone-number``, ``bank-account-nr``, ``email-src``, or ``text`` with a ``fanzha:kind`` tag), the
    TLP tag and distribution, ``first_seen``/``last_seen``, and a ``fanzha:confidence`` tag.

    Entries removed here in the last ``withdrawn_days`` go out as deleted attributes; ``group`` hashes
    phones, accounts and payment accounts as in the STIX export.
    """
    names = _names(lists)
    with unit_of_work(request) as session:
        body = intel_service.export_misp(
            session,
            list_names=names,
            tlp=tlp,
            group=group,
            salts=runtime_of(request).settings.sharing_salt_values(),
            confidence=confidence,
            identity=_identity(request),
            withdrawn_days=withdrawn_days,
            actor=principal.actor,
        )
    return Response(body, media_type="application/json")


@router.post("/v1/intel/misp", response_model=ImportOut, summary="Import a MISP event")
def import_misp(request: Request, principal: IntelWrite, body: Annotated[bytes, Depends(_read_body)]) -> ImportOut:
    """Validate the whole document (``{"Event": ...}`` or ``{"response": [...]}``), then put its attributes
    on the ``intel_*`` lists with their provenance (``misp:<organisation>; tlp:<level>``).

    A deleted attribute withdraws the entry the same organisation shared earlier. An invalid document
    or value is refused with 422 and nothing is stored; attribute types fanzha does not map are
    skipped and reported.
    """
    with unit_of_work(request) as session:
        summary = intel_service.import_misp(session, raw=body, actor=principal.actor)
    runtime_of(request).lists.refresh()
    return _import_out(summary)
