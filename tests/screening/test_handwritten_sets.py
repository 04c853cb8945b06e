"""The hand-written evaluation sets are well formed and share no text with the training generator."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from fanzha.rules.outcomes import GENERIC_TYPOLOGY, WARNING_TYPOLOGIES

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
TYPOLOGIES = set(WARNING_TYPOLOGIES) - {GENERIC_TYPOLOGY}  # the twelve MPS typologies


def _rows(name: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (DATA / name).read_text("utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("name", ["fresh_v2.jsonl", "fresh_v3.jsonl"])
def test_rows_are_well_formed(name: str) -> None:
    rows = _rows(name)
    texts = [r["text"] for r in rows]
    assert len(set(texts)) == len(texts)
    for r in rows:
        text = r["text"]
        assert isinstance(text, str)
        assert text.strip()
        assert r["kind"] in ("message", "listing")
        assert r["lang"] in ("zh", "en")
        assert isinstance(r["flagged"], bool)
        assert isinstance(r["category"], str)
        assert r["category"]
        if r["kind"] == "message" and r["flagged"]:
            assert r["typology"] in TYPOLOGIES
            assert r["category"] == "fraud"
        else:
            assert r["typology"] is None
    for kind in ("message", "listing"):
        for lang in ("zh", "en"):
            flags = {r["flagged"] for r in rows if r["kind"] == kind and r["lang"] == lang}
            assert flags == {True, False}, (kind, lang)


def test_fresh_v3_shares_no_text_with_the_generator_or_fresh_v2() -> None:
    sys.path.insert(0, str(ROOT / "scripts" / "screening"))
    import synth

    generated = {s.text for s in synth.message_samples()} | {s.text for s in synth.listing_samples()}
    v2 = {str(r["text"]) for r in _rows("fresh_v2.jsonl")}
    for r in _rows("fresh_v3.jsonl"):
        text = str(r["text"])
        assert text not in generated
        assert text not in v2
