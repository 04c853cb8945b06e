"""The stacked model table, the one-text dense block and the array-spelled pinyin view.

Each is a faster route to a value that a slower, simpler route also computes; these tests pin the
fast route to the simple one.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fanzha.screening import screen_many
from fanzha.screening.features import dense_block, dense_one
from fanzha.screening.lexicon import get_lexicon
from fanzha.screening.model import LinearModel, ModelSet, get_models
from fanzha.screening.normalize import _SYLLABLES, SingleStreams, Streams, normalize_text
from fanzha.screening.pipeline import (
    _head1,
    _sigmoid,
    _sigmoid1,
    _softmax,
    _to_risk,
    _to_risk1,
    featurise,
    logits,
    stacked_logits,
)

FRESH = [
    json.loads(line)["text"]
    for line in (Path(__file__).parent / "data" / "fresh.jsonl").read_text("utf-8").splitlines()
]
ODD = [
    "",
    "收y行k 银杭咔 加威信 高价收.银.行.卡",
    "𠀀𠀁 ab12 收银行卡 龘 ㄅㄆ",
    "Your parcel could not be delivered, pay at kf-refund.top now",
    "\n换行\n",
    # Longer than the lexicon-density and n-gram-scale knees (features.py), as news reports are.
    "据报道，" + "对方称“我是客服，马上加微信ab123，先转账保证金”。民警提醒不要转账。" * 30,
]


def test_stacked_table_holds_every_model_and_shares_its_memory() -> None:
    models = get_models()
    assert models.weights.flags.c_contiguous
    for name, columns in (
        ("message_binary", slice(models.fraud, models.fraud + 1)),
        ("listing_binary", slice(models.trade, models.trade + 1)),
        ("message_typology", models.typology),
        ("listing_category", models.category),
    ):
        model = models.models[name]
        assert np.shares_memory(model.weights, models.weights)
        np.testing.assert_array_equal(model.weights, models.weights[:, columns])
        np.testing.assert_array_equal(model.dense_weights, models.dense_weights[:, columns])
        np.testing.assert_array_equal(model.bias, models.bias[columns])
    width = 2 + len(models.message_typology.classes) + len(models.listing_category.classes)
    assert models.weights.shape == (2**models.message_binary.bits, width)


def test_stacked_logits_equal_each_models_own_logits() -> None:
    models = get_models()
    f = featurise(FRESH + ODD)
    z = stacked_logits(models, f)
    for model, columns in (
        (models.message_binary, slice(0, 1)),
        (models.listing_binary, slice(1, 2)),
        (models.message_typology, models.typology),
        (models.listing_category, models.category),
    ):
        np.testing.assert_allclose(z[:, columns], logits(model, f), rtol=1e-5, atol=1e-5)


def test_a_texts_scores_do_not_depend_on_its_batch() -> None:
    texts = FRESH + ODD
    forward = screen_many(texts, "message")
    backward = screen_many(texts[::-1], "message")[::-1]
    alone = [screen_many([t], "message")[0] for t in texts[:40]]
    for a, b in zip(forward, backward, strict=True):
        assert (a.risk, a.scores, a.labels) == (b.risk, b.scores, b.labels)
    for a, c in zip(forward, alone, strict=False):
        assert (a.risk, a.scores, a.labels) == (c.risk, c.scores, c.labels)


def test_model_set_rejects_models_with_another_feature_layout() -> None:
    models = dict(get_models().models)
    odd = models["listing_category"]
    models["listing_category"] = LinearModel(
        name=odd.name,
        classes=odd.classes,
        weights=odd.weights,
        dense_weights=odd.dense_weights,
        bias=odd.bias,
        dense_names=odd.dense_names,
        categories=odd.categories[:-1],
        threshold=odd.threshold,
        bits=odd.bits,
        meta=odd.meta,
    )
    with pytest.raises(ValueError, match="feature layout"):
        ModelSet(models)


def test_one_text_dense_block_equals_batch_block_bit_for_bit() -> None:
    lex = get_lexicon()
    texts = FRESH + ODD
    f = featurise(texts)
    cats = get_models().categories
    block = dense_block(
        f.normalized,
        cats,
        lex.categories,
        f.hits,
        lex.term_category,
        lex.term_weight,
        [[(r[0], r[4]) for r in found] for found in f.indicators],
    )
    for i in range(len(texts)):
        lo, hi = int(f.hits.ptr[i]), int(f.hits.ptr[i + 1])
        one = dense_one(
            f.normalized[i],
            cats,
            lex.categories,
            f.hits.term[lo:hi].tolist(),
            f.hits.via[lo:hi].tolist(),
            lex.term_category_list,
            lex.term_weight_list,
            [(r[0], r[4]) for r in f.indicators[i]],
        )
        np.testing.assert_array_equal(one, block[i])


def test_batch_pinyin_view_equals_translated_view() -> None:
    normalized = [normalize_text(t).replace("\n", " ") for t in FRESH + ODD]
    batch = Streams(normalized)
    singles = [SingleStreams(t) for t in normalized]
    assert batch.pinyin == "\n".join(s.pinyin for s in singles)
    assert batch.initials == "\n".join(s.initials for s in singles)
    assert batch.pinyin == batch.compact.translate(_SYLLABLES)
    # Every syllable start maps to its compact character, in order; inside a syllable -1.
    starts = batch.pinyin_to_compact[:-1]
    assert np.array_equal(starts[starts >= 0], np.arange(len(batch.compact)))
    assert int(batch.pinyin_to_compact[-1]) == len(batch.compact)


def test_one_text_probabilities_match_the_batch_formulas() -> None:
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.normal(0.0, 4.0, 2000), [-50.0, -30.0, 0.0, 30.0, 50.0]]).astype(np.float32)
    batch = _sigmoid(x)
    one = np.array([_sigmoid1(v) for v in x.tolist()])
    np.testing.assert_allclose(one, batch, rtol=1e-14, atol=0.0)
    for threshold in (0.3, 0.69, 0.5):
        risks = _to_risk(batch, threshold)
        assert [_to_risk1(p, threshold) for p in batch.tolist()] == risks.tolist()
    heads = rng.normal(0.0, 3.0, (300, 12)).astype(np.float32)
    soft = _softmax(heads)
    for row, probs in zip(heads.tolist(), soft, strict=True):
        best, top = _head1(row)
        assert best == int(np.argmax(probs))
        assert top == pytest.approx(float(probs.max()), rel=1e-12)
