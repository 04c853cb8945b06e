"""Lexicon loading and matching on the text, pinyin and initials streams."""

from __future__ import annotations

import pytest

from fanzha.screening.lexicon import get_lexicon
from fanzha.screening.normalize import normalize_text


def _hits(text: str) -> set[tuple[str, str, str]]:
    return {(t.term, t.category, via) for t, _a, _b, via in get_lexicon().match(normalize_text(text))}


def test_files_are_versioned_and_loaded() -> None:
    lex = get_lexicon()
    assert set(lex.versions) == {"card_trading", "context", "fraud_typology"}
    assert lex.size > 300
    assert "phone_card" in lex.categories


@pytest.mark.parametrize(
    ("text", "term", "category"),
    [
        ("高价收yhk 一类优先", "yhk", "bank_account"),
        ("出sjk wlk 免实名", "sjk", "phone_card"),
        ("收.银.行.卡", "收银行卡", "bank_account"),
        ("高價收購銀行卡", "银行卡", "bank_account"),
        ("专业接码 秒收", "接码", "sms_code"),
        ("招跑分 日入千元", "跑分", "money_mule"),
        ("代过人脸 代实名", "代实名", "realname_bypass"),
        ("➕📞 ab123", "加微", "contact_diversion"),
    ],
)
def test_text_stream(text: str, term: str, category: str) -> None:
    assert (term, category, "text") in _hits(text)


@pytest.mark.parametrize(
    ("text", "term", "category"),
    [
        ("高价收银杭咔", "银行卡", "bank_account"),
        ("加威信详聊", "加微信", "contact_diversion"),
        ("长期街码", "接码", "sms_code"),
        ("shou yin hang ka", "收银行卡", "bank_account"),
    ],
)
def test_pinyin_stream_catches_homophones(text: str, term: str, category: str) -> None:
    assert (term, category, "pinyin") in _hits(text)


def test_initials_stream_catches_mixed_abbreviation() -> None:
    assert ("收银行卡", "bank_account", "initials") in _hits("收y行k")


def test_ascii_terms_need_word_boundaries() -> None:
    assert not any(term == "sd" for term, _c, _v in _hits("I was doing sdk work"))
    assert not any(c == "bank_account" for _t, c, _v in _hits("我们明天一起吃饭"))


def test_match_spans_map_to_original() -> None:
    from fanzha.screening import screen

    raw = "高价收.银.行.卡，带U盾"
    result = screen(raw, "listing")
    spans = {m.term: raw[m.span[0] : m.span[1]] for m in result.matches}
    assert spans["银行卡"] == "银.行.卡"
    assert spans["u盾"] == "U盾"
