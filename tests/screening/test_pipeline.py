"""Classifier sanity on fresh hand-written examples (not generated from the training templates)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from fanzha.screening import KINDS, ScreeningResult, screen, screen_many

FRESH = [json.loads(line) for line in (Path(__file__).parent / "data" / "fresh.jsonl").read_text("utf-8").splitlines()]


def test_result_shape_and_rule_signals() -> None:
    result = screen("我是你们李总，换微信了 ab12345，明天来我办公室，先帮我给客户转两万")
    assert isinstance(result, ScreeningResult)
    assert 0.0 <= result.risk <= 1.0
    assert result.flagged is (result.risk >= 0.5)
    signals = result.to_rule_signals()
    assert set(signals) == {"risk", "flagged", "labels", "typology", "indicators"}
    assert signals["typology"] == (result.typology or "")
    assert {"type": "wechat", "value": "ab12345"} in signals["indicators"]  # type: ignore[operator]
    json.dumps(signals)


def test_flagged_fraud_has_typology_and_explanation() -> None:
    result = screen("这里是市公安局，你的银行卡涉嫌洗钱，必须把钱转到安全账户配合资金清查，不许告诉家人")
    assert result.flagged
    assert result.typology == "T08_impersonate_police"
    assert "fraud" in result.labels
    assert any("安全账户" in line or "fraud model" in line for line in result.explanation)


def test_card_trading_listing_is_flagged_with_category() -> None:
    result = screen("收\u200bｙｈｋ（壹類）日結 ➕ⓥ：ａｂ１２３ 看主頁", "listing")
    assert result.flagged
    assert "card_trading:bank_account" in result.labels
    assert "contact_diversion" in result.labels


@pytest.mark.parametrize("kind", ["message", "listing"])
def test_fresh_set_accuracy(kind: str) -> None:
    recs = [r for r in FRESH if r["kind"] == kind]
    results = screen_many([r["text"] for r in recs], kind)
    correct = sum(res.flagged == bool(r["label"]) for res, r in zip(results, recs, strict=True))
    # A floor, not a fit: the measured figure is in docs/detection.md.
    assert correct / len(recs) >= 0.8


def test_anti_fraud_warning_is_not_auto_actioned() -> None:
    result = screen('警惕！"刷单返利""高价收银行卡"都是诈骗，出租出借银行卡违法', "post")
    assert not result.flagged or "needs_review" in result.labels
    assert "warning_context" in result.labels


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="kind"):
        screen("hello", "email")
    with pytest.raises(TypeError):
        screen_many([b"bytes"], "message")  # type: ignore[list-item]
    assert screen_many([], "message") == []
    for text in ["", " ", "\x00\x01\xff" * 50, "🙂" * 500, "a" * 100_000, "Ǆ̶̡͔ z̷a̸l̵g̶o̸ ب ع 日本語 한국어"]:
        result = screen(text)
        assert 0.0 <= result.risk <= 1.0


def test_every_kind_is_accepted() -> None:
    for kind in KINDS:
        assert screen("出手机卡 不实名 即插即用", kind).risk >= 0.0


def test_batch_equals_single() -> None:
    texts = [r["text"] for r in FRESH[:10]]
    batch = screen_many(texts, "message")
    for text, res in zip(texts, batch, strict=True):
        assert screen(text).risk == pytest.approx(res.risk, abs=1e-3)


def test_concurrent_first_use_is_safe() -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            screen("加微信领取补贴")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
