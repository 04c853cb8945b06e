from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from fanzha.decisions import spill
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


def count_rows(path: Path, table: str) -> int:
    return int(sqlite3.connect(path).execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def overflowing_journal(tmp_path: Path) -> tuple[Path, Engine, DecisionJournal]:
    """A migrated SQLite file and an inline journal with an overflow folder (not started)."""
    path = tmp_path / "j.db"
    engine = create_db_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    return path, engine, DecisionJournal(engine, inline=True, spill_dir=tmp_path / "spill")


class TestOverflow:
    """While another process holds SQLite's write lock, batches are answered from the overflow file."""

    def test_answers_without_waiting_then_moves_everything_in_order(self, tmp_path: Path) -> None:
        path, engine, journal = overflowing_journal(tmp_path)
        journal.start()

        async def write(items: list[JournalItem]) -> list[object]:
            return list(await asyncio.gather(*(journal.submit_async(item) for item in items)))

        try:
            assert asyncio.run(write([decision_item("a")])) == [None]
            other = sqlite3.connect(path, timeout=30)
            other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            queued = JournalItem(
                event_id="q",
                inbox={"event_id": "q", "received_at": utcnow(), "payload": {"event_id": "q"}},
            )

            async def while_locked_then_released() -> list[object]:
                first = await asyncio.wait_for(write([decision_item("b"), queued]), timeout=2)
                second = await asyncio.wait_for(
                    write([decision_item("c"), JournalItem(event_id="q", inbox_done=True)]), timeout=2
                )
                assert journal.spilled_batches == 2
                assert journal.backlog == 4
                waiting = journal.waiting_decision("b")
                assert waiting is not None
                assert waiting["occurred_at"].tzinfo is not None
                assert count_rows(path, "decisions") == 1  # nothing moved while the lock is held
                other.rollback()
                # No new request comes to carry them: the loop's own retry moves them.
                assert await _wait_until(lambda: count_rows(path, "decisions") == 3)
                return first + second

            assert asyncio.run(while_locked_then_released()) == [None, None, None, None]
            assert journal.busy_handoffs == 0
            assert journal.backlog == 0
            assert count_rows(path, "event_inbox") == 0  # inserted, then deleted: in answer order
            assert journal.waiting_decision("b") is None
        finally:
            journal.stop()
            engine.dispose()
        assert list((tmp_path / "spill").iterdir()) == []  # an empty overflow file is removed at stop

    def test_the_next_batch_carries_the_overflow_and_stop_moves_what_is_left(self, tmp_path: Path) -> None:
        path, engine, journal = overflowing_journal(tmp_path)
        journal.RETRY_FIRST_S = 60.0  # no timer: only a new batch can carry the overflow here
        journal.start()

        async def write(item: JournalItem) -> object:
            return await journal.submit_async(item)

        try:
            other = sqlite3.connect(path, timeout=30)
            other.execute("BEGIN IMMEDIATE")
            asyncio.run(write(decision_item("a")))
            other.rollback()
            asyncio.run(write(decision_item("b")))  # one transaction: a, then b
            seqs = sqlite3.connect(path).execute("SELECT event_id FROM decisions ORDER BY seq").fetchall()
            assert seqs == [("a",), ("b",)]
            other.execute("BEGIN IMMEDIATE")
            asyncio.run(write(decision_item("c")))
            assert journal.backlog == 1
            other.rollback()
        finally:
            journal.stop()  # the thread moves c
            engine.dispose()
        assert count_rows(path, "decisions") == 3
        assert list((tmp_path / "spill").iterdir()) == []

    def test_an_event_already_stored_is_answered_with_the_stored_answer(self, tmp_path: Path) -> None:
        path, engine, journal = overflowing_journal(tmp_path)
        journal.start()

        async def write(item: JournalItem) -> object:
            return await journal.submit_async(item)

        try:
            asyncio.run(write(decision_item("a")))
            other = sqlite3.connect(path, timeout=30)
            other.execute("BEGIN IMMEDIATE")
            retry = decision_item("a")
            assert retry.decision is not None
            retry.decision["response"] = {"event_id": "a", "decision": "block"}
            assert asyncio.run(write(retry)) == {"event_id": "a", "decision": "allow"}
            other.rollback()
        finally:
            journal.stop()
            engine.dispose()

    def test_a_crashed_process_overflow_is_moved_at_start_once(self, tmp_path: Path) -> None:
        path = tmp_path / "j.db"
        engine = create_db_engine(f"sqlite:///{path}")
        migrate.upgrade(engine)
        already, fresh = decision_item("x"), decision_item("y")
        for item in (already, fresh):
            item.outbox.append({"topic": "decision.made", "key": "a", "payload": {}, "created_at": utcnow()})
        # A first journal stored x (with its outbox message) and crashed before forgetting it.
        first = DecisionJournal(engine)
        first.start()
        first.submit(JournalItem.from_rows(already.rows())).result()
        first.stop()
        left = spill.SpillFile.create(tmp_path / "spill")
        left.append([already.rows(), fresh.rows()])
        left.close()  # the process is gone: its lock is released, its rows stay
        assert count_rows(path, "outbox") == 1

        journal = DecisionJournal(engine, inline=True, spill_dir=tmp_path / "spill")
        journal.start()
        try:
            assert journal.recovered_items == 2
            assert count_rows(path, "decisions") == 2
            assert count_rows(path, "outbox") == 2  # y's message; x's was not written twice
        finally:
            journal.stop()
            engine.dispose()
        assert list((tmp_path / "spill").iterdir()) == []


async def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.02)
    return condition()
