"""The disposal ladder's words: measure kinds, states, restrictable functions, ban keys, strike weights."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from fanzha.lists.kinds import ListKind


class MeasureKind(StrEnum):
    """What is done (D2-DISP-01): account-level steps of the ladder and item-level actions."""

    warn = "warn"
    rectify = "rectify"
    restrict = "restrict"
    suspend = "suspend"
    close = "close"
    ban_reregistration = "ban_reregistration"
    remove = "remove"
    hide = "hide"
    demote = "demote"
    delist = "delist"


class MeasureState(StrEnum):
    pending_approval = "pending_approval"
    active = "active"
    rejected = "rejected"
    lifted = "lifted"
    expired = "expired"
    reversed = "reversed"
    rectified = "rectified"
    lapsed = "lapsed"


IRREVERSIBLE = frozenset({MeasureKind.close, MeasureKind.ban_reregistration})
"""Measures that need a second person's approval before they take effect (D2-ORG-03)."""

ITEM_KINDS = frozenset({MeasureKind.remove, MeasureKind.hide, MeasureKind.demote, MeasureKind.delist})

FUNCTIONS = frozenset(
    {
        "add_friend",
        "create_group",
        "join_group",
        "send_links",
        "send_images",
        "send_messages",
        "red_packet",
        "transfer",
        "withdraw",
        "publish",
        "live",
        "ads",
        "storefront",
        "search_visibility",
        "change_binding",
    }
)
"""Functions a ``restrict`` measure can switch off; ``*`` in a restrictions answer means all of them."""

_DECLARED_FUNCTIONS: set[str] = set()


def declare_functions(names: Iterable[str]) -> None:
    """Add the platform's own restrictable functions (``FANZHA_EXTRA_RESTRICTABLE_FUNCTIONS``)."""
    _DECLARED_FUNCTIONS.update(name.strip() for name in names if name.strip())


def known_functions() -> frozenset[str]:
    """The built-in restrictable functions plus those the deployment declared."""
    return FUNCTIONS | frozenset(_DECLARED_FUNCTIONS)


PENDING_VERIFICATION_FUNCTIONS = ("add_friend", "send_links", "red_packet", "transfer", "withdraw", "publish", "live")
"""What an account awaiting re-verification may not do (D2-ACC-02 RESTRICTED_PENDING_VERIFY)."""

ALL_FUNCTIONS = "*"


class BanKey(StrEnum):
    """Identifiers a re-registration ban covers, each kept on its own indicator list."""

    phone = "phone"
    id_hash = "id_hash"
    device = "device"
    payment_account = "payment_account"


BAN_LISTS: dict[BanKey, tuple[str, ListKind, str]] = {
    BanKey.phone: ("banned_phones", ListKind.phone, "Phones banned from re-registration / 禁止重新注册的手机号"),
    BanKey.id_hash: (
        "banned_id_hashes",
        ListKind.keyword,
        "ID number hashes banned from re-registration / 禁止重新注册的证件",
    ),
    BanKey.device: ("banned_devices", ListKind.device, "Devices banned from re-registration / 禁止重新注册的设备"),
    BanKey.payment_account: (
        "banned_payment_accounts",
        ListKind.payment_account,
        "Payment accounts banned from re-registration / 禁止重新注册的支付账户",
    ),
}

STRIKE_WEIGHTS: dict[MeasureKind, int] = {
    MeasureKind.warn: 1,
    MeasureKind.rectify: 1,
    MeasureKind.restrict: 2,
    MeasureKind.suspend: 3,
    MeasureKind.close: 5,
    MeasureKind.ban_reregistration: 0,
    MeasureKind.remove: 1,
    MeasureKind.hide: 1,
    MeasureKind.demote: 1,
    MeasureKind.delist: 1,
}

STRIKE_WINDOW_DAYS = 180

NAMES: dict[MeasureKind, tuple[str, str]] = {
    MeasureKind.warn: ("警告", "warning"),
    MeasureKind.rectify: ("限期改正", "rectification by a deadline"),
    MeasureKind.restrict: ("限制功能", "restriction of functions"),
    MeasureKind.suspend: ("暂停使用", "suspension"),
    MeasureKind.close: ("关闭账号", "account closure"),
    MeasureKind.ban_reregistration: ("禁止重新注册", "ban on re-registration"),
    MeasureKind.remove: ("删除内容", "removal of content"),
    MeasureKind.hide: ("屏蔽内容", "hiding of content"),
    MeasureKind.demote: ("降低展示", "demotion of content"),
    MeasureKind.delist: ("下架商品", "delisting"),
}

MATERIALS: dict[MeasureKind, tuple[tuple[str, str], ...]] = {
    MeasureKind.warn: (("情况说明", "a written explanation"),),
    MeasureKind.rectify: (("整改说明", "an account of the rectification"),),
    MeasureKind.restrict: (
        ("身份证明", "proof of identity"),
        ("交易或聊天说明", "an explanation of the trades or chats"),
    ),
    MeasureKind.suspend: (("身份证明", "proof of identity"), ("人脸核验", "face verification")),
    MeasureKind.close: (
        ("身份证明", "proof of identity"),
        ("人脸核验", "face verification"),
        ("其他证明", "other evidence"),
    ),
    MeasureKind.ban_reregistration: (("身份证明", "proof of identity"), ("其他证明", "other evidence")),
    MeasureKind.remove: (("内容合法性说明", "an explanation of why the content is lawful"),),
    MeasureKind.hide: (("内容合法性说明", "an explanation of why the content is lawful"),),
    MeasureKind.demote: (("内容合法性说明", "an explanation of why the content is lawful"),),
    MeasureKind.delist: (("商品资质证明", "proof the goods may be sold"),),
}

FUNCTION_NAMES: dict[str, str] = {
    "add_friend": "添加好友",
    "create_group": "建群",
    "join_group": "入群",
    "send_links": "发送链接",
    "send_images": "发送图片",
    "send_messages": "发送消息",
    "red_packet": "红包",
    "transfer": "转账",
    "withdraw": "提现",
    "publish": "发布内容",
    "live": "直播",
    "ads": "广告投放",
    "storefront": "店铺经营",
    "search_visibility": "搜索展示",
    "change_binding": "换绑",
}
