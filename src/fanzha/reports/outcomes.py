"""The outcome notice a reporter receives when the case ends (DSA art. 16(5); ATOFL art. 22 及时反馈).

Rendering is pure: the notice says what was decided about the report, that a person decided it,
and what the reporter can do if they disagree; it never names or describes the reported subject
beyond the reporter's own category. Chinese is canonical; ``TEMPLATE_VERSION`` names the wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fanzha.kit.clock import ensure_utc
from fanzha.reports.schemas import FraudCategory, ReportOutcome
from fanzha.reports.vocabulary import CATEGORY_LABELS

TEMPLATE_VERSION = "2026-1"
REVIEW_WINDOW_MONTHS = 6
REVIEW_CHANNEL_ZH = "平台“我的举报 > 申请复核”入口"
REVIEW_CHANNEL_EN = "the platform's report history (My reports > Request a review)"

_DECISION_ZH = {
    ReportOutcome.action_taken: (
        "处理结果：已采取处置措施。经人工核查，我们已依据《反电信网络诈骗法》和平台规则，"
        "对您举报的对象采取了相应处置措施（具体措施涉及他人信息，不予公开）。感谢您的举报。"
    ),
    ReportOutcome.no_violation_found: (
        "处理结果：经核查未发现违规。经人工核查，现有材料不足以认定您举报的对象存在诈骗等违规行为，"
        "因此未采取处置措施。如您有新的线索或证据，欢迎再次举报。"
    ),
}
_DECISION_EN = {
    ReportOutcome.action_taken: (
        "Outcome: action was taken. After a review by a person, we took measures against what you reported "
        "under the Anti-Telecom and Online Fraud Law and our rules (which measures is about another person "
        "and is not disclosed). Thank you for reporting."
    ),
    ReportOutcome.no_violation_found: (
        "Outcome: no violation was found. After a review by a person, what we have does not show that what "
        "you reported is fraud or breaks our rules, so no measure was taken. If you have new information or "
        "evidence, please report again."
    ),
}

_TEMPLATE_ZH = (
    "【举报处理结果】您于 {received} 提交的举报（编号 {reference}，类型：{category}）已于 {decided} 处理完毕。"
    "{decision}"
    "如对处理结果有异议，可自本通知之日起{months}个月内通过{channel}申请复核（请注明举报编号）；"
    "也可向12321网络不良与垃圾信息举报受理中心或12377违法和不良信息举报中心反映，或依法通过其他途径维权。"
    "如您正在被骗或已经转账，请立即拨打110或96110报警。"
)
_TEMPLATE_EN = (
    "[Outcome of your report] Your report of {received} (reference {reference}, type: {category}) was "
    "decided on {decided}. {decision} If you disagree, you can ask for a review within {months} months of "
    "this notice through {channel}, quoting the reference; you can also turn to the 12321 or 12377 "
    "reporting centres, or to the courts. If you are being defrauded or have already transferred money, "
    "call 110 or 96110 at once."
)


@dataclass(frozen=True, slots=True)
class NoticeFields:
    """Everything an outcome notice says."""

    reference: str
    category: str
    received_at: datetime
    decided_at: datetime
    outcome: ReportOutcome


def _time(moment: datetime) -> str:
    return ensure_utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def _category(code: str, *, zh: bool) -> str:
    try:
        pair = CATEGORY_LABELS[FraudCategory(code)]
    except ValueError:
        return code
    return pair[0] if zh else pair[1]


def render_zh(fields: NoticeFields) -> str:
    return _TEMPLATE_ZH.format(
        received=_time(fields.received_at),
        reference=fields.reference,
        category=_category(fields.category, zh=True),
        decided=_time(fields.decided_at),
        decision=_DECISION_ZH[fields.outcome],
        months=REVIEW_WINDOW_MONTHS,
        channel=REVIEW_CHANNEL_ZH,
    )


def render_en(fields: NoticeFields) -> str:
    return _TEMPLATE_EN.format(
        received=_time(fields.received_at),
        reference=fields.reference,
        category=_category(fields.category, zh=False),
        decided=_time(fields.decided_at),
        decision=_DECISION_EN[fields.outcome],
        months=REVIEW_WINDOW_MONTHS,
        channel=REVIEW_CHANNEL_EN,
    )
