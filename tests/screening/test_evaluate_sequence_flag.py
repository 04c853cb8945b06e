"""scripts/evaluate.py's ``--sequence`` flag: off by default, and skipped in one line without torch.

These tests never import torch and never read a dataset: torch is hidden from the import system and
the data folder points to a path that does not exist.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def evaluate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fanzha_scripts_evaluate", ROOT / "scripts" / "evaluate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sequence_is_off_by_default(evaluate: ModuleType) -> None:
    args = evaluate.parse_args([])
    assert args.sequence is False
    assert args.val_only is False
    args = evaluate.parse_args(["--sequence", "--val-only", "--datasets", "uci"])
    assert args.sequence is True
    assert args.val_only is True
    assert args.datasets == "uci"


def test_not_requested_means_no_torch_and_no_message(
    evaluate: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # importing torch would now raise ImportError
    assert evaluate.sequence_ready(False) is False
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_without_torch_the_row_is_skipped_in_one_line(
    evaluate: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    assert evaluate.sequence_ready(True) is False
    assert capsys.readouterr().err == evaluate.SEQ_SKIPPED + "\n"
    monkeypatch.setattr(evaluate.data, "DATA", tmp_path / "absent")
    evaluate.main(["--sequence", "--val-only"])
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines[0] == evaluate.SEQ_SKIPPED
    assert lines[1].endswith("not found: nothing to validate on")
    assert len(lines) == 2
