"""One typed error hierarchy, mapped to HTTP in one place (``fanzha.app``) and to exit codes in the CLI."""

from __future__ import annotations

from typing import Any


class FanzhaError(Exception):
    """Base of every error fanzha raises on purpose.

    Attributes:
        message: A sentence for the person who made the request (English).
        message_zh: The same sentence in Simplified Chinese, or ``None`` where none was given.
        status_code: The HTTP status the API answers with.
        code: A stable machine-readable code (``snake_case``).
        details: Optional structured detail (field errors, locations).
    """

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str, *, details: Any = None, zh: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = zh or None
        self.details = details

    def localized(self, language: str) -> str:
        """The message in ``language``: the Chinese one for ``zh``, ``zh-CN``, ... where set, else English."""
        if self.message_zh is not None and language.lower().startswith("zh"):
            return self.message_zh
        return self.message

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.message_zh is not None:
            body["message_zh"] = self.message_zh
        if self.details is not None:
            body["details"] = self.details
        return body


class InvalidInput(FanzhaError):
    """The request or file is malformed; nothing was stored."""

    status_code = 422
    code = "invalid_input"


class NotFound(FanzhaError):
    status_code = 404
    code = "not_found"


class Conflict(FanzhaError):
    status_code = 409
    code = "conflict"


class Unauthorized(FanzhaError):
    status_code = 401
    code = "unauthorized"


class Forbidden(FanzhaError):
    status_code = 403
    code = "forbidden"


class PayloadTooLarge(FanzhaError):
    status_code = 413
    code = "payload_too_large"


class DependencyUnavailable(FanzhaError):
    """A backend (database, Redis, a model) failed or ran past its budget."""

    status_code = 503
    code = "dependency_unavailable"
