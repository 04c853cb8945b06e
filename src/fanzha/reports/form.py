"""The HTML report form, for people without an API client: ``GET``/``POST /report`` and ``GET /report/status``.

Who reports: a reporter token signed by the platform (see :mod:`fanzha.reports.signing`), from the
``X-Fanzha-Reporter`` header a gateway sets, else from the ``reporter`` query parameter of the link
(carried on in a hidden field); with ``FANZHA_REPORT_FORM_ANONYMOUS`` a form without one files as a
keyed pseudonym of the client address. A bare or altered reporter id is refused (403).

The post must carry the form's signed CSRF token for the same reporter; it then goes through the
same validation (:class:`ReportIn`), rate limit and clustering as ``POST /v1/reports``. Evidence
files are checked by their content, stored by hash, and referenced like API evidence. Bad input
re-renders the form with the messages beside the fields (422; 403 for a CSRF failure, 429 over the
rate limit); a good report redirects (303) to its status page, which shows the reference to keep.

The status page shows the state and the outcome notice only: nothing about the reported subject.
Pages are self-contained: one embedded stylesheet (allowed by a CSP nonce), no script, no external
asset, ``Referrer-Policy: no-referrer`` (the links carry tokens) and ``Cache-Control: no-store``.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from fanzha.kit.clock import ensure_utc
from fanzha.kit.errors import NotFound
from fanzha.kit.web import runtime_of, unit_of_work
from fanzha.reports import evidence as evidence_files
from fanzha.reports import service as reports_service
from fanzha.reports import signing
from fanzha.reports.schemas import (
    MAX_EVIDENCE_BYTES,
    MAX_EVIDENCE_FILES,
    MAX_TEXT,
    FraudCategory,
    ReportIn,
    ReportOutcome,
)
from fanzha.reports.vocabulary import (
    CATEGORY_LABELS,
    FORM_ERRORS,
    OUTCOME_LABELS,
    PAGE_TEXT,
    REFUSALS,
    STATUS_LABELS,
    SUBJECT_LABELS,
    label,
)
from fanzha.settings import Settings

router = APIRouter(include_in_schema=False)

REPORTER_HEADER = "x-fanzha-reporter"
LANGUAGES = ("zh", "en")
FORM_ACTOR = "web:report_form"
MAX_FIELD_BYTES = 64 * 1024
_FIELDS = ("category", "subject_type", "subject_id", "text")


@cache
def templates() -> Environment:
    directory = resources.files("fanzha.reports").joinpath("templates")
    return Environment(
        loader=FileSystemLoader(str(directory)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def negotiate(explicit: str | None, accept_language: str | None) -> str:
    """``?lang=`` when it names zh or en; else the best of zh/en in ``Accept-Language``; else zh.

    A header that names only other languages gets English, the likelier second language.
    """
    if explicit in LANGUAGES:
        return str(explicit)
    if not accept_language:
        return "zh"
    best: tuple[float, str] | None = None
    for item in accept_language.split(",")[:20]:
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = "zh" if primary in ("zh", "*") else primary
        # Strictly better only: of equal weights, the one the browser lists first wins.
        if language in LANGUAGES and quality > 0 and (best is None or quality > best[0]):
            best = (quality, language)
    return best[1] if best is not None else "en"


@dataclass
class Page:
    """What one rendering of the form needs besides the request."""

    lang: str
    reporter_id: str
    reporter_token: str = ""
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    good_faith: bool = False


def _texts(lang: str) -> dict[str, str]:
    return {key: label(pair, lang) for key, pair in PAGE_TEXT.items()}


def _error(key: str, lang: str, **values: object) -> str:
    return label(FORM_ERRORS[key], lang).format(**values)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def _file_limit(settings: Settings) -> int:
    # The body limit is the real ceiling for one file: a larger one never reaches the form.
    return min(MAX_EVIDENCE_BYTES, settings.max_request_bytes)


def _html(name: str, *, lang: str, status: int, **context: Any) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    body = templates().get_template(name).render(lang=lang, t=_texts(lang), nonce=nonce, **context)
    response = HTMLResponse(body, status_code=status)
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; form-action 'self'; base-uri 'none'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Language"] = "zh-CN" if lang == "zh" else "en"
    return response


def _switch_href(path: str, params: Mapping[str, str], lang: str) -> str:
    query = {key: value for key, value in params.items() if key in ("reporter", "ref", "received") and value}
    query["lang"] = "en" if lang == "zh" else "zh"
    return f"{path}?{urlencode(query)}"


def _form_page(settings: Settings, key: bytes, page: Page, *, status: int) -> HTMLResponse:
    limit = _file_limit(settings)
    lang = page.lang
    return _html(
        "form.html",
        lang=lang,
        status=status,
        switch_href=_switch_href("/report", {"reporter": page.reporter_token}, lang),
        categories=[(category.value, label(CATEGORY_LABELS[category], lang)) for category in FraudCategory],
        subject_types=[(kind.value, label(pair, lang)) for kind, pair in SUBJECT_LABELS.items()],
        values={name: page.values.get(name, "") for name in _FIELDS},
        errors=page.errors,
        good_faith=page.good_faith,
        csrf_token=signing.csrf_token(key, page.reporter_id, now=int(time.time())),
        reporter_token=page.reporter_token,
        max_text=MAX_TEXT,
        evidence_hint=label(PAGE_TEXT["evidence_hint"], lang).format(
            count=MAX_EVIDENCE_FILES, file_mb=_mb(limit), total_mb=_mb(settings.max_request_bytes)
        ),
    )


def _message_page(lang: str, *, status: int, title_key: str, message: str) -> HTMLResponse:
    return _html("message.html", lang=lang, status=status, title_key=title_key, message=message)


def _identify(request: Request, settings: Settings, key: bytes, carried: str | None) -> tuple[str, str]:
    """(reporter id, token to carry in the form); the gateway's header wins over the link's parameter."""
    header = request.headers.get(REPORTER_HEADER)
    now = int(time.time())
    if header:
        return signing.verify_reporter(key, header, now=now), ""
    if carried:
        return signing.verify_reporter(key, carried, now=now), carried
    if settings.report_form_anonymous:
        address = request.client.host if request.client is not None else "unknown"
        return signing.anonymous_reporter(key, address), ""
    raise signing.ReporterRefused(
        "no reporter: open the form from inside the platform",
        reason="missing",
        zh="无法识别举报人：请从平台内打开举报表单",
    )


def _refusal(error: signing.ReporterRefused | signing.FormUnavailable, lang: str) -> HTMLResponse:
    if isinstance(error, signing.FormUnavailable):
        return _message_page(lang, status=503, title_key="refused_title", message=label(PAGE_TEXT["unavailable"], lang))
    return _message_page(lang, status=403, title_key="refused_title", message=label(REFUSALS[error.reason], lang))


@router.get("/report", response_class=HTMLResponse)
def report_form(request: Request, lang: str | None = None, reporter: str | None = None) -> Response:
    """The empty form, in the reporter's language."""
    language = negotiate(lang, request.headers.get("accept-language"))
    settings = runtime_of(request).settings
    try:
        key = signing.form_key(settings)
        reporter_id, token = _identify(request, settings, key, reporter)
    except (signing.ReporterRefused, signing.FormUnavailable) as error:
        return _refusal(error, language)
    return _form_page(settings, key, Page(language, reporter_id, token), status=200)


@dataclass
class _Upload:
    name: str
    data: bytes


def _check_fields(values: dict[str, str], good_faith: bool, lang: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if values["category"] not in {category.value for category in FraudCategory}:
        errors["category"] = _error("category", lang)
    if values["subject_type"] not in {kind.value for kind in SUBJECT_LABELS}:
        errors["subject_type"] = _error("subject_type", lang)
    if not values["subject_id"].strip() or len(values["subject_id"].strip()) > signing.MAX_REPORTER_ID:
        errors["subject_id"] = _error("subject_id", lang)
    # A notice must explain itself (DSA art. 16(2)(a)): the form asks for a description the API leaves optional.
    if not values["text"].strip() or len(values["text"]) > MAX_TEXT:
        errors["text"] = _error("text", lang)
    if not good_faith:
        errors["good_faith"] = _error("good_faith", lang)
    return errors


async def _read_uploads(
    items: list[UploadFile], settings: Settings, lang: str, errors: dict[str, str]
) -> list[_Upload]:
    """The uploaded files, read up to the per-file limit; problems go into ``errors["evidence"]``."""
    limit = _file_limit(settings)
    problems: list[str] = []
    if len(items) > MAX_EVIDENCE_FILES:
        problems.append(_error("evidence_count", lang, count=MAX_EVIDENCE_FILES))
    uploads: list[_Upload] = []
    for item in items[:MAX_EVIDENCE_FILES]:
        name = evidence_files.clean_filename(item.filename) or "?"
        data = await item.read(limit + 1)
        if len(data) > limit:
            problems.append(_error("evidence_size", lang, name=name, mb=_mb(limit)))
        elif not data:
            problems.append(_error("evidence_empty", lang, name=name))
        elif evidence_files.sniff(data) is None:
            problems.append(_error("evidence_type", lang, name=name))
        else:
            uploads.append(_Upload(name, data))
    if problems:
        errors["evidence"] = " ".join(problems)
    return uploads


@router.post("/report", response_class=HTMLResponse)
async def submit_report(request: Request) -> Response:
    """File the report the form describes, or show the form again with what to correct."""
    fallback = negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))
    try:
        form = await request.form(max_files=MAX_EVIDENCE_FILES * 2, max_fields=20, max_part_size=MAX_FIELD_BYTES)
    except HTTPException:
        # Not a form this page sent (too many parts, a field too large, not form-encoded).
        return _message_page(fallback, status=400, title_key="title", message=_error("form", fallback))
    try:
        return await _submit(request, form)
    finally:
        await form.close()  # the spooled upload files


async def _submit(request: Request, form: FormData) -> Response:
    settings = runtime_of(request).settings
    values = {name: str(form.get(name) or "") for name in (*_FIELDS, "lang", "reporter", "csrf_token")}
    lang = negotiate(values["lang"] or request.query_params.get("lang"), request.headers.get("accept-language"))
    try:
        key = signing.form_key(settings)
        reporter_id, token = _identify(request, settings, key, values["reporter"] or None)
    except (signing.ReporterRefused, signing.FormUnavailable) as error:
        return _refusal(error, lang)
    page = Page(lang, reporter_id, token, values, good_faith=form.get("good_faith") is not None)
    cross_site = request.headers.get("sec-fetch-site") == "cross-site"
    if cross_site or not signing.csrf_valid(key, values["csrf_token"], reporter_id, now=int(time.time())):
        page.errors["form"] = _error("csrf", lang)
        return _form_page(settings, key, page, status=403)
    page.errors = _check_fields(values, page.good_faith, lang)
    items = [item for item in form.getlist("evidence") if isinstance(item, UploadFile) and (item.filename or item.size)]
    uploads = await _read_uploads(items, settings, lang, page.errors)
    if page.errors:
        return _form_page(settings, key, page, status=422)
    return await run_in_threadpool(_file, request, settings, key, page, uploads)


def _file(request: Request, settings: Settings, key: bytes, page: Page, uploads: list[_Upload]) -> Response:
    """Validate as the API does, file, then keep the evidence bytes (only for a report that was accepted)."""
    evidence = []
    for upload in uploads:
        kind = evidence_files.sniff(upload.data)
        digest = hashlib.sha256(upload.data).hexdigest()
        evidence.append(
            {
                "sha256": digest,
                "type": kind,
                "size_bytes": len(upload.data),
                "uri": evidence_files.URI_PREFIX + digest,
                "description": f"report form upload: {upload.name}"[:500],
            }
        )
    try:
        body = ReportIn.model_validate(
            {
                "reporter": {"id": page.reporter_id},
                "subjects": [{"type": page.values["subject_type"], "id": page.values["subject_id"]}],
                "category": page.values["category"],
                "text": page.values["text"],
                "evidence": evidence,
            }
        )
    except ValidationError as error:
        for item in error.errors(include_url=False, include_input=False):
            where = str(item["loc"][0]) if item["loc"] else "form"
            name = {"subjects": "subject_id", "reporter": "form"}.get(where, where)
            page.errors.setdefault(name, _error(name if name in FORM_ERRORS else "form", page.lang))
        return _form_page(settings, key, page, status=422)
    try:
        with unit_of_work(request) as session:
            filed = reports_service.file_report(session, body=body, actor=FORM_ACTOR)
            for upload in uploads:
                kind = evidence_files.sniff(upload.data)
                if kind is not None:
                    evidence_files.store(
                        settings.data_dir / evidence_files.EVIDENCE_DIR, upload.data, kind=kind, filename=upload.name
                    )
            ref = reports_service.reference(filed.report)
    except reports_service.TooManyReports:
        page.errors["form"] = _error("rate_limited", page.lang)
        return _form_page(settings, key, page, status=429)
    if filed.list_changes:
        runtime_of(request).lists.refresh()
    query = urlencode({"ref": ref, "lang": page.lang, "received": "1"})
    return RedirectResponse(f"{reports_service.STATUS_PATH}?{query}", status_code=303)


@router.get("/report/status", response_class=HTMLResponse)
def report_status(request: Request, ref: str | None = None, lang: str | None = None, received: str = "") -> Response:
    """The state and outcome of the report a reference names; no personal data of anyone."""
    language = negotiate(lang, request.headers.get("accept-language"))
    common: dict[str, Any] = {
        "switch_href": _switch_href("/report/status", request.query_params, language),
        "ref": ref or "",
    }
    if not ref:
        return _html("status.html", lang=language, status=200, report=None, not_found=False, received=False, **common)
    try:
        with unit_of_work(request) as session:
            report = reports_service.by_reference(session, ref[:100])
            shown = {
                "reference": reports_service.reference(report),
                "category": _category_label(report.category, language),
                "received_at": _when(report.received_at),
                "status": label(STATUS_LABELS["decided" if report.outcome else "received"], language),
                "outcome": _outcome_label(report.outcome, language),
                "outcome_at": _when(report.outcome_at) if report.outcome_at else "",
                "notice": (report.outcome_text_zh if language == "zh" else report.outcome_text_en) or "",
            }
    except NotFound:
        return _html("status.html", lang=language, status=404, report=None, not_found=True, received=False, **common)
    return _html(
        "status.html", lang=language, status=200, report=shown, not_found=False, received=received == "1", **common
    )


def _category_label(code: str, lang: str) -> str:
    try:
        return label(CATEGORY_LABELS[FraudCategory(code)], lang)
    except ValueError:
        return code


def _outcome_label(outcome: str | None, lang: str) -> str:
    if outcome is None:
        return ""
    try:
        return label(OUTCOME_LABELS[ReportOutcome(outcome)], lang)
    except ValueError:
        return outcome


def _when(moment: datetime) -> str:
    return ensure_utc(moment).strftime("%Y-%m-%d %H:%M UTC")
