"""Console users: create, sign in (argon2, lockout after repeated failures), sessions, sign out.

Sign-in failures answer the same sentence whether the user exists or not, and a locked-out user
gets no hint whether the password was right. Every sign-in, lockout and sign-out is audited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from pwdlib import PasswordHash
from sqlalchemy.orm import Session

from fanzha.audit import service as audit
from fanzha.auth.roles import Role
from fanzha.auth.service import Principal, hash_secret
from fanzha.console.models import ConsoleSession, ConsoleUser
from fanzha.console.repository import ConsoleRepository
from fanzha.kit.clock import ensure_utc, utcnow
from fanzha.kit.errors import Conflict, InvalidInput, NotFound
from fanzha.settings import Settings

MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = "abcdefghijklmnopqrstuvwxyz0123456789_.-"
BAD_CREDENTIALS = "wrong username or password"
LOCKED_OUT = "too many failed sign-ins; try again later"

_hasher = PasswordHash.recommended()
# Verified against when the username is unknown, so both paths cost one argon2 hash.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class SignInRefused:
    """A refused sign-in: ``reason`` is :data:`BAD_CREDENTIALS` or :data:`LOCKED_OUT`.

    Returned rather than raised, because the refusal itself changes state (the failure count, a
    lockout) that the caller must commit.
    """

    reason: str

    @property
    def locked_out(self) -> bool:
        return self.reason == LOCKED_OUT


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new console session: the cookie token (shown once) and the session's CSRF token."""

    token: str
    csrf_token: str
    user: ConsoleUser


def principal_of(user: ConsoleUser) -> Principal:
    """The user as the principal every service and permission check understands."""
    return Principal(key_id=user.id, name=user.username, role=Role(user.role), kind="user")


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"the password must be at least {MIN_PASSWORD_LENGTH} characters long",
            details=[{"field": "password"}],
            zh=f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符",
        )


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    actor: str,
    display_name: str | None = None,
    locale: str | None = None,
) -> ConsoleUser:
    username = username.strip().lower()
    if not username or len(username) > 100 or any(ch not in USERNAME_PATTERN for ch in username):
        raise InvalidInput(
            "a username is 1-100 characters of a-z, 0-9, '_', '.' or '-'",
            details=[{"field": "username"}],
            zh="用户名为 1-100 个字符，只能使用 a-z、0-9、'_'、'.' 或 '-'",
        )
    check_password_strength(password)
    repository = ConsoleRepository(session)
    if repository.user_by_name(username) is not None:
        raise Conflict(f"a console user named {username!r} exists", zh=f"控制台用户 {username!r} 已存在")
    user = ConsoleUser(
        username=username,
        display_name=display_name or username,
        role=role.value,
        password_hash=_hasher.hash(password),
        locale=locale,
        failed_sign_ins=0,
        created_at=utcnow(),
        created_by=actor,
    )
    repository.add(user)
    audit.record(
        session,
        actor=actor,
        action="console_user.create",
        object_type="console_user",
        object_id=str(user.id),
        after={"username": username, "role": role.value},
    )
    return user


def sign_in(session: Session, *, username: str, password: str, settings: Settings) -> SignedIn | SignInRefused:
    """Check the password and open a session, or count the failure (and lock out after too many)."""
    now = utcnow()
    repository = ConsoleRepository(session)
    user = repository.user_by_name(username.strip().lower())
    if user is None or user.disabled_at is not None:
        _hasher.verify(password, _DUMMY_HASH)
        return SignInRefused(BAD_CREDENTIALS)
    if user.locked_until is not None and ensure_utc(user.locked_until) > now:
        return SignInRefused(LOCKED_OUT)
    valid, new_hash = _hasher.verify_and_update(password, user.password_hash)
    if not valid:
        user.failed_sign_ins += 1
        locked = user.failed_sign_ins >= settings.console_max_failed_sign_ins
        if locked:
            user.locked_until = now + timedelta(minutes=settings.console_lockout_minutes)
            user.failed_sign_ins = 0
        session.flush()
        audit.record(
            session,
            actor=f"user:{user.username}",
            action="console_user.lock_out" if locked else "console_user.sign_in_failed",
            object_type="console_user",
            object_id=str(user.id),
        )
        return SignInRefused(LOCKED_OUT if locked else BAD_CREDENTIALS)
    if new_hash is not None:
        user.password_hash = new_hash
    user.failed_sign_ins = 0
    user.locked_until = None
    user.last_sign_in_at = now
    token = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    repository.add(
        ConsoleSession(
            token_hash=hash_secret(token),
            user_id=user.id,
            csrf_token=csrf_token,
            created_at=now,
            expires_at=now + timedelta(hours=settings.console_session_hours),
            last_seen_at=now,
        )
    )
    audit.record(
        session,
        actor=f"user:{user.username}",
        action="console_user.sign_in",
        object_type="console_user",
        object_id=str(user.id),
    )
    return SignedIn(token=token, csrf_token=csrf_token, user=user)


def resolve_session(
    session: Session, token: str | None, *, settings: Settings
) -> tuple[ConsoleSession, ConsoleUser] | None:
    """The live session a cookie token names (touching its last-seen time), or None."""
    if not token:
        return None
    repository = ConsoleRepository(session)
    row = repository.session_by_token_hash(hash_secret(token))
    if row is None or row.ended_at is not None:
        return None
    now = utcnow()
    idle_limit = ensure_utc(row.last_seen_at) + timedelta(minutes=settings.console_idle_minutes)
    if ensure_utc(row.expires_at) <= now or idle_limit <= now:
        return None
    user = repository.user(row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    # Touch at most once a minute: a page of htmx fragments should not write a row per fragment.
    if (now - ensure_utc(row.last_seen_at)).total_seconds() >= 60:
        row.last_seen_at = now
        session.flush()
    return row, user


def sign_out(session: Session, token: str | None) -> None:
    if not token:
        return
    row = ConsoleRepository(session).session_by_token_hash(hash_secret(token))
    if row is None or row.ended_at is not None:
        return
    row.ended_at = utcnow()
    session.flush()
    user = ConsoleRepository(session).user(row.user_id)
    audit.record(
        session,
        actor=f"user:{user.username if user is not None else row.user_id}",
        action="console_user.sign_out",
        object_type="console_user",
        object_id=str(row.user_id),
    )


def set_locale(session: Session, user: ConsoleUser, locale: str) -> None:
    user.locale = locale
    session.flush()


def unlock_user(session: Session, *, username: str, actor: str) -> ConsoleUser:
    """Lift a lockout early (an administrator's action, audited)."""
    user = ConsoleRepository(session).user_by_name(username.strip().lower())
    if user is None:
        raise NotFound(f"no console user named {username!r}", zh=f"没有名为 {username!r} 的控制台用户")
    user.locked_until = None
    user.failed_sign_ins = 0
    session.flush()
    audit.record(session, actor=actor, action="console_user.unlock", object_type="console_user", object_id=str(user.id))
    return user


def list_users(session: Session) -> list[ConsoleUser]:
    return ConsoleRepository(session).users()
