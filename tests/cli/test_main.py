from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fanzha.cli.main import app
from fanzha.kit.setup import default_pack_path

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


class TestInit:
    def test_first_init_prints_an_admin_key_once(self, data_dir: Path) -> None:
        code, _out, err = invoke("init", "--data-dir", str(data_dir))
        assert code == 0, err
        assert "fzk_" in err
        assert (data_dir / "fanzha.db").exists()
        assert (data_dir / "first-admin.key").read_text().startswith("fzk_")
        code, _out, err = invoke("init", "--data-dir", str(data_dir))
        assert code == 0
        assert "fzk_" not in err

    def test_apikey_create_prints_the_secret(self, data_dir: Path) -> None:
        code, out, err = invoke("apikey", "create", "--role", "api_client", "--data-dir", str(data_dir))
        assert code == 0, err
        assert out.strip().startswith("fzk_")
        code, _out, err = invoke("apikey", "create", "--role", "wizard", "--data-dir", str(data_dir))
        assert code == 2
        assert "unknown role" in err


class TestRules:
    def test_default_pack_fixtures_pass(self, data_dir: Path) -> None:
        code, _out, err = invoke("rules", "test", "--data-dir", str(data_dir))
        assert code == 0, err
        assert " 0 failed" in err

    def test_failing_fixture_fails_the_command(self, tmp_path: Path, data_dir: Path) -> None:
        pack = tmp_path / "mine.yaml"
        pack.write_text(default_pack_path().read_text().replace(">= 20", ">= 2000"))
        (tmp_path / "mine.fixtures.yaml").write_text(
            default_pack_path().with_name("default.fixtures.yaml").read_text().replace("pack: default", "pack: mine")
        )
        code, _out, err = invoke("rules", "test", str(pack), "--data-dir", str(data_dir))
        assert code == 1
        assert "FAIL" in err

    def test_validate_reports_file_line_column(self, tmp_path: Path, data_dir: Path) -> None:
        pack = tmp_path / "broken.yaml"
        pack.write_text(
            "pack: x\nrules:\n  - id: r\n    description: d\n    condition: 'event.type ==== 1'\n    outcome: block\n"
        )
        code, _out, err = invoke("rules", "validate", str(pack), "--data-dir", str(data_dir))
        assert code == 2
        assert f"{pack}:5:" in err

    def test_push_activates(self, tmp_path: Path, data_dir: Path) -> None:
        pack = tmp_path / "mine.yaml"
        pack.write_text("pack: mine\nrules: []\n")
        code, _out, err = invoke("rules", "push", str(pack), "--data-dir", str(data_dir))
        assert code == 0, err
        assert "mine" in err


class TestLists:
    def test_import_then_export(self, tmp_path: Path, data_dir: Path) -> None:
        csv_file = tmp_path / "phones.csv"
        csv_file.write_text('value,reason,expires_at\n13800138000,report 1,\n+86 139 0000 0000,=HYPERLINK("x"),\n')
        code, _out, err = invoke("lists", "import", "blocked_phones", str(csv_file), "--data-dir", str(data_dir))
        assert code == 0, err
        out_file = tmp_path / "out.csv"
        code, _out, err = invoke("lists", "export", "blocked_phones", "-o", str(out_file), "--data-dir", str(data_dir))
        assert code == 0, err
        lines = out_file.read_text().splitlines()
        assert lines[0] == "value,reason,source,expires_at"
        assert "+8613800138000,report 1,import," in lines
        assert any(line.startswith("+8613900000000,\"'=HYPERLINK") for line in lines)

    def test_one_bad_row_imports_nothing(self, tmp_path: Path, data_dir: Path) -> None:
        csv_file = tmp_path / "phones.csv"
        csv_file.write_text("value\n13800138000\nnot-a-phone\n")
        code, _out, err = invoke("lists", "import", "blocked_phones", str(csv_file), "--data-dir", str(data_dir))
        assert code == 2
        assert "row 3" in err
        out_file = tmp_path / "out.csv"
        invoke("lists", "export", "blocked_phones", "-o", str(out_file), "--data-dir", str(data_dir))
        assert out_file.read_text().splitlines() == ["value,reason,source,expires_at"]

    def test_not_utf8_is_refused(self, tmp_path: Path, data_dir: Path) -> None:
        csv_file = tmp_path / "gbk.csv"
        csv_file.write_bytes("value,reason\n13800138000,反诈中心\n".encode("gbk"))
        code, _out, err = invoke("lists", "import", "blocked_phones", str(csv_file), "--data-dir", str(data_dir))
        assert code == 2
        assert "UTF-8" in err


class TestDecide:
    def test_replay_writes_one_decision_per_event(self, tmp_path: Path, data_dir: Path) -> None:
        events = tmp_path / "events.jsonl"
        lines = [
            {
                "event_id": f"e{i}",
                "type": "message.sent",
                "occurred_at": f"2026-06-01T08:00:{i:02d}Z",
                "actor": {"id": "spammer"},
                "counterparty": {"id": f"v{i}"},
            }
            for i in range(25)
        ]
        events.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
        out = tmp_path / "decisions.jsonl"
        code, _out, err = invoke("decide", str(events), "-o", str(out), "--data-dir", str(data_dir))
        assert code == 0, err
        decisions = [json.loads(line) for line in out.read_text().splitlines()]
        assert [d["event_id"] for d in decisions] == [f"e{i}" for i in range(25)]
        assert [d["decision"] for d in decisions] == ["allow"] * 20 + ["review"] * 5

    def test_bad_lines_are_named_and_exit_2(self, tmp_path: Path, data_dir: Path) -> None:
        events = tmp_path / "events.jsonl"
        good = {"event_id": "ok", "type": "message.sent", "occurred_at": "2026-06-01T08:00:00Z", "actor": {"id": "a"}}
        events.write_text(json.dumps(good) + "\n{oops\n" + json.dumps({**good, "type": "no.such"}) + "\n")
        out = tmp_path / "decisions.jsonl"
        code, _out, err = invoke("decide", str(events), "-o", str(out), "--data-dir", str(data_dir))
        assert code == 2
        assert f"{events}:2:" in err
        assert f"{events}:3:" in err
        assert len(out.read_text().splitlines()) == 1


class TestWorker:
    def test_worker_runs_the_jobs_until_terminated(self, data_dir: Path) -> None:
        import signal
        import subprocess
        import sys
        import threading
        import time

        invoke("init", "--data-dir", str(data_dir))
        worker = subprocess.Popen(
            [sys.executable, "-m", "fanzha", "worker", "--data-dir", str(data_dir), "--interval", "0.2"],
            stderr=subprocess.PIPE,
            text=True,
        )
        # Wait for the line it prints once its signal handlers are set (a fixed sleep raced a slow start).
        started: list[str] = []
        reader = threading.Thread(target=lambda: started.append(worker.stderr.readline() if worker.stderr else ""))
        reader.start()
        reader.join(timeout=60)
        assert started, "the worker printed nothing within 60 s"
        assert "worker running" in started[0], started
        time.sleep(0.5)
        assert worker.poll() is None
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0

    def test_worker_stops_when_its_server_is_gone(self, data_dir: Path) -> None:
        import subprocess
        import sys

        invoke("init", "--data-dir", str(data_dir))
        # Its real parent is this test process, so a different --parent-pid reads as "server gone".
        worker = subprocess.Popen(
            [sys.executable, "-m", "fanzha", "worker", "--data-dir", str(data_dir), "--parent-pid", "1"],
        )
        assert worker.wait(timeout=30) == 0
