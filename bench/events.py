"""Realistic synthetic events for benchmarks: 200-character Chinese texts, 10,000 accounts, 1,000 devices."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

CHAT = [
    "今天下午的会议改到三点，记得带上季度报表",
    "这件衣服还有现货吗？我想要黑色的M码",
    "快递已经发出了，单号稍后发你",
    "周末一起去爬山吧，天气预报说是晴天",
    "价格可以再便宜一点吗，诚心想要",
    "收到，谢谢老板，下次还来你家买",
    "孩子的作业我已经检查过了，明天交给老师",
    "房子还在出租吗？想约个时间看房",
    "这台二手笔记本电池续航怎么样",
    "我们小区明天停水，记得提前接好水",
]
RISKY = [
    "刷单返利日结工资，点赞关注一单佣金五元，加微信了解详情",
    "您的快递丢失，我们将双倍理赔，请添加客服QQ办理退款",
    "内部消息稳赚不赔，老师带单投资理财，进群领取收益",
    "出售实名手机卡和银行卡四件套，价格私聊",
]
FILLER = "，然后我们再商量一下具体的细节，好吗？"


def text_of_length(rng: random.Random, length: int = 200, risky_share: float = 0.05) -> str:
    parts: list[str] = []
    while sum(len(p) for p in parts) < length:
        pool = RISKY if rng.random() < risky_share else CHAT
        parts.append(rng.choice(pool))
        parts.append(FILLER[: rng.randint(1, len(FILLER))])
    return "".join(parts)[:length]


def make_events(count: int, *, seed: int = 7, start: datetime | None = None) -> list[dict[str, Any]]:
    """A mix of event types over 10,000 accounts and 1,000 devices, in time order.

    Ordinary traffic, as a platform sees it: some accounts are far more active than others, people
    mostly message a handful of contacts, and an app user has a device of its own. About 5 % of
    texts carry scam-like phrases (screening is off in the default pack, so they do not change the
    decision); 0.5 % of events come from 3 spam accounts messaging strangers in bursts.
    """
    rng = random.Random(seed)
    moment = start or datetime(2026, 6, 1, tzinfo=UTC)
    accounts = [f"acct-{i}" for i in range(10_000)]
    activity = [1.0 / (rank + 200) for rank in range(len(accounts))]
    contacts = {account: [rng.choice(accounts) for _ in range(6)] for account in accounts}
    # The 1,000 most active accounts use the app, each on a phone of its own; the long tail uses
    # the web site, where there is no device id.
    home_device = {account: f"dev-{rank}" for rank, account in enumerate(accounts[:1_000])}
    actors = rng.choices(accounts, weights=activity, k=count)
    events: list[dict[str, Any]] = []
    for index, actor in enumerate(actors):
        moment += timedelta(milliseconds=rng.randint(1, 40))
        roll = rng.random()
        base: dict[str, Any] = {
            "event_id": f"bench-{seed}-{index}",
            "occurred_at": moment.isoformat(),
            "actor": {"id": actor},
            "context": {"ip": f"203.0.113.{rng.randrange(256)}"},
        }
        if actor in home_device:
            base["context"]["device_id"] = home_device[actor]
        if roll < 0.005:
            # A few spam accounts message strangers in bursts: the default pack sends them to review.
            base["actor"] = {"id": f"spammer-{rng.randrange(3)}"}
            base["type"] = "message.sent"
            base["counterparty"] = {"id": rng.choice(accounts)}
            base["content"] = {"text": text_of_length(rng, risky_share=0.5)}
        elif roll < 0.5:
            recipient = rng.choice(contacts[actor]) if rng.random() < 0.9 else rng.choice(accounts)
            base["type"] = "message.sent"
            base["counterparty"] = {"id": recipient}
            base["content"] = {"text": text_of_length(rng)}
        elif roll < 0.6:
            base["type"] = "content.published"
            base["content"] = {"text": text_of_length(rng)}
        elif roll < 0.7:
            base["type"] = "listing.published"
            base["content"] = {"title": "二手好物转让", "text": text_of_length(rng), "price": rng.randint(10, 5000)}
        elif roll < 0.9:
            base["type"] = "account.login"
            base["context"]["phone"] = f"+86138{rng.randrange(10**8):08d}"
        else:
            base["type"] = "payment.created"
            base["counterparty"] = {"id": rng.choice(contacts[actor])}
            base["attributes"] = {
                "amount": rng.randint(1, 20_000),
                "payee_account": f"6222{rng.randrange(10**12):012d}",
            }
        events.append(base)
    return events
