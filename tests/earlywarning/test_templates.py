"""Warning templates: complete in both languages, and free of links, numbers and contact handles."""

from __future__ import annotations

from importlib import resources

import pytest

from fanzha.earlywarning.templates import LOCALES, TemplateError, load_templates, parse_templates
from fanzha.reports.schemas import FraudCategory
from fanzha.rules.outcomes import GENERIC_TYPOLOGY, WARNING_TYPOLOGIES, WarningChannel
from fanzha.screening.lexicon import get_lexicon

SHIPPED = resources.files("fanzha.earlywarning").joinpath("templates.yaml").read_text(encoding="utf-8")


def test_every_typology_has_a_warning_in_every_language() -> None:
    templates = load_templates()
    assert set(templates.messages) == set(WARNING_TYPOLOGIES)
    for typology in WARNING_TYPOLOGIES:
        message = templates.message(typology, None)
        assert sorted(message) == sorted(LOCALES)
        for text in message.values():
            assert text["title"]
            assert text["body"]
            assert text["advice"]


def test_warning_typologies_are_the_report_and_screening_codes() -> None:
    reported = {category.value for category in FraudCategory} - {"other"}
    assert set(WARNING_TYPOLOGIES) == reported | {GENERIC_TYPOLOGY}
    screened = {c for c in get_lexicon().categories if c[:1] == "T" and c[1:3].isdigit()}
    assert screened
    assert screened <= set(WARNING_TYPOLOGIES)


def test_channels_by_event_type() -> None:
    templates = load_templates()
    assert templates.channel_for("payment.created") is WarningChannel.payment_interstitial
    assert templates.channel_for("message.sent") is WarningChannel.chat_banner
    assert templates.channel_for("listing.published") is templates.default_channel


def test_chinese_text_folded_over_lines_has_no_stray_spaces() -> None:
    text = SHIPPED.replace(
        "      title: 【平台安全提醒】对方存在较高的诈骗风险",
        "      title: >-\n        【平台安全提醒】对方存在\n        较高的诈骗风险",
    )
    assert text != SHIPPED
    assert parse_templates(text).message("generic", "zh")["zh"]["title"] == "【平台安全提醒】对方存在较高的诈骗风险"


def test_an_unknown_locale_falls_back_to_both() -> None:
    assert sorted(load_templates().message("T02_investment", "fr")) == ["en", "zh"]


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ("请点击 https://refund.example.com 办理", "a link"),
        ("请访问 refund-help.top 办理", "a link"),
        ("请拨打 13800138000 咨询", "a phone or account number"),
        ("请加微信号：abc12345", "a contact handle"),
        ("请发邮件到 help@example.org", "a link"),
    ],
)
def test_links_numbers_and_handles_are_refused(bad: str, problem: str) -> None:
    text = SHIPPED.replace("不要透露验证码、银行卡密码", bad, 1)
    assert text != SHIPPED
    with pytest.raises(TemplateError, match=problem):
        parse_templates(text)


def test_a_missing_typology_or_language_is_refused() -> None:
    start = SHIPPED.index("  T12_phishing_notice:")
    with pytest.raises(TemplateError, match="missing"):
        parse_templates(SHIPPED[:start])
    with pytest.raises(TemplateError, match="locales"):
        parse_templates(SHIPPED[: SHIPPED.index("    en:", start)])
