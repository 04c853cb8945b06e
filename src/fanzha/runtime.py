"""The running state of one fanzha process: database, backends, in-memory books and the pipeline.

Built by the app's lifespan and by CLI commands; nothing here is created at import time.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from fanzha.decisions.journal import DecisionJournal
from fanzha.decisions.metrics import DecisionMetrics
from fanzha.decisions.pipeline import DecisionOutcome, DecisionPipeline, Screener, counter_observations
from fanzha.decisions.repository import DecisionRepository, StoredAnswerLookup
from fanzha.decisions.seen import SeenEvents
from fanzha.decisions.service import DecisionService
from fanzha.earlywarning.runtime import WarningIssuer
from fanzha.earlywarning.templates import load_templates
from fanzha.entities.repository import RegistrationLookup
from fanzha.entities.runtime import AccountBook, LabelBook
from fanzha.entities.service import LABELS_REVISION
from fanzha.events.schemas import BUILTIN_EVENT_TYPES
from fanzha.intel.stix import hashed_list_hashers
from fanzha.kit.counters import CounterStore, build_counter_store
from fanzha.kit.counters.memory import InMemoryCounterStore
from fanzha.kit.db import checkpoint, create_db_engine, session_factory
from fanzha.kit.revisions.repository import RevisionRepository
from fanzha.lists.runtime import ListBook
from fanzha.measures.repository import ActiveMeasuresLookup
from fanzha.measures.vocabulary import declare_functions
from fanzha.rules.runtime import RuleBook
from fanzha.rules.service import RULES_REVISION
from fanzha.settings import Settings

log = logging.getLogger(__name__)


def known_event_types(settings: Settings) -> frozenset[str]:
    return BUILTIN_EVENT_TYPES | frozenset(settings.extra_event_types)


@dataclass
class LiveWorld:
    """Lists, labels and accounts as the running process knows them."""

    lists: ListBook
    labels_book: LabelBook
    accounts: AccountBook

    def in_list(self, list_name: str, value: str, at: float) -> bool:
        return self.lists.contains(list_name, value, at)

    def labels(self, entity_type: str, value: str, at: float) -> list[str]:
        return self.labels_book.labels(entity_type, value, at)

    def registered_at(self, account_id: str) -> float | None:
        return self.accounts.registered_at(account_id)


def default_screener() -> Screener | None:
    """The screening library's signals for rules, or None when it is not installed."""
    try:
        from fanzha.screening import screen
    except ImportError:  # pragma: no cover - screening ships with fanzha
        return None

    def screener(text: str, kind: str) -> Mapping[str, object]:
        signals: Mapping[str, object] = screen(text, kind).to_rule_signals()
        return signals

    return screener


GC_THRESHOLDS = (50_000, 20, 100)
"""The collector's thresholds in a server process (CPython's default: 700, 10, 10); bench/collector.py."""


class Runtime:
    """Everything one process needs to decide events and serve the API."""

    def __init__(
        self, settings: Settings, *, engine: Engine | None = None, counters: CounterStore | None = None
    ) -> None:
        self.settings = settings
        declare_functions(settings.extra_restrictable_functions)
        self.engine = engine or create_db_engine(
            settings.resolved_database_url, synchronous=settings.sqlite_synchronous, deferred_checkpoints=True
        )
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        self.known_event_types = known_event_types(settings)
        self.snapshot_path = settings.data_dir / "counters.snapshot"
        self.counters: CounterStore = counters or build_counter_store(
            settings.redis_url, snapshot_path=self.snapshot_path if settings.redis_url is None else None
        )
        self.lists = ListBook(
            self.sessions,
            settings.data_dir / "lists",
            hashers=hashed_list_hashers(settings.sharing_salt_values()),
        )
        self.labels = LabelBook(self.sessions)
        self._registrations = RegistrationLookup(self.engine)
        self.accounts = AccountBook(self._registrations)
        self.rules = RuleBook(self.sessions, self.known_event_types)
        self.seen_path = settings.data_dir / "seen-events.bloom"
        seen, self._seen_since = self._load_seen()
        self.journal = DecisionJournal(
            self.engine,
            max_batch=settings.journal_max_batch,
            inline=self.engine.dialect.name == "sqlite",
            spill_dir=settings.data_dir / "journal-spill",
            synchronous=settings.sqlite_synchronous,
        )
        world = LiveWorld(self.lists, self.labels, self.accounts)
        self.warnings = WarningIssuer(
            templates=load_templates(),
            counters=self.counters,
            labels=world,
            limit=settings.warning_rate_limit,
            window_seconds=settings.warning_rate_window_seconds,
        )
        self.pipeline = DecisionPipeline(
            settings=settings,
            rules=self.rules.current,
            counters=self.counters,
            world=world,
            screener=default_screener(),
            warnings=self.warnings,
        )
        self.decisions = DecisionService(
            pipeline=self.pipeline,
            journal=self.journal,
            sessions=self.sessions,
            lookup=StoredAnswerLookup(self.engine),
            seen=seen,
            offload=self.engine.dialect.name != "sqlite" or not isinstance(self.counters, InMemoryCounterStore),
            on_decision=self._after_decision,
        )
        self.active_measures = ActiveMeasuresLookup(self.engine)
        self.metrics = DecisionMetrics()
        self.metrics.watch_journal(self.journal)
        self._refresh_lock = threading.Lock()

    def _after_decision(self, outcome: DecisionOutcome, response: Mapping[str, object]) -> None:
        event = outcome.event
        if event.type == "account.registered":
            self.accounts.remember(event.actor.id, event.occurred_at.timestamp())

    def start(self) -> None:
        """Load state and start the journal; replay counters the snapshot missed."""
        self.refresh()
        self.journal.start()
        self._replay(self._seen_since)
        # What exists now (rules, indexes, caches) lives as long as the process: keep it out of
        # the cyclic garbage collector's way, which would otherwise rescan it in long pauses.
        gc.collect()
        gc.freeze()
        # Every collection pauses the process: with CPython's thresholds a 500/s load saw a young
        # collection every ~200 requests and a middle one (3-9 ms here) every few seconds; full
        # collections walk every live container (the velocity counters hold many). Nearly all
        # garbage here is freed by reference counting, so collect far less often (bench/collector.py).
        gc.set_threshold(*GC_THRESHOLDS)

    def stop(self) -> None:
        self.journal.stop()
        self.decisions.close()
        self.active_measures.close()
        self._registrations.close()
        self.save_snapshots()
        self.engine.dispose()

    def housekeeping(self) -> None:
        """Periodic upkeep: pick up changes, checkpoint the SQLite log."""
        self.refresh()
        checkpoint(self.engine)

    def refresh(self) -> None:
        """Pick up rules, lists and labels changed by this or another process."""
        with self._refresh_lock:
            with self.sessions() as session:
                revisions = RevisionRepository(session).all()
            self.rules.refresh(revisions.get(RULES_REVISION, 0))
            self.lists.refresh(revisions)
            self.labels.refresh(revisions.get(LABELS_REVISION, 0))

    def save_snapshots(self) -> None:
        """Persist in-process state: counters, the seen-events filter, list indexes (periodically and at stop)."""
        with self.sessions() as session:
            high_water = DecisionRepository(session).max_seq()
        if isinstance(self.counters, InMemoryCounterStore):
            self.counters.save(self.snapshot_path, {"journal_seq": high_water})
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.decisions.seen.save(self.seen_path, journal_seq=high_water)
        self.lists.save_snapshots()

    def _load_seen(self) -> tuple[SeenEvents, int]:
        try:
            return SeenEvents.load(self.seen_path)
        except (OSError, ValueError):
            return SeenEvents(), 0

    def _replay(self, seen_since: int) -> None:
        """Bring the counters and the seen-events filter up to date with every decision committed
        after their snapshots, so a crash loses nothing (recording is idempotent per event id)."""
        counters_since: int | None = None
        if isinstance(self.counters, InMemoryCounterStore):
            value = self.counters.snapshot_meta.get("journal_seq", 0)
            counters_since = value if isinstance(value, int) else 0
        since = seen_since if counters_since is None else min(seen_since, counters_since)
        rule_set = self.rules.current()
        replayed = 0
        with self.sessions() as session:
            for seq, data in DecisionRepository(session).events_after(since):
                if not isinstance(data, dict) or "event_id" not in data:
                    continue
                if seq > seen_since:
                    self.decisions.seen.add(data["event_id"])
                if counters_since is None or seq <= counters_since:
                    continue
                at = float(data.get("occurred_at_epoch", 0.0))
                observations = counter_observations(rule_set, data["event_id"], data.get("type", ""), data, at)
                if observations:
                    self.counters.apply(observations, [])
                    replayed += 1
        if replayed:
            log.info("replayed %d decided events into the velocity counters", replayed)
