"""The velocity-counter contract shared by every backend.

Semantics every backend honours (the contract tests in ``tests/kit/counters`` check them):

* A query at ``at`` over ``window`` counts the observations of its key whose timestamp lies in the
  half-open interval ``[at - window, at)``: an event never counts itself, and replaying history in
  event-time order reproduces what was seen live.
* Recording is idempotent per ``observation_id`` within a key: a replayed observation (same id, same
  fields) does not count twice. Replays must carry the same fields as the original; which copy wins
  when they differ is unspecified.
* Recording an observation with retention ``r`` drops, from its key, every observation older than
  ``newest - r``, where ``newest`` is the latest timestamp held for the key. An observation that
  arrives already older than that is dropped at once. Queries whose window is longer than the
  retention, or that look further back than ``newest - r``, may therefore undercount.
* A distinct query counts distinct non-``None`` members; observations without a member are ignored.
* Within one :meth:`CounterStore.apply` call the observations are recorded first, then the queries
  are answered.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from fanzha.kit.errors import DependencyUnavailable

__all__ = ["CounterQuery", "CounterStore", "CounterUnavailable", "Observation"]


@dataclass(frozen=True, slots=True)
class Observation:
    """One event seen by one counter key.

    Attributes:
        key: The counter key, e.g. ``"recipients_per_account|acc-1"``.
        at: Event time in epoch seconds.
        observation_id: Unique per event (the event id); makes recording idempotent.
        member: For distinct counters, the value counted distinctly (e.g. a recipient id);
            ``None`` for plain counts.
        retention: Seconds to keep this observation: the counter's longest window.
    """

    key: str
    at: float
    observation_id: str
    member: str | None
    retention: int

    def __post_init__(self) -> None:
        if not math.isfinite(self.at):
            raise ValueError(f"observation time must be finite, got {self.at!r}")
        if self.retention < 0:
            raise ValueError(f"retention must be >= 0, got {self.retention!r}")


@dataclass(frozen=True, slots=True)
class CounterQuery:
    """A question to a counter: how many observations of ``key`` in ``[at - window, at)``.

    Attributes:
        key: The counter key.
        window: Window length in seconds.
        at: The query time; the window ends just before it.
        distinct: Count distinct members instead of observations.
    """

    key: str
    window: int
    at: float
    distinct: bool

    def __post_init__(self) -> None:
        if not math.isfinite(self.at):
            raise ValueError(f"query time must be finite, got {self.at!r}")
        if self.window < 0:
            raise ValueError(f"window must be >= 0, got {self.window!r}")


class CounterUnavailable(DependencyUnavailable):
    """The counter backend could not answer (down, erroring, or past its time budget).

    Callers catch this to apply their fail-open or fail-closed policy. Observations of a call
    that raised may or may not have been recorded; retrying the call is safe because recording
    is idempotent.
    """

    code = "counters_unavailable"


@runtime_checkable
class CounterStore(Protocol):
    """A velocity-counter backend."""

    def apply(self, observations: Sequence[Observation], queries: Sequence[CounterQuery]) -> list[int]:
        """Record the observations and answer the queries in one call (one network round trip for Redis).

        Queries are answered as of their own ``at``; because windows are half-open, an observation at
        exactly ``at`` never counts for a query at ``at``, so the order inside one call does not matter
        for an event's own observations. Returns one count per query, in order.

        Raises:
            CounterUnavailable: The backend could not answer.
        """
        ...

    def close(self) -> None:
        """Release the backend's resources."""
        ...

    def ping(self) -> bool:
        """Whether the backend is healthy right now; never raises."""
        ...
