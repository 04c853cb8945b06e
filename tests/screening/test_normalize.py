"""Normalisation against the evasion catalogue (domain-requirements §7.1, §7.3) and its properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fanzha.screening.normalize import Normalized, Views, normalize_many, normalize_text, normalize_tracked

CATALOGUE = [
    ("高價收購銀行卡 一類卡優先", "高价收购银行卡一类卡优先"),
    ("收ＹＨＫ\u3000壹類", "收yhk 一类"),
    ("收.银.行.卡", "收银行卡"),
    ("收|银|行|卡", "收银行卡"),
    ("收\u200b银\u200b行\u200b卡", "收银行卡"),
    ("收\u202e银\u2066行\ufeff卡", "收银行卡"),
    ("收 银 行 卡", "收银行卡"),
    ("荍银行鉲", "收银行卡"),
    ("炪掱僟鉲", "出手机卡"),
    ("收钅艮行卡", "收银行卡"),
    ("收⿰钅艮行卡", "收银行卡"),
    ("收 🏦💳 带盾", "收银行卡带盾"),
    ("＋ｖｘ：ａｂ１２３", "+vx:ab123"),
    ("𝐕𝐗 ab123", "vx ab123"),
    ("ⓥⓧ ab123", "vx ab123"),
    ("🅥🅧 🆅🆇 🇻🇽", "vx vx vx"),
    ("ᵛˣ ab123", "vx ab123"),
    ("➕📞 ab123", "加微 ab123"),
    ("➕🐧 1234", "加qq 1234"),
    ("✈️ @ab123", "飞机 @ab123"),
    ("扣：幺叁捌洞洞拐", "扣:138007"),
    ("企鹅 1⃣2⃣3⃣4⃣", "企鹅 1234"),
    ("1️⃣3️⃣8️⃣", "138"),
    ("①③⑧ ❶", "138 1"),
    ("一二三四五六七", "1234567"),
    ("138 四五六七 八九零一", "13845678901"),
    ("网(wang)络(luo)", "网络"),
    ("市(👖)公安局(🈴)", "市公安局"),
    ("薇❤：ab123", "薇:ab123"),
    ("p4ypal login", "paypal login"),
    ("ѕеnd рaураl", "send paypal"),
    ("詐騙 帳號 電話卡", "诈骗帐号电话卡"),
]


@pytest.mark.parametrize(("raw", "expected"), CATALOGUE)
def test_catalogue_case(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_ordinary_text_is_kept() -> None:
    assert normalize_text("我们明天一起吃饭，好吗？") == "我们明天一起吃饭,好吗?"
    assert normalize_text("Meet me at 10:30, room 2") == "meet me at 10:30, room 2"
    # Numerals in ordinary words are not read as digits; handles with digits are not leet-folded.
    assert normalize_text("三三两两 一类卡") == "三三两两一类卡"
    assert normalize_text("wx ab123 iphone7 win10") == "wx ab123 iphone7 win10"


def test_offsets_map_back_to_original() -> None:
    raw = "请加 ＶＸ：ａｂ１２３ 谢谢"
    norm = Normalized(raw)
    start = norm.text.index("ab123")
    a, b = norm.to_original(start, start + 5)
    assert raw[a:b] == "ａｂ１２３"


def test_offsets_across_removed_separators() -> None:
    raw = "高价收.银.行.卡!"
    norm = Normalized(raw)
    start = norm.text.index("银行卡")
    a, b = norm.to_original(start, start + 3)
    assert raw[a:b] == "银.行.卡"


def test_views_pinyin_and_initials() -> None:
    views = Views(normalize_text("收y行k 加威信"))
    assert views.compact == "收y行k加威信"
    assert views.pinyin == "shouyhangkjiaweixin"
    assert views.initials == "syhkjwx"
    assert views.pinyin_to_compact(len("shouyhangkjia"), len("shouyhangkjiaweixin")) == (5, 7)
    assert views.pinyin_to_compact(1, 4) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_never_raises_and_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    tracked, starts, ends = normalize_tracked(text)
    assert tracked == once
    assert len(starts) == len(ends) == len(once)
    assert all(0 <= a < b <= len(text) for a, b in zip(starts, ends, strict=True))


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="收银行卡微信一二三四五幺洞 .|*_\u200b(（)）【】[]钅艮wangab0134@:/-", max_size=40))
def test_idempotent_on_evasion_alphabet(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert normalize_tracked(text)[0] == once


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="网络市公安收银 ab x1(（)）[]【】〔〕.|*·~👖❤", max_size=30))
def test_bracket_and_separator_stages_agree_with_tracked_path(text: str) -> None:
    # The fast path's bracket-noise and separator patterns start with the bracket/separator and look
    # back for the Hanzi; the tracked path keeps the lookbehind-first originals.
    assert normalize_text(text) == normalize_tracked(text)[0]


def test_batch_character_map_agrees_with_translate() -> None:
    # Characters that map to none ("\u200b", lone surrogates), to several ("ﬁ", emoji) or to one
    # ("Ａ", "，"), empty texts, and a character seen for the first time in this batch.
    texts = ["", "ＡＢ，收", "ﬁ①\u200b💳", "", "高價收購銀行卡", "\U0002a6a5x", "plain ascii", "ｒｅｄ"]
    assert normalize_many(texts) == [normalize_text(t) for t in texts]
    with_surrogate = ["a\ud800b", *texts]  # cannot be encoded: the whole batch takes str.translate
    assert normalize_many(with_surrogate) == [normalize_text(t) for t in with_surrogate]
    assert normalize_many(texts[1:2]) == [normalize_text(texts[1])]
    assert normalize_many([]) == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=8))
def test_batch_normalisation_equals_one_by_one(texts: list[str]) -> None:
    assert normalize_many(texts) == [normalize_text(t) for t in texts]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab3e4l1o0s5t7 .@/:_-收x", max_size=30))
def test_leet_stage_agrees_with_tracked_path(text: str) -> None:
    # The fast path only visits tokens that mix letters and digits; the tracked path visits all.
    assert normalize_text(text) == normalize_tracked(text)[0]


def test_bracket_noise_removal_is_repeated_until_stable() -> None:
    # Found by the property test: removing "[a】" leaves a Hanzi before "[一)", a group in turn.
    text = "一[一[a】)"
    assert normalize_text(text) == "一"
    assert normalize_tracked(text)[0] == "一"
