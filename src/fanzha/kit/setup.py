"""First-run set-up shared by ``fanzha init`` and ``fanzha serve``: schema, default lists and rules, first key."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine

from fanzha.auth import service as auth_service
from fanzha.auth.roles import Role
from fanzha.kit import migrate
from fanzha.kit.db import session_factory, transaction
from fanzha.lists import service as lists_service
from fanzha.rules import service as rules_service
from fanzha.rules.repository import RuleSetRepository
from fanzha.settings import Environment, Settings

SYSTEM_ACTOR = "system:init"
FIRST_KEY_FILE = "first-admin.key"


def default_pack_text() -> str:
    return resources.files("fanzha.rules").joinpath("packs/default.yaml").read_text(encoding="utf-8")


def default_pack_path() -> Path:
    return Path(str(resources.files("fanzha.rules").joinpath("packs/default.yaml")))


@dataclass
class SetupReport:
    created_rules: str | None
    admin_secret: str | None


def initialise(engine: Engine, settings: Settings, *, known_event_types: frozenset[str]) -> SetupReport:
    """Migrate, create the default lists, activate a rule pack if none is, and make the first admin key."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(engine)
    sessions = session_factory(engine)
    created_rules = None
    admin_secret = None
    with transaction(sessions) as session:
        lists_service.ensure_default_lists(session, actor=SYSTEM_ACTOR)
        if RuleSetRepository(session).active() is None:
            if settings.rules_path is not None:
                source, filename = settings.rules_path.read_text(encoding="utf-8"), str(settings.rules_path)
            else:
                source, filename = default_pack_text(), "default.yaml"
            version, _compiled = rules_service.push(
                session,
                source=source,
                filename=filename,
                actor=SYSTEM_ACTOR,
                known_event_types=known_event_types,
            )
            created_rules = version.version
        if not auth_service.has_any_key(session):
            _key, admin_secret = auth_service.create_key(
                session, name="first admin", role=Role.admin, actor=SYSTEM_ACTOR
            )
    if admin_secret is not None and settings.environment is not Environment.production:
        # Outside production the first key is also left in the data folder (owner-only), so the
        # README's quickstart can read it; delete the file once you have stored the key elsewhere.
        key_file = settings.data_dir / FIRST_KEY_FILE
        key_file.touch(mode=0o600)
        key_file.write_text(admin_secret + "\n", encoding="utf-8")
    return SetupReport(created_rules, admin_secret)
