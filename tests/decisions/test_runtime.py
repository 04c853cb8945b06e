from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fanzha.events.schemas import Event
from fanzha.kit.counters import InMemoryCounterStore
from fanzha.kit.db import create_db_engine
from fanzha.kit.setup import initialise
from fanzha.runtime import Runtime, known_event_types
from fanzha.settings import Settings


def message(i: int) -> Event:
    return Event.model_validate(
        {
            "event_id": f"m{i}",
            "type": "message.sent",
            "occurred_at": f"2026-06-01T08:00:{i:02d}Z",
            "actor": {"id": "spammer"},
            "counterparty": {"id": f"victim-{i}"},
        }
    )


def start(data_dir: Path) -> Runtime:
    settings = Settings(data_dir=data_dir)
    engine = create_db_engine(settings.resolved_database_url)
    initialise(engine, settings, known_event_types=known_event_types(settings))
    runtime = Runtime(settings, engine=engine)
    runtime.start()
    return runtime


class TestRestart:
    @pytest.mark.parametrize("clean_shutdown", [True, False])
    def test_counters_survive_a_restart(self, tmp_path: Path, clean_shutdown: bool) -> None:
        runtime = start(tmp_path)
        for i in range(15):
            assert runtime.decisions.decide_sync(message(i))["decision"] == "allow"
        if clean_shutdown:
            runtime.stop()
        else:  # a crash: no snapshot is written, the journal is simply gone
            runtime.journal.stop()
            runtime.engine.dispose()
        restarted = start(tmp_path)
        assert isinstance(restarted.counters, InMemoryCounterStore)
        answers = [restarted.decisions.decide_sync(message(i))["decision"] for i in range(15, 22)]
        assert answers == ["allow"] * 5 + ["review"] * 2
        restarted.stop()

    def test_repeated_event_after_restart_is_not_evaluated_again(self, tmp_path: Path) -> None:
        runtime = start(tmp_path)
        first = runtime.decisions.decide_sync(message(1))
        runtime.stop()
        restarted = start(tmp_path)
        again = asyncio.run(restarted.decisions.decide(message(1)))
        assert again == first
        restarted.stop()
