"""Indicator extraction."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from fanzha.screening.indicators import (
    _CRYPTO_HINT,
    _CRYPTO_NEEDS,
    _HANDLES,
    _QR_HINT,
    _QR_NEEDS,
    _has_any,
    extract,
    luhn_ok,
)
from fanzha.screening.normalize import Normalized


def _by_type(text: str) -> dict[str, list[tuple[str, tuple[str, ...], str]]]:
    out: dict[str, list[tuple[str, tuple[str, ...], str]]] = {}
    for ind in extract(Normalized(text)):
        out.setdefault(ind.type, []).append((ind.value, ind.flags, text[ind.span[0] : ind.span[1]]))
    return out


def test_cn_mobile_e164_and_virtual_operator_flag() -> None:
    found = _by_type("有事打我电话 17012345678 或 13912345678")
    values = {v: f for v, f, _ in found["phone"]}
    assert values["+8617012345678"] == ("virtual_operator",)
    assert values["+8613912345678"] == ()


def test_full_width_and_chinese_numeral_phone() -> None:
    found = _by_type("联系：１３９ 一二三四 五六七八")
    assert found["phone"][0][0] == "+8613912345678"
    assert found["phone"][0][2].startswith("１３９")


def test_iot_number() -> None:
    assert _by_type("物联卡号 1064812345678")["phone"][0][1] == ("iot",)


def test_wechat_qq_telegram_whatsapp() -> None:
    found = _by_type("加V：ＡＢ１２３ 扣：幺叁捌洞洞拐8 飞机 @scam_boss whatsapp +44 7911 123456")
    assert found["wechat"][0][0] == "ab123"
    assert found["qq"][0][0] == "1380078"
    assert found["telegram"][0][0] == "scam_boss"
    assert found["whatsapp"][0][0] == "+447911123456"


def test_urls_domains_and_lookalikes() -> None:
    found = _by_type("请登录 www.taoba0-refund.top/x 或 https://www.taobao.com 查看")
    flags = {v: f for v, f, _ in found["domain"]}
    assert "lookalike:taobao" in flags["www.taoba0-refund.top"]
    assert "risky_tld" in flags["www.taoba0-refund.top"]
    assert flags["www.taobao.com"] == ()


def test_shortener_and_email() -> None:
    found = _by_type("see bit.ly/abc or mail a.b@example.org")
    assert found["domain"][0][1] == ("shortener",)
    assert found["email"][0][0] == "a.b@example.org"


def test_bank_card_needs_luhn() -> None:
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")
    assert _by_type("卡号 4111 1111 1111 1111")["bank_card"][0][0] == "4111111111111111"
    assert "bank_card" not in _by_type("订单 4111 1111 1111 1112")


def test_payment_qr_and_crypto() -> None:
    found = _by_type("扫码付款到收款码，或转 USDT 到 TQrY8tryqsYVCYS3MFbtffiPp2ccyn4STm")
    assert {v for v, _, _ in found["payment_qr"]} >= {"扫码", "收款码"}
    assert found["crypto_address"][0][0] == "TQrY8tryqsYVCYS3MFbtffiPp2ccyn4STm"


def test_prices_and_dates_are_not_phones() -> None:
    assert "phone" not in _by_type("价格 12800 元，2026-11-29 发货，订单号 20261129")


def _prefixes(pattern: re.Pattern[str]) -> list[str]:
    """The literal alternatives of a pattern's leading ``(?:a|b|...)`` group."""
    group = pattern.pattern[3 : pattern.pattern.index(")")]
    return [re.sub(r"\\(.)", r"\1", alt) for alt in group.split("|")]


def test_every_handle_prefix_passes_its_pre_check() -> None:
    for pattern, kind, hints in _HANDLES:
        for prefix in _prefixes(pattern):
            handle = {"qq": "123456", "whatsapp": "8613812345678"}.get(kind, "abc123456")
            text = f"{prefix} {handle}"
            assert pattern.search(text), (kind, prefix)
            assert _has_any(text, hints), (kind, prefix)
    qr_hints = [
        "收款码",
        "付款码",
        "收钱码",
        "二维码",
        "扫码",
        "扫一扫",
        "小程序码",
        "qrcode",
        "qr code",
        "scan this qr",
    ]
    for hint in qr_hints:
        assert _QR_HINT.search(hint), hint
        assert _has_any(hint, _QR_NEEDS), hint


_PRE_CHECK_ALPHABET = "微威薇徽维绿泡信加+vwxqe扣抠企鹅tg飞机电报me/.whatsap瓦次普码扫rcodn 号:：@0123456789ab"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_PRE_CHECK_ALPHABET, max_size=30))
def test_pre_checks_never_skip_a_match(text: str) -> None:
    for pattern, _kind, hints in _HANDLES:
        if pattern.search(text):
            assert _has_any(text, hints)
    if _QR_HINT.search(text):
        assert _has_any(text, _QR_NEEDS)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="Tbc10xXaAfF9zZ 收", max_size=60))
def test_crypto_pre_check_never_skips_a_match(text: str) -> None:
    if _CRYPTO_HINT.search(text):
        assert _has_any(text, _CRYPTO_NEEDS)
