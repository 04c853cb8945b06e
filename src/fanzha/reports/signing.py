"""Who is reporting, and that the form post came from the form: HMAC tokens for the report form.

The platform knows its signed-in user; fanzha does not. So the platform vouches for the reporter
with a **signed reporter token** ``<base64url(id)>.<expires unix>.<hex HMAC-SHA256>`` (made by
``POST /v1/reports/form-link`` or by the platform itself with the shared key), passed as the
``reporter`` query parameter of the form link or in the ``X-Fanzha-Reporter`` header by a gateway.
A bare reporter id, a changed one, or one past its expiry is refused.

CSRF: the form carries a **signed token** (the HMAC synchroniser-token pattern, no cookie) bound to
the reporter and to the time it was issued; a post without one that verifies for the same reporter
within :data:`CSRF_MAX_AGE` is refused. A third-party page can make a browser post the form, but it
cannot read the form to get a token, and it cannot mint one for someone else.

Each use has its own label inside the HMAC, so a token of one kind never verifies as another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from datetime import timedelta

from fanzha.kit.errors import FanzhaError, Forbidden
from fanzha.settings import Environment, Settings

KEY_FILE = "report-form.key"
MIN_KEY_BYTES = 16
CSRF_MAX_AGE = timedelta(hours=4)
MAX_REPORTER_ID = 256


class FormUnavailable(FanzhaError):
    """The report form has no signing key (production without ``FANZHA_REPORT_FORM_SECRET``)."""

    status_code = 503
    code = "report_form_unavailable"


class ReporterRefused(Forbidden):
    """The reporter could not be identified: ``reason`` is ``missing``, ``invalid`` (unsigned or altered) or
    ``expired``."""

    code = "reporter_refused"

    def __init__(self, message: str, *, reason: str, zh: str | None = None) -> None:
        super().__init__(message, details={"reason": reason}, zh=zh)
        self.reason = reason


def form_key(settings: Settings) -> bytes:
    """The HMAC key: the configured secret, else (outside production) one generated once into the data dir."""
    if settings.report_form_secret is not None:
        value = settings.report_form_secret.get_secret_value().encode("utf-8")
        if len(value) < MIN_KEY_BYTES:
            raise FormUnavailable(
                f"FANZHA_REPORT_FORM_SECRET must be at least {MIN_KEY_BYTES} bytes",
                zh=f"FANZHA_REPORT_FORM_SECRET 至少须为 {MIN_KEY_BYTES} 字节",
            )
        return value
    if settings.environment is Environment.production:
        # Several API processes would each invent their own key and refuse each other's links.
        raise FormUnavailable(
            "the report form is off: set FANZHA_REPORT_FORM_SECRET",
            zh="举报表单未启用：请设置 FANZHA_REPORT_FORM_SECRET",
        )
    path = settings.data_dir / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it a moment ago
        else:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(32))
    value = path.read_bytes().strip()
    if len(value) < MIN_KEY_BYTES:
        # Empty or cut short (a process died, or is still writing it): never sign or verify with it.
        raise FormUnavailable(
            f"the report form key {path} is missing its content; delete it to make a new one",
            zh=f"举报表单密钥文件 {path} 内容缺失；删除该文件即可重新生成",
        )
    return value


def _mac(key: bytes, label: str, *parts: str) -> str:
    message = "\x1f".join((label, *parts)).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    # Bytes: compare_digest refuses str with non-ASCII characters, which a forged token may hold.
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _b64(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode("utf-8")).decode("ascii").rstrip("=")


def _unb64(value: str) -> str:
    padded = value + "=" * (-len(value) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")


def sign_reporter(key: bytes, reporter_id: str, *, expires_at: int) -> str:
    """A token naming ``reporter_id`` until ``expires_at`` (unix seconds)."""
    encoded = _b64(reporter_id)
    return f"{encoded}.{expires_at}.{_mac(key, 'fanzha.report.reporter.v1', encoded, str(expires_at))}"


def verify_reporter(key: bytes, token: str, *, now: int) -> str:
    """The reporter id a token names; :class:`ReporterRefused` unless it is signed with ``key`` and unexpired."""
    parts = token.strip().split(".")
    if len(parts) != 3 or not (parts[1].isascii() and parts[1].isdigit() and len(parts[1]) <= 12):
        raise ReporterRefused(
            "the reporter is not signed: open the form from the link the platform gives you",
            reason="invalid",
            zh="举报人未经签名：请从平台提供的链接打开表单",
        )
    encoded, expires, mac = parts
    if not _same(mac, _mac(key, "fanzha.report.reporter.v1", encoded, expires)):
        raise ReporterRefused("the reporter signature does not match", reason="invalid", zh="举报人签名不匹配")
    if int(expires) < now:
        raise ReporterRefused("the link to this form has expired", reason="expired", zh="此表单链接已过期")
    try:
        reporter_id = _unb64(encoded).strip()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ReporterRefused("the reporter token is malformed", reason="invalid", zh="举报人令牌格式错误") from None
    if not reporter_id or len(reporter_id) > MAX_REPORTER_ID:
        raise ReporterRefused(
            "the reporter token names no valid reporter", reason="invalid", zh="举报人令牌未指向有效的举报人"
        )
    return reporter_id


def anonymous_reporter(key: bytes, client_address: str) -> str:
    """A stable pseudonym for an anonymous reporter: keyed, so the address cannot be read back or guessed."""
    return "anon:" + _mac(key, "fanzha.report.anonymous.v1", client_address)[:20]


def csrf_token(key: bytes, reporter_id: str, *, now: int) -> str:
    nonce = secrets.token_urlsafe(12)
    return f"{now}.{nonce}.{_mac(key, 'fanzha.report.csrf.v1', reporter_id, str(now), nonce)}"


def csrf_valid(key: bytes, token: str, reporter_id: str, *, now: int) -> bool:
    """Whether ``token`` was issued by this instance for ``reporter_id`` within :data:`CSRF_MAX_AGE`."""
    parts = token.split(".")
    if len(parts) != 3 or not (parts[0].isascii() and parts[0].isdigit() and len(parts[0]) <= 12):
        return False
    issued, nonce, mac = parts
    if not _same(mac, _mac(key, "fanzha.report.csrf.v1", reporter_id, issued, nonce)):
        return False
    age = now - int(issued)
    return -60 <= age <= CSRF_MAX_AGE.total_seconds()
