"""The round-5 dense features: co-occurrence products, lexicon density and the n-gram scale."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from fanzha.screening.features import (
    COOCCURRENCE,
    DENSITY_KNEE,
    NGRAM_SCALE_KNEE,
    dense_names,
    lexicon_density,
    ngram_scale,
)
from fanzha.screening.lexicon import get_lexicon
from fanzha.screening.pipeline import featurise

FRESH_V2 = Path(__file__).parent / "data" / "fresh_v2.jsonl"


def _co(text: str) -> dict[str, float]:
    cats = get_lexicon().categories
    names = dense_names(cats)
    row = featurise([text]).dense(cats)[0]
    return {name: float(row[names.index(name)]) for name in COOCCURRENCE}


def test_contact_urgency_and_money_together_fire_the_triple() -> None:
    co = _co("你先把保证金转到这张卡，今天内必须办好，加微信ab12345")
    assert co["co:contact*urgency*money"] == pytest.approx(1.0)
    assert co["co:contact*money"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "text",
    ["这个月的电费已经转账付清了", "明天上午十点开会，请准时参加", "加微信ab12345 一起打球"],
)
def test_one_ingredient_alone_does_not_fire_the_triple(text: str) -> None:
    assert _co(text)["co:contact*urgency*money"] == 0.0


def test_warning_wording_next_to_a_script_is_its_own_feature() -> None:
    co = _co("警惕！凡是要求下载APP做进阶任务、先垫付再返佣金的兼职都是骗局")
    assert co["co:warning*scheme"] > 0.0


def test_lexicon_density_is_one_up_to_the_knee_then_falls() -> None:
    assert lexicon_density(0) == lexicon_density(DENSITY_KNEE) == 1.0
    assert lexicon_density(4 * DENSITY_KNEE) == pytest.approx(0.5)


def test_ngram_scale_is_continuous_at_the_knee_and_keeps_long_sums_bounded() -> None:
    counts = np.array([1, 100, NGRAM_SCALE_KNEE, NGRAM_SCALE_KNEE + 1, 10 * NGRAM_SCALE_KNEE], dtype=np.int64)
    scale = ngram_scale(counts)
    np.testing.assert_allclose(scale[:3], 1.0 / np.sqrt(counts[:3]), rtol=1e-6)
    assert scale[3] == pytest.approx(scale[2], rel=2e-3)
    # A sum of n equal weights times the scale stops growing past the knee.
    assert counts[4] * scale[4] == pytest.approx(counts[2] * scale[2], rel=1e-6)


def test_fresh_v2_is_labelled_and_balanced() -> None:
    """The round-5 hand-written evaluation set: every row labelled, both languages, both kinds."""
    rows = [json.loads(line) for line in FRESH_V2.read_text("utf-8").splitlines() if line.strip()]
    assert len(rows) >= 240
    assert len({r["text"] for r in rows}) == len(rows)
    for r in rows:
        assert isinstance(r["flagged"], bool)
        assert r["kind"] in {"message", "listing"}
        assert r["lang"] in {"zh", "en"}
        assert r["category"]
        assert (r["typology"] is not None) == (r["kind"] == "message" and r["flagged"])
    cells = Counter((r["kind"], r["lang"], r["flagged"]) for r in rows)
    assert len(cells) == 8
    assert min(cells.values()) >= 15
    typologies = {r["typology"] for r in rows if r["typology"]}
    assert len(typologies) == 12
