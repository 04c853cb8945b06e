"""Statements of reasons: the text a subject receives about a measure (ATOFL art. 32(3), DSA art. 17).

Rendering is pure: the fields are gathered once, stored with the statement, and rendered in
Chinese (canonical) and English from the templates below (``TEMPLATE_VERSION`` names them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fanzha.auth.masking import mask_value
from fanzha.kit.clock import ensure_utc
from fanzha.measures.vocabulary import FUNCTION_NAMES, ITEM_KINDS, MATERIALS, NAMES, MeasureKind

TEMPLATE_VERSION = "2026-1"
APPEAL_WINDOW = timedelta(days=30)
APPEAL_CHANNEL_ZH = "平台内“设置 > 账号申诉”入口"
APPEAL_CHANNEL_EN = "the in-app appeal form (Settings > Account appeal)"

_TEMPLATE_ZH = (
    "【处置告知】您的账号 {account} 于 {at} 被采取{measure}（范围：{scope}；期限：{until}）。"
    "处置原因：{reason}（{facts}）。依据：{basis}。是否自动化决定：{automated}。"
    "如有异议，请于 {deadline} 前通过{channel}提出申诉，并提交：{materials}。"
    "核查通过的，我们将即时解除相关措施。"
)
_TEMPLATE_EN = (
    "[Statement of reasons] On {at} the measure '{measure}' was applied to your account {account} "
    "(scope: {scope}; until: {until}). Reason: {reason} ({facts}). Legal basis: {basis}. "
    "Automated decision: {automated}. If you disagree, appeal before {deadline} through {channel}, "
    "submitting: {materials}. If the review finds in your favour, the measure is lifted at once."
)

_ATOFL = re.compile(r"^ATOFL-(\d+)$")


@dataclass(frozen=True, slots=True)
class StatementFields:
    """Everything a statement says, as stored with it."""

    account_masked: str
    measure: str
    scope: list[str]
    at: datetime
    until: datetime | None
    reason: str
    facts: str
    legal_basis: list[str]
    automated: bool
    appeal_deadline: datetime
    materials_zh: list[str]
    materials_en: list[str]

    def to_dict(self) -> dict[str, object]:
        return {
            "account_masked": self.account_masked,
            "measure": self.measure,
            "scope": self.scope,
            "at": self.at.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "reason": self.reason,
            "facts": self.facts,
            "legal_basis": self.legal_basis,
            "automated": self.automated,
            "appeal_deadline": self.appeal_deadline.isoformat(),
            "appeal_channel": APPEAL_CHANNEL_EN,
            "materials": self.materials_en,
        }


def gather(
    *,
    account_id: str,
    kind: MeasureKind,
    functions: Sequence[str],
    item_id: str | None,
    ban_key_types: Sequence[str],
    at: datetime,
    until: datetime | None,
    reason: str,
    facts: str,
    legal_basis: Sequence[str],
    automated: bool,
) -> StatementFields:
    if kind is MeasureKind.restrict:
        scope = list(functions)
    elif kind in ITEM_KINDS:
        scope = [f"item:{item_id}"]
    elif kind is MeasureKind.ban_reregistration:
        scope = [f"key:{key}" for key in ban_key_types]
    else:
        scope = ["account"]
    return StatementFields(
        account_masked=mask_value(account_id, keep_start=2, keep_end=2),
        measure=kind.value,
        scope=scope,
        at=ensure_utc(at),
        until=None if until is None else ensure_utc(until),
        reason=reason,
        facts=facts,
        legal_basis=list(legal_basis),
        automated=automated,
        appeal_deadline=ensure_utc(at) + APPEAL_WINDOW,
        materials_zh=[zh for zh, _en in MATERIALS[kind]],
        materials_en=[en for _zh, en in MATERIALS[kind]],
    )


def _time(moment: datetime) -> str:
    return ensure_utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def _basis(legal_basis: Sequence[str], *, zh: bool) -> str:
    parts = []
    for item in legal_basis:
        match = _ATOFL.match(item)
        if match and zh:
            parts.append(f"《反电信网络诈骗法》第{match.group(1)}条")
        elif match:
            parts.append(f"Anti-Telecom and Online Fraud Law art. {match.group(1)}")
        else:
            parts.append(item)
    if zh:
        return "、".join([*parts, "《用户协议》"])
    return "; ".join([*parts, "the User Agreement"])


def _scope_zh(scope: Sequence[str]) -> str:
    return "、".join(FUNCTION_NAMES.get(item, item) for item in scope)


def render_zh(fields: StatementFields) -> str:
    return _TEMPLATE_ZH.format(
        account=fields.account_masked,
        at=_time(fields.at),
        measure=NAMES[MeasureKind(fields.measure)][0],
        scope=_scope_zh(fields.scope),
        until="长期" if fields.until is None else _time(fields.until),
        reason=fields.reason,
        facts=fields.facts or "详见处置记录",
        basis=_basis(fields.legal_basis, zh=True),
        automated="是" if fields.automated else "否",
        deadline=_time(fields.appeal_deadline),
        channel=APPEAL_CHANNEL_ZH,
        materials="、".join(fields.materials_zh),
    )


def render_en(fields: StatementFields) -> str:
    return _TEMPLATE_EN.format(
        account=fields.account_masked,
        at=_time(fields.at),
        measure=NAMES[MeasureKind(fields.measure)][1],
        scope=", ".join(fields.scope),
        until="indefinitely" if fields.until is None else _time(fields.until),
        reason=fields.reason,
        facts=fields.facts or "see the record of the measure",
        basis=_basis(fields.legal_basis, zh=False),
        automated="yes" if fields.automated else "no",
        deadline=_time(fields.appeal_deadline),
        channel=APPEAL_CHANNEL_EN,
        materials=", ".join(fields.materials_en),
    )
