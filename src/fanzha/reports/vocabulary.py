"""Reporter-facing words: readable names of the fraud typology, subject types, outcomes and statuses (zh, en)."""

from __future__ import annotations

from fanzha.cases.states import SubjectType
from fanzha.reports.schemas import FraudCategory, ReportOutcome

CATEGORY_LABELS: dict[FraudCategory, tuple[str, str]] = {
    FraudCategory.T01_task_rebate: ("刷单返利", "Task / click-farming rebate scam"),
    FraudCategory.T02_investment: ("虚假网络投资理财", "Fake online investment"),
    FraudCategory.T03_fake_shopping: ("虚假购物、服务", "Fake shopping or services"),
    FraudCategory.T04_fake_cs_refund: ("冒充电商物流客服", "Fake customer service or refund"),
    FraudCategory.T05_fake_loan: ("虚假网络贷款", "Fake online loan"),
    FraudCategory.T06_fake_credit: ("虚假征信", "Fake credit-record repair"),
    FraudCategory.T07_impersonate_boss: ("冒充领导、熟人", "Impersonating a boss or acquaintance"),
    FraudCategory.T08_impersonate_police: ("冒充公检法及政府机关", "Impersonating police or officials"),
    FraudCategory.T09_game_trade: ("网络游戏产品虚假交易", "Fake game-item trading"),
    FraudCategory.T10_romance: ("网络婚恋、交友（杀猪盘）", "Romance / dating scam"),
    FraudCategory.T11_military_purchase: ("冒充军警购物", "Fake military or police purchase"),
    FraudCategory.T12_phishing_notice: ("虚假中奖、钓鱼通知", "Fake prize or phishing notice"),
    FraudCategory.other: ("其他诈骗", "Other fraud"),
}

SUBJECT_LABELS: dict[SubjectType, tuple[str, str]] = {
    SubjectType.account: ("平台账号", "Account on this platform"),
    SubjectType.phone: ("手机号码", "Phone number"),
    SubjectType.payment_account: ("收款账户（银行卡、支付账号）", "Payment account (bank card, wallet)"),
    SubjectType.url: ("网址链接", "Web link (URL)"),
    SubjectType.domain: ("网站域名", "Website domain"),
    SubjectType.app: ("App 应用", "App"),
    SubjectType.listing: ("商品、帖子", "Listing or post"),
    SubjectType.group: ("群聊", "Group chat"),
}
"""The subject types a person can name in the form (devices, IPs and ID hashes are not theirs to know)."""

OUTCOME_LABELS: dict[ReportOutcome, tuple[str, str]] = {
    ReportOutcome.action_taken: ("已采取处置措施", "Action was taken"),
    ReportOutcome.no_violation_found: ("经核查未发现违规", "No violation was found"),
}


def label(pair: tuple[str, str], lang: str) -> str:
    """The Chinese or English half of a label pair."""
    return pair[0] if lang == "zh" else pair[1]


STATUS_LABELS: dict[str, tuple[str, str]] = {
    "received": ("已收到，正在核查", "Received, being checked"),
    "decided": ("已处理完毕", "Decided"),
}

PAGE_TEXT: dict[str, tuple[str, str]] = {
    "title": ("举报诈骗", "Report fraud"),
    "urgent": (
        "如果您正在被骗或已经转账，请立即拨打 110 或 96110 报警。",
        "If you are being defrauded or have already transferred money, call 110 or 96110 now.",
    ),
    "intro": (
        "向平台举报涉嫌诈骗的账号、号码、链接、收款账户或商品。我们会尽快核查，并把处理结果告诉您。",
        "Tell us about an account, number, link, payment account or listing you believe is a fraud. "
        "We will check it and tell you the outcome.",
    ),
    "other_language": ("English", "中文"),
    "category": ("诈骗类型", "Kind of fraud"),
    "choose": ("请选择", "Choose"),
    "subject_type": ("举报对象类型", "What you are reporting"),
    "subject_id": ("举报对象", "The account, number or link"),
    "subject_id_hint": (
        "例如对方的账号ID、手机号码、网址或收款账号，请原样填写。",
        "For example their account id, phone number, web address or payment account, exactly as you saw it.",
    ),
    "text": ("情况描述", "What happened"),
    "text_hint": (
        "请说明对方说了什么、让您做什么、您是否已转账（金额、时间）。不超过 5000 字。",
        "What they said, what they asked you to do, and whether you paid (amount, time). At most 5,000 characters.",
    ),
    "evidence": ("证据文件（可选）", "Evidence files (optional)"),
    "evidence_hint": (
        "聊天截图、转账凭证等：最多 {count} 个，PNG、JPEG、WebP、PDF 或纯文本，每个不超过 {file_mb} MB，"
        "合计不超过 {total_mb} MB。",
        "Chat screenshots, payment receipts and the like: at most {count} files, PNG, JPEG, WebP, PDF or plain "
        "text, each up to {file_mb} MB and {total_mb} MB in all.",
    ),
    "good_faith": (
        "我确认以上信息据我所知真实、完整，系善意举报。",
        "I confirm that, to the best of my knowledge, this information is accurate and complete, "
        "and I report it in good faith.",
    ),
    "submit": ("提交举报", "Send report"),
    "errors_title": ("请修正以下问题后重新提交：", "Please correct the following and send again:"),
    "reselect_files": (
        "出于安全原因，证据文件需要重新选择。",
        "For your safety, evidence files have to be chosen again.",
    ),
    "check_status": ("查询举报处理进度", "Check a report you made"),
    "received_title": ("举报已收到", "Your report was received"),
    "received_body": (
        "感谢您的举报。我们将尽快核查，处理完毕后会通知您结果。请保存下面的举报编号或本页链接，用于查询进度。",
        "Thank you. We will check it and tell you the outcome. Keep the reference below, or the link to this "
        "page, to check on it.",
    ),
    "status_title": ("举报处理进度", "Report status"),
    "reference": ("举报编号", "Reference"),
    "received_at": ("提交时间", "Received"),
    "status": ("状态", "Status"),
    "outcome": ("处理结果", "Outcome"),
    "outcome_at": ("处理时间", "Decided"),
    "notice": ("结果通知", "Notice"),
    "lookup_hint": (
        "请输入提交举报后得到的完整举报编号（例如 R00000012-abcd…）。",
        "Enter the full reference you got when you sent the report (for example R00000012-abcd…).",
    ),
    "lookup": ("查询", "Look up"),
    "not_found": (
        "没有找到这个举报编号，请检查是否完整输入。",
        "No report has this reference; check that you entered all of it.",
    ),
    "refused_title": ("无法打开举报表单", "The report form cannot be opened"),
    "unavailable": (
        "举报表单暂不可用，请稍后再试，或通过平台内的举报入口提交。",
        "The report form is not available now; try again later or use the report option in the app.",
    ),
    "new_report": ("再提交一个举报", "Send another report"),
}

FORM_ERRORS: dict[str, tuple[str, str]] = {
    "category": ("请选择诈骗类型。", "Choose the kind of fraud."),
    "subject_type": ("请选择举报对象的类型。", "Choose what you are reporting."),
    "subject_id": (
        "请填写举报对象（账号、号码或链接），不超过 256 个字符。",
        "Enter the account, number or link you are reporting (at most 256 characters).",
    ),
    "text": ("请描述发生了什么（不超过 5000 字）。", "Describe what happened (at most 5,000 characters)."),
    "good_faith": (
        "请确认信息真实，并出于善意举报。",
        "Confirm that the information is accurate and that you report it in good faith.",
    ),
    "evidence_count": ("最多上传 {count} 个文件。", "Send at most {count} files."),
    "evidence_size": ("文件“{name}”超过 {mb} MB。", "The file “{name}” is over {mb} MB."),
    "evidence_empty": ("文件“{name}”是空的。", "The file “{name}” is empty."),
    "evidence_type": (
        "文件“{name}”不是 PNG、JPEG、WebP、PDF 或纯文本文件。",
        "The file “{name}” is not a PNG, JPEG, WebP, PDF or plain-text file.",
    ),
    "form": ("表单无法读取，请重新填写后提交。", "The form could not be read; fill it in and send it again."),
    "csrf": (
        "表单已过期，或不是从本页面提交的。请检查内容后重新提交。",
        "This form has expired or was not sent from this page. Check it and send it again.",
    ),
    "rate_limited": (
        "您近一小时提交的举报过多，请稍后再试。如正在被骗，请立即拨打 110 或 96110。",
        "You have sent too many reports in the last hour; try again later. If you are being defrauded, "
        "call 110 or 96110 now.",
    ),
}

REFUSALS: dict[str, tuple[str, str]] = {
    "missing": (
        "请从平台内的举报入口打开本表单，以便我们把处理结果告诉您。",
        "Open this form from the report option inside the app, so that we can tell you the outcome.",
    ),
    "invalid": (
        "这个链接无效。请从平台内的举报入口重新打开本表单。",
        "This link is not valid. Open the form again from the report option inside the app.",
    ),
    "expired": (
        "这个链接已过期。请从平台内的举报入口重新打开本表单。",
        "This link has expired. Open the form again from the report option inside the app.",
    ),
}
