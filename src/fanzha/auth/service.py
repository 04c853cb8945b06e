"""API keys: create (the secret is shown once), revoke, and authenticate with a small cache."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from fanzha.audit import service as audit
from fanzha.auth.models import ApiKey
from fanzha.auth.repository import ApiKeyRepository
from fanzha.auth.roles import ROLE_PERMISSIONS, Permission, Role
from fanzha.kit.clock import utcnow
from fanzha.kit.errors import Forbidden, InvalidInput, NotFound, Unauthorized

KEY_PREFIX = "fzk_"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an API key (its id, name and role) or a console user (``kind="user"``)."""

    key_id: int
    name: str
    role: Role
    kind: str = "apikey"

    @property
    def actor(self) -> str:
        if self.kind == "user":
            return f"user:{self.name}"
        return f"apikey:{self.key_id}:{self.name}"

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(
                f"role {self.role.value!r} lacks permission {permission.value!r}",
                zh=f"角色 {self.role.value!r} 缺少权限 {permission.value!r}",
            )


def hash_secret(secret: str) -> str:
    # Keys are 256 random bits, so a fast hash is enough; a slow KDF only matters for passwords.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput(
            f"unknown role {value!r}; one of: {', '.join(r.value for r in Role)}",
            details=[{"field": "role"}],
            zh=f"未知角色 {value!r}；可选值：{', '.join(r.value for r in Role)}",
        ) from None


def create_key(session: Session, *, name: str, role: Role, actor: str) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret (shown to the caller once, never stored)."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        role=role.value,
        prefix=secret[: len(KEY_PREFIX) + 6],
        key_hash=hash_secret(secret),
        created_at=utcnow(),
        created_by=actor,
    )
    ApiKeyRepository(session).add(key)
    audit.record(
        session,
        actor=actor,
        action="apikey.create",
        object_type="api_key",
        object_id=str(key.id),
        after={"name": name, "role": role.value, "prefix": key.prefix},
    )
    return key, secret


def revoke_key(session: Session, *, key_id: int, actor: str, reason: str | None = None) -> ApiKey:
    key = ApiKeyRepository(session).by_id(key_id)
    if key is None:
        raise NotFound(f"no API key with id {key_id}", zh=f"ID 为 {key_id} 的 API 密钥不存在")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="apikey.revoke",
            object_type="api_key",
            object_id=str(key_id),
            reason=reason,
        )
    return key


def list_keys(session: Session) -> list[ApiKey]:
    return ApiKeyRepository(session).list()


def has_any_key(session: Session) -> bool:
    return ApiKeyRepository(session).count_active() > 0


class Authenticator:
    """Resolves bearer secrets to principals, caching hits briefly so the hot path skips the database.

    A revoked key stops working within ``ttl_seconds``.
    """

    def __init__(self, sessions: sessionmaker[Session], *, ttl_seconds: float = 10.0) -> None:
        self._sessions = sessions
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def authenticate(self, authorization: str | None) -> Principal:
        if not authorization:
            raise Unauthorized(
                "missing Authorization header; send 'Authorization: Bearer <api key>'",
                zh="缺少 Authorization 请求头；请发送 'Authorization: Bearer <api key>'",
            )
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthorized(
                "Authorization must be 'Bearer <api key>'", zh="Authorization 必须为 'Bearer <api key>' 格式"
            )
        key_hash = hash_secret(secret.strip())
        now = time.monotonic()
        cached = self._cache.get(key_hash)
        if cached is not None and cached[0] > now:
            return cached[1]
        with self._sessions() as session:
            key = ApiKeyRepository(session).by_hash(key_hash)
            if key is None or key.revoked_at is not None:
                raise Unauthorized("invalid or revoked API key", zh="API 密钥无效或已吊销")
            principal = Principal(key_id=key.id, name=key.name, role=Role(key.role))
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key_hash] = (now + self._ttl, principal)
        return principal
