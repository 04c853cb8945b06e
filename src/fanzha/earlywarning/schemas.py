from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from fanzha.kit.clock import ensure_utc


class WarningState(StrEnum):
    """Where a warning stands: issued with the decision, shown to the user, then the user's choice."""

    issued = "issued"
    delivered = "delivered"
    continued = "continued"
    cancelled = "cancelled"
    reported = "reported"


class UserChoice(StrEnum):
    """What the warned user did: went ahead, stopped (dissuaded), or stopped and reported the other party."""

    continued = "continued"
    cancelled = "cancelled"
    reported = "reported"


UTCMoment = Annotated[datetime, AfterValidator(ensure_utc)]


class LocalizedMessage(BaseModel):
    """A warning in one language: the typology's name, a title, what the fraud looks like, what not to do."""

    name: str
    title: str
    body: str
    advice: list[str]


class DecisionWarning(BaseModel):
    """The warning a decision issued, for the platform to show (``warning`` in the decision's answer)."""

    id: str
    typology: str
    channel: str
    recipient: str = Field(description="actor or counterparty: whose screen the warning goes to")
    recipient_id: str
    rule: str
    issued_at: datetime
    template_version: str
    message: dict[str, LocalizedMessage] = Field(
        description="By locale (zh, en); only the event's context.locale when it names one"
    )


class DeliveryIn(BaseModel):
    """The platform showed the warning (``delivered_at`` defaults to now)."""

    model_config = ConfigDict(extra="forbid")

    delivered_at: UTCMoment | None = None


class ChoiceIn(BaseModel):
    """What the user chose after seeing the warning (``chosen_at`` defaults to now)."""

    model_config = ConfigDict(extra="forbid")

    choice: UserChoice
    chosen_at: UTCMoment | None = None


class WarningOut(BaseModel):
    """A stored warning with its delivery and the user's choice."""

    id: str
    event_id: str
    event_type: str
    rule_id: str
    recipient_id: str
    recipient_role: str
    typology: str
    channel: str
    locale: str | None
    template_version: str
    message: dict[str, Any]
    issued_at: datetime
    state: str
    delivered_at: datetime | None
    choice: str | None
    chosen_at: datetime | None


class WarningPage(BaseModel):
    items: list[WarningOut]
    total: int
    limit: int
    offset: int


class TypologyStats(BaseModel):
    """Counts for one typology: warned, shown, and what the users chose (cancelled = dissuaded)."""

    typology: str
    warned: int
    delivered: int
    continued: int
    cancelled: int
    reported: int
    dissuaded: int = Field(description="cancelled + reported: users who stopped")
    dissuasion_rate: float | None = Field(description="dissuaded / users who chose; null before anyone chose")


class WarningStats(BaseModel):
    since: datetime | None
    until: datetime | None
    total: TypologyStats
    by_typology: list[TypologyStats]
