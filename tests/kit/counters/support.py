"""Helpers for the counter tests, and a brute-force reference model of the contract."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from fanzha.kit.counters import CounterQuery, CounterStore, Observation

HOUR = 3600


def obs(key: str, at: float, oid: str, member: str | None = None, retention: int = HOUR) -> Observation:
    return Observation(key=key, at=at, observation_id=oid, member=member, retention=retention)


def count(store: CounterStore, key: str, window: int, at: float, *, distinct: bool = False) -> int:
    (value,) = store.apply([], [CounterQuery(key=key, window=window, at=at, distinct=distinct)])
    return value


@dataclass
class ModelStore:
    """Keeps every live observation in a list and answers queries by scanning it."""

    held: dict[str, list[Observation]] = field(default_factory=dict)

    def apply(self, observations: Sequence[Observation], queries: Sequence[CounterQuery]) -> list[int]:
        for observation in observations:
            items = self.held.setdefault(observation.key, [])
            if all(item.observation_id != observation.observation_id for item in items):
                items.append(observation)
            newest = max(item.at for item in items)
            self.held[observation.key] = [item for item in items if item.at >= newest - observation.retention]
        counts = []
        for query in queries:
            inside = [item for item in self.held.get(query.key, []) if query.at - query.window <= item.at < query.at]
            if query.distinct:
                counts.append(len({item.member for item in inside if item.member is not None}))
            else:
                counts.append(len(inside))
        return counts
