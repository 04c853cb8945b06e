"""The batch path (joined automata, array bookkeeping, lazy details) against the one-text path."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import phonenumbers
import pytest

from fanzha.screening import screen, screen_many
from fanzha.screening.features import batch_ngram_hashes, dense_features, ngram_hashes
from fanzha.screening.indicators import _e164_slow, extract_raw
from fanzha.screening.lexicon import VIA, get_lexicon
from fanzha.screening.normalize import normalize_text
from fanzha.screening.pipeline import featurise

FRESH = [
    json.loads(line)["text"]
    for line in (Path(__file__).parent / "data" / "fresh.jsonl").read_text("utf-8").splitlines()
]
EVASIONS = [
    "收\u200bｙｈｋ（壹類）日結 ➕ⓥ：ａｂ１２３ 看主頁",
    "高价收.银.行.卡，带U盾 shou yin hang ka 收y行k 银杭咔 加威信",
    "I was doing sdk work, wasd keys; see bit.ly/abc and www.taoba0-refund.top/x",
    "联系：１３９ 一二三四 五六七八 或 17012345678，物联卡号 1064812345678",
    "卡号 4111 1111 1111 1111 转 USDT 到 TQrY8tryqsYVCYS3MFbtffiPp2ccyn4STm",
    "",
    "\n\n换行\n里的 收银行卡\n",
    "𠀀𠀁 ab12 收银行卡",
]


def _corpus() -> list[str]:
    rng = random.Random(11)
    alphabet = "收银行卡微信一二三四五幺洞 .|*_\n(（)）yhkshouyinhangkawx加威街码y行k0123456789@/:-"
    noise = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 50))) for _ in range(150)]
    return FRESH + EVASIONS + noise


def test_batch_lexicon_hits_equal_one_text_hits() -> None:
    lex = get_lexicon()
    texts = [normalize_text(t) for t in _corpus()]
    batch = lex.match_batch(texts)
    assert batch.term.shape[0] > 100
    for i, text in enumerate(texts):
        one = lex.match_batch([text])
        rows = slice(int(batch.ptr[i]), int(batch.ptr[i + 1]))
        for name in ("term", "start", "end", "via"):
            assert getattr(one, name).tolist() == getattr(batch, name)[rows].tolist(), (text, name)


def test_batch_hashes_equal_per_text_hashes() -> None:
    texts = [normalize_text(t) for t in _corpus()]
    hashes, offsets = batch_ngram_hashes(texts)
    for i, text in enumerate(texts):
        assert hashes[offsets[i] : offsets[i + 1]].tolist() == ngram_hashes(text).tolist()


def test_batch_dense_block_equals_reference() -> None:
    texts = _corpus()
    f = featurise(texts)
    cats = tuple(get_lexicon().categories)
    block = f.dense(cats)
    for i in range(len(texts)):
        lo, hi = int(f.hits.ptr[i]), int(f.hits.ptr[i + 1])
        hits = [
            (get_lexicon().terms[int(t)], int(a), int(b), VIA[int(v)])
            for t, a, b, v in zip(
                f.hits.term[lo:hi], f.hits.start[lo:hi], f.hits.end[lo:hi], f.hits.via[lo:hi], strict=True
            )
        ]
        found = [(r[0], r[4]) for r in f.indicators[i]]
        np.testing.assert_allclose(block[i], dense_features(f.normalized[i], cats, hits, found), rtol=1e-6, atol=1e-6)


def test_batch_results_equal_single_results_in_full() -> None:
    texts = _corpus()
    for kind in ("message", "listing"):
        batch = screen_many(texts, kind)
        for text, res in zip(texts, batch, strict=True):
            one = screen(text, kind)
            assert one.to_rule_signals() == res.to_rule_signals()
            assert one.risk == pytest.approx(res.risk, abs=1e-4)
            assert [(m.term, m.span, m.via) for m in one.matches] == [(m.term, m.span, m.via) for m in res.matches]
            assert [(i.type, i.value, i.span) for i in one.indicators] == [
                (i.type, i.value, i.span) for i in res.indicators
            ]
            assert one.explanation == res.explanation


def test_spans_map_to_the_original_lazily() -> None:
    raw = "高价收.银.行.卡 加V：ＡＢ１２３"
    result = screen(raw, "listing")
    signals = result.to_rule_signals()
    assert {"type": "wechat", "value": "ab123"} in signals["indicators"]  # type: ignore[operator]
    spans = {m.term: raw[m.span[0] : m.span[1]] for m in result.matches}
    assert spans["银行卡"] == "银.行.卡"
    wechat = next(i for i in result.indicators if i.type == "wechat")
    assert raw[wechat.span[0] : wechat.span[1]] == "ＡＢ１２３"
    assert result.explanation
    assert result.explanation == screen(raw, "listing").explanation


def test_plain_cn_mobile_fast_path_agrees_with_phonenumbers() -> None:
    rng = random.Random(5)
    checked = 0
    for _ in range(3000):
        digits = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
        found = extract_raw(f"电话 {digits} 联系", f"电话 {digits} 联系")
        phones = [r[1] for r in found if r[0] == "phone"]
        parsed = phonenumbers.parse(digits, "CN")
        expected = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        assert phones == [expected]
        assert _e164_slow(digits, False) == expected
        checked += 1
    assert checked == 3000
