from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fanzha.decisions import spill


class TestSpillFile:
    def test_rows_come_back_as_written_with_datetimes(self, tmp_path: Path) -> None:
        at = datetime(2026, 11, 30, 1, 2, 3, 456789, tzinfo=UTC)
        item = {"event_id": "e1", "decision": {"at": at, "nested": [{"when": at}, 1, "x"]}, "inbox": None}
        file = spill.SpillFile.create(tmp_path)
        seqs = file.append([item, {**item, "event_id": "e2"}])
        assert [row.item for row in file.rows()] == [item, {**item, "event_id": "e2"}]
        assert file.find("e2") == {**item, "event_id": "e2"}
        file.forget(seqs[:1])
        assert [row.event_id for row in file.rows()] == ["e2"]
        file.close()
        assert (tmp_path / file.path.name).exists()  # not empty: kept for the next start

    def test_a_live_owner_file_is_not_an_orphan_and_a_dead_one_is(self, tmp_path: Path) -> None:
        live = spill.SpillFile.create(tmp_path)
        live.append([{"event_id": "e"}])
        assert list(spill.orphans(tmp_path)) == []
        live.close()
        found = list(spill.orphans(tmp_path))
        assert [orphan.path for orphan in found] == [live.path]
        assert [row.event_id for row in found[0].rows()] == ["e"]
        found[0].forget([row.seq for row in found[0].rows()])
        found[0].close()
        assert list(tmp_path.iterdir()) == []

    def test_a_damaged_file_is_left_in_place(self, tmp_path: Path) -> None:
        (tmp_path / "123-abc.db").write_bytes(b"this is not a database" * 100)
        assert list(spill.orphans(tmp_path)) == []
        assert (tmp_path / "123-abc.db").exists()
