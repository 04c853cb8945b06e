"""Request and response bodies of the screening API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from fanzha.screening.pipeline import ScreeningResult

MAX_TEXT_CHARS = 10_000
MAX_BATCH = 256

Kind = Literal["message", "listing", "profile", "post"]


class ScreenRequest(BaseModel):
    """One text to screen."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    kind: Kind = "message"

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be blank")
        return value


class BatchRequest(BaseModel):
    """Up to ``MAX_BATCH`` texts of one kind."""

    model_config = ConfigDict(extra="forbid")

    texts: list[str] = Field(min_length=1, max_length=MAX_BATCH)
    kind: Kind = "message"

    @field_validator("texts")
    @classmethod
    def _each_text(cls, values: list[str]) -> list[str]:
        for i, value in enumerate(values):
            if not value.strip():
                raise ValueError(f"texts[{i}] must not be blank")
            if len(value) > MAX_TEXT_CHARS:
                raise ValueError(f"texts[{i}] is longer than {MAX_TEXT_CHARS} characters")
        return values


class IndicatorOut(BaseModel):
    type: str
    value: str
    span: tuple[int, int]
    flags: list[str] = Field(default_factory=list)


class MatchOut(BaseModel):
    term: str
    category: str
    span: tuple[int, int]
    via: str


class ScreenResponse(BaseModel):
    """The verdict on one text."""

    risk: float
    flagged: bool
    labels: list[str]
    typology: str | None
    indicators: list[IndicatorOut]
    matches: list[MatchOut]
    normalized: str
    explanation: list[str]
    scores: dict[str, float]

    @classmethod
    def from_result(cls, result: ScreeningResult) -> ScreenResponse:
        return cls(
            risk=result.risk,
            flagged=result.flagged,
            labels=result.labels,
            typology=result.typology,
            indicators=[
                IndicatorOut(type=i.type, value=i.value, span=i.span, flags=list(i.flags)) for i in result.indicators
            ],
            matches=[MatchOut(term=m.term, category=m.category, span=m.span, via=m.via) for m in result.matches],
            normalized=result.normalized,
            explanation=result.explanation,
            scores=result.scores,
        )


class BatchResponse(BaseModel):
    """Verdicts in the order of the request."""

    results: list[ScreenResponse]
