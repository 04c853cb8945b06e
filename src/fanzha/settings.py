"""The one settings object. Nothing else in fanzha reads the environment.

Every field can be set by an environment variable with the ``FANZHA_`` prefix
(``FANZHA_DATABASE_URL``, ``FANZHA_REDIS_URL``, ...) or in a ``.env`` file.
"""

from __future__ import annotations

import json
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Environment(StrEnum):
    """Where this instance runs; ``production`` refuses unsafe defaults."""

    development = "development"
    testing = "testing"
    production = "production"


class FailurePolicy(StrEnum):
    """What a decision answers when a dependency (Redis, a model) is slow or down."""

    fail_open = "fail_open"
    fail_closed = "fail_closed"


class Settings(BaseSettings):
    """fanzha's configuration, typed and validated once at start-up."""

    model_config = SettingsConfigDict(env_prefix="FANZHA_", env_file=".env", extra="ignore")

    environment: Environment = Environment.development
    data_dir: Path = Path("./data")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: a SQLite file fanzha.db inside data_dir.",
    )
    redis_url: str | None = Field(
        default=None, description="When set, velocity counters live in Redis instead of in process."
    )
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    rules_path: Path | None = Field(
        default=None, description="Rule pack loaded by `fanzha init` when no rule set is active yet."
    )
    max_event_bytes: Annotated[int, Field(ge=256)] = 64 * 1024
    max_request_bytes: Annotated[int, Field(ge=1024)] = 8 * 1024 * 1024
    # NoDecode: pydantic-settings would otherwise read these variables as JSON before the comma split.
    extra_restrictable_functions: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Functions a restrict measure can switch off besides the built-in ones (comma-separated).",
    )
    extra_event_types: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Event types accepted besides the built-in ones (JSON list or comma-separated).",
    )
    notice_issuing_units: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Issuing units whose notices are accepted (JSON list or comma-separated); empty accepts any.",
    )
    notice_binding_lookback_days: Annotated[float, Field(ge=0)] = Field(
        default=180.0,
        description="A phone in a police notice also finds the accounts unbound from it this many days before "
        "the notice was received (besides those bound now).",
    )
    referral_answer_days: Annotated[float, Field(gt=0)] = Field(
        default=30.0,
        description="Days after a referral is approved within which the authority's final answer is expected "
        "(ATOFL art. 26(2) obliges it to answer); after that the referral is listed as overdue.",
    )
    notice_deadline_warning_hours: Annotated[float, Field(gt=0)] = Field(
        default=24.0,
        description="An open notice whose deadline is this close is warned about and its case escalated.",
    )
    sharing_salts: Annotated[dict[str, SecretStr], NoDecode] = Field(
        default_factory=dict,
        description="Salt per indicator-sharing group (JSON object), for hashed phones and accounts in STIX.",
    )
    sharing_identity_name: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        default="fanzha",
        description="This instance's name as a sharing partner: the STIX Identity and MISP organisation of exports.",
    )
    sharing_identity_id: str | None = Field(
        default=None,
        pattern=r"^identity--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        description="This instance's STIX identity id (identity--<uuid>), created_by_ref of every export; "
        "default: derived from the name.",
    )
    decision_budget_ms: dict[str, float] = Field(
        default_factory=dict,
        description="Latency budget per event type in ms (JSON object); the default budget is 50 ms.",
    )
    default_budget_ms: Annotated[float, Field(gt=0)] = 50.0
    failure_policy: dict[str, FailurePolicy] = Field(
        default_factory=dict,
        description="fail_open or fail_closed per event type (JSON object); default fail_open.",
    )
    counter_snapshot_seconds: Annotated[float, Field(gt=0)] = 300.0
    warning_rate_limit: Annotated[int, Field(ge=0)] = Field(
        default=3,
        description="Victim warnings per user and fraud typology within warning_rate_window_seconds; "
        "beyond it the decision stands but no new warning is issued (0: no limit).",
    )
    warning_rate_window_seconds: Annotated[int, Field(ge=1)] = 3600
    journal_max_batch: Annotated[int, Field(ge=1)] = 512
    sqlite_synchronous: str = Field(
        default="NORMAL", description="SQLite PRAGMA synchronous (NORMAL survives a process crash)."
    )
    log_level: str = "info"
    report_form_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key of signed reporter links and of the report form's CSRF tokens; unset: one is "
        "generated into <data_dir>/report-form.key (outside production; in production the form is off until set).",
    )
    report_form_anonymous: bool = Field(
        default=False,
        description="Accept form reports without a signed reporter (filed as anon:<keyed hash of the client address>).",
    )
    jobs_in_process: bool = Field(
        default=True,
        description="Run the background jobs (bus, measure expiry, SLA, webhooks) inside the API process. "
        "`fanzha serve` turns this off and runs them in a `fanzha worker` process beside it.",
    )
    public_docs: bool | None = Field(
        default=None,
        description="Serve /docs and /openapi.json without a key; default: yes except in production.",
    )
    console_session_hours: Annotated[float, Field(gt=0)] = Field(
        default=12.0, description="A console sign-in lasts at most this long."
    )
    console_idle_minutes: Annotated[float, Field(gt=0)] = Field(
        default=60.0, description="A console session unused for this long ends."
    )
    console_max_failed_sign_ins: Annotated[int, Field(ge=1)] = Field(
        default=5, description="Failed console sign-ins in a row before the user is locked out."
    )
    console_lockout_minutes: Annotated[float, Field(gt=0)] = Field(
        default=15.0, description="How long a console user stays locked out."
    )

    @field_validator("extra_event_types", "extra_restrictable_functions", "notice_issuing_units", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        """A JSON list or a comma-separated string."""
        if isinstance(value, str):
            if value.strip().startswith("["):
                return json.loads(value)
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("sharing_salts", mode="before")
    @classmethod
    def _parse_salts(cls, value: object) -> object:
        """A JSON object of group name to salt."""
        if isinstance(value, str):
            parsed = json.loads(value) if value.strip() else {}
            if not isinstance(parsed, dict):
                raise ValueError("must be a JSON object of sharing group to salt")
            return parsed
        return value

    @field_validator("sqlite_synchronous")
    @classmethod
    def _check_synchronous(cls, value: str) -> str:
        allowed = {"OFF", "NORMAL", "FULL", "EXTRA"}
        if value.upper() not in allowed:
            raise ValueError(f"must be one of {sorted(allowed)}")
        return value.upper()

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to ``sqlite:///<data_dir>/fanzha.db``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'fanzha.db').resolve()}"

    def sharing_salt_values(self) -> dict[str, str]:
        """The sharing groups' salts in clear, for hashing."""
        return {group: salt.get_secret_value() for group, salt in self.sharing_salts.items()}

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def serve_public_docs(self) -> bool:
        if self.public_docs is not None:
            return self.public_docs
        return self.environment is not Environment.production

    def budget_ms(self, event_type: str) -> float:
        return self.decision_budget_ms.get(event_type, self.default_budget_ms)

    def policy(self, event_type: str) -> FailurePolicy:
        return self.failure_policy.get(event_type, FailurePolicy.fail_open)


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (used by the CLI and tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]
