from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from fanzha.decisions.journal import DecisionJournal, JournalItem
from fanzha.kit import migrate
from fanzha.kit.clock import utcnow
from fanzha.kit.db import create_db_engine


def decision_item(event_id: str) -> JournalItem:
    now = utcnow()
    response = {"event_id": event_id, "decision": "allow"}
    return JournalItem(
        event_id=event_id,
        decision={
            "event_id": event_id,
            "event_type": "message.sent",
            "occurred_at": now,
            "decided_at": now,
            "actor_id": "a",
            "decision": "allow",
            "score": 0,
            "ruleset_version": "v",
            "latency_ms": 0.1,
            "response": response,
            "record": {},
        },
    )


class TestInlineJournal:
    def test_batches_on_the_loop_and_hands_off_when_another_writer_holds_the_lock(self, tmp_path: Path) -> None:
        path = tmp_path / "j.db"
        engine = create_db_engine(f"sqlite:///{path}")
        migrate.upgrade(engine)
        journal = DecisionJournal(engine, inline=True)
        journal.start()

        async def write(ids: list[str]) -> list[object]:
            return list(await asyncio.gather(*(journal.submit_async(decision_item(i)) for i in ids)))

        try:
            assert asyncio.run(write(["a", "b", "c"])) == [None, None, None]
            assert journal.batches == 1  # three requests ready in one turn of the loop: one commit
            other = sqlite3.connect(path, timeout=30)
            other.execute("BEGIN IMMEDIATE")  # another process holds the write lock

            async def write_then_release() -> list[object]:
                pending = asyncio.ensure_future(write(["d"]))
                await asyncio.sleep(0.3)
                assert not pending.done()  # waiting on the thread, while the loop keeps running
                other.rollback()
                return await pending

            assert asyncio.run(write_then_release()) == [None]
            assert journal.busy_handoffs == 1
            stored = sqlite3.connect(path).execute("SELECT count(*) FROM decisions").fetchone()[0]
            assert stored == 4
        finally:
            journal.stop()
            engine.dispose()
