"""In-process replay for ``fanzha decide``: the real pipeline without the HTTP server or the journal.

Velocity counters start empty and see only the replayed events (so a replay never disturbs the
live counters); lists, labels and account ages come from the data folder's database when it
exists. Decisions are written to the output, not to the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fanzha.decisions.pipeline import DecisionPipeline
from fanzha.entities.repository import RegistrationLookup
from fanzha.entities.runtime import AccountBook, LabelBook
from fanzha.events.schemas import Event
from fanzha.intel.stix import hashed_list_hashers
from fanzha.kit.counters.memory import InMemoryCounterStore
from fanzha.kit.db import create_db_engine, session_factory
from fanzha.kit.errors import InvalidInput
from fanzha.kit.revisions.repository import RevisionRepository
from fanzha.kit.setup import initialise
from fanzha.lists.runtime import ListBook
from fanzha.rules.engine import CompiledRuleSet, compile_rule_pack
from fanzha.rules.runtime import RuleBook
from fanzha.runtime import LiveWorld, default_screener, known_event_types
from fanzha.settings import Settings


class Replayer:
    """Decides events one by one, as the server would, for replays and backtests."""

    def __init__(self, settings: Settings, pipeline: DecisionPipeline, known: frozenset[str], dispose: Any) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.known = known
        self._dispose = dispose

    @classmethod
    def open(cls, settings: Settings, *, rules_file: Path | None = None) -> Replayer:
        known = known_event_types(settings)
        engine = create_db_engine(settings.resolved_database_url, synchronous=settings.sqlite_synchronous)
        initialise(engine, settings, known_event_types=known)
        sessions = session_factory(engine)
        with sessions() as session:
            revisions = RevisionRepository(session).all()
        lists = ListBook(
            sessions, settings.data_dir / "lists", hashers=hashed_list_hashers(settings.sharing_salt_values())
        )
        lists.refresh(revisions)
        labels = LabelBook(sessions)
        labels.refresh(revisions.get("labels", 0))
        rule_set: CompiledRuleSet
        if rules_file is not None:
            rule_set = compile_rule_pack(
                rules_file.read_text(encoding="utf-8"), filename=str(rules_file), known_event_types=known
            )
        else:
            book = RuleBook(sessions, known)
            book.refresh(revisions.get("rules", 0))
            rule_set = book.current()
        pipeline = DecisionPipeline(
            settings=settings,
            rules=lambda: rule_set,
            counters=InMemoryCounterStore(),
            world=LiveWorld(lists, labels, AccountBook(RegistrationLookup(engine))),
            screener=default_screener(),
        )
        return cls(settings, pipeline, known, engine.dispose)

    def decide_line(self, line: str) -> dict[str, Any]:
        """Decide one JSON line; raises ValidationError or InvalidInput naming the bad field."""
        event = Event.model_validate_json(line)
        return self.decide(event)

    def decide(self, event: Event) -> dict[str, Any]:
        if event.type not in self.known:
            raise InvalidInput(f"type: unknown event type {event.type!r}", zh=f"type: 未知事件类型 {event.type!r}")
        outcome = self.pipeline.evaluate(event)
        if event.type == "account.registered" and isinstance(self.pipeline.world, LiveWorld):
            self.pipeline.world.accounts.remember(event.actor.id, event.occurred_at.timestamp())
        return outcome.response

    def close(self) -> None:
        self._dispose()
