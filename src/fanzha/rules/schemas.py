from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class RuleSetPush(BaseModel):
    """A rule pack to validate and activate (YAML text)."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, max_length=2_000_000)
    filename: str = Field(default="rules.yaml", max_length=300)


class RuleOut(BaseModel):
    id: str
    description: str
    outcome: str
    score: int
    mode: str
    legal_basis: list[str]
    events: list[str] | None
    condition: str


class RuleSetOut(BaseModel):
    version: str
    name: str
    filename: str
    active: bool
    created_at: datetime
    created_by: str
    activated_at: datetime | None
    rules: list[RuleOut] | None = None
    source: str | None = None


class ValidationReport(BaseModel):
    valid: bool
    version: str | None = None
    rules: int = 0
