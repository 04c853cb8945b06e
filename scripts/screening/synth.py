"""Synthetic training data written from the catalogue (domain-requirements §5-7).

Every text is assembled from fragments: an opener, a *body* (the phrasing that carries the scheme),
an ask and a closer, with slots filled at random. The body index is the group used for held-out
validation, so a validation text never shares its core phrasing with a training text. Evasion
transforms (§7.1) are applied to a share of fraud AND benign texts, so that evasion style alone is
not a fraud signal.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import opencc


@dataclass(frozen=True)
class Sample:
    text: str
    label: int
    cls: str | None
    group: str
    domain: str  # "message" or "listing"


def held_out(group: str, share: int = 5) -> bool:
    """A fixed fifth of the groups is kept for validation and threshold choice."""
    return int(hashlib.sha1(group.encode()).hexdigest(), 16) % share == 0


# --- slot pools -------------------------------------------------------------------------------------
NAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭"]
AMOUNTS = ["200", "500", "800", "1000", "1500", "2000", "3000", "5000", "8000", "1万", "2万", "5万", "30万"]
APPS = ["云财通", "鑫盛国际", "华盈PRO", "优品汇", "易联会议", "ZQ PRO机构版", "星链任务", "聚财宝", "国信通"]
BRANDS = ["淘宝", "京东", "拼多多", "美团", "抖音", "快手", "闲鱼", "唯品会"]
CITIES = ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "重庆", "西安"]
URL_BASES = [
    "kf-refund",
    "etc-renzheng",
    "yibao-help",
    "taoba0-service",
    "meituan-kf",
    "jd-tuikuan",
    "gov-cx",
    "12123-pay",
    "ccb-verify",
    "vip-task",
    "invest-pro",
    "loan-fast",
]
OFFICIAL_URLS = [
    "dx.10086.cn/yx",
    "u.10010.cn/qAbc1",
    "https://www.189.cn/hd",
    "m.jd.com",
    "https://h5.m.taobao.com/act",
    "t.10086.cn/xZ2",
    "https://www.meituan.com/coupon",
]
TLDS = [".top", ".xyz", ".vip", ".cc", ".shop", ".icu", ".com", ".cn"]


def wxid(rng: random.Random) -> str:
    head = rng.choice(["ab", "kk", "vip", "lucky", "zz", "hh", "a", "xx", "li", "wang"])
    return head + str(rng.randint(100, 99999))


def phone(rng: random.Random) -> str:
    prefix = rng.choice(["138", "139", "186", "170", "171", "165", "177", "152", "199", "135"])
    return prefix + "".join(str(rng.randint(0, 9)) for _ in range(8))


def url(rng: random.Random) -> str:
    return (
        rng.choice(["http://", "https://", "", "www."])
        + rng.choice(URL_BASES)
        + rng.choice(TLDS)
        + rng.choice(["", "/a", "/index", "/?id=" + str(rng.randint(100, 999))])
    )


def contact(rng: random.Random) -> str:
    return rng.choice(
        [
            f"加微信{wxid(rng)}",
            f"VX：{wxid(rng)}",
            f"加V {wxid(rng)}",
            f"wx：{wxid(rng)}",
            f"QQ：{rng.randint(10000, 999999999)}",
            f"加我QQ {rng.randint(10000, 999999999)}",
            f"电话{phone(rng)}",
            f"联系{phone(rng)}",
            f"飞机 @{wxid(rng)}",
            f"点击 {url(rng)}",
            "私信我",
            "看主页",
            "头像扫码",
            f"进群{rng.randint(100000, 999999)}",
            "",
        ]
    )


def fill(template: str, rng: random.Random) -> str:
    return template.format(
        n=rng.choice(NAMES),
        amt=rng.choice(AMOUNTS),
        app=rng.choice(APPS),
        brand=rng.choice(BRANDS),
        city=rng.choice(CITIES),
        url=url(rng),
        ourl=rng.choice(OFFICIAL_URLS),
        contact=contact(rng),
        phone=phone(rng),
        wx=wxid(rng),
        num=rng.randint(2, 60),
        tail=rng.randint(1000, 9999),
        code=rng.randint(100000, 999999),
        day=rng.randint(1, 28),
        mon=rng.randint(1, 12),
    )


# --- fraud messages (zh), bodies per typology ----------------------------------------------------------
FRAUD_ZH: dict[str, list[str]] = {
    "T01_task_rebate": [
        "足不出户日赚{amt}，手机就能做，点赞关注一单一结",
        "招聘点赞员，一个赞两块，当天结算，宝妈学生都可以做",
        "免费送礼品，进群领取，做任务还有佣金，{contact}",
        "下载{app}做进阶任务，充值越多返利越多，本金秒返",
        "您的任务未完成，系统显示卡单，需要再做一组连单才能提现",
        "在家兼职，动动手指每天轻松赚{amt}，不收任何费用，{contact}",
        "接待员通知：第一单垫付{amt}返佣金，完成三单后统一提现",
        "刷单返利项目招人，日结，时间自由，名额有限",
        "任务员招募：给商家店铺点赞收藏，每单佣金8元，满20元可提现",
        "操作异常，账户已冻结，请继续充值{amt}完成组合单后即可解冻提现",
    ],
    "T02_investment": [
        "{n}老师带单，内部消息，明天必涨，稳赚不赔，{contact}",
        "加入股票交流群，免费荐牛股，导师每天直播讲课",
        "平台有漏洞，我舅舅在里面工作，投{amt}三天翻倍",
        "先小额试水，可以随时提现，收益率每天3%，下载{app}",
        "原始股内部认购，上市后翻十倍，名额只剩{num}个",
        "USDT搬砖套利项目，保本保息，月收益30%以上",
        "您的账户收益已到账，提现需先缴纳个人所得税{amt}元",
        "系统检测到您的账户异常，需缴纳保证金{amt}解冻才能出金",
        "数字货币挖矿，一台矿机每天产出{amt}，稳赚不亏",
        "机构专用通道，打新中签率百分百，开户请下载{app}",
    ],
    "T03_fake_shopping": [
        "iPhone15全新原封，内部渠道价{amt}，私下交易省手续费，{contact}",
        "演唱会门票代抢，百分百抢到，先付定金{amt}",
        "海外代购名牌包，价格只要专柜三折，需补缴关税才能发货",
        "闲鱼卖家：走平台太麻烦，加我微信直接转账给你发货",
        "低价出售茅台，一箱{amt}，先付款后发货，量大从优",
        "您购买的商品被海关扣留，请缴纳押金{amt}元后放行",
    ],
    "T04_fake_cs_refund": [
        "您好我是{brand}客服，您购买的商品有质量问题，我们给您双倍退款",
        "您的快递在运输途中丢失，现为您办理理赔，请添加理赔专员{contact}",
        "您误开通了{brand}百万保障服务，不取消将每月扣费{amt}元，回复1办理取消",
        "您的会员即将自动续费，如需关闭请下载{app}开启屏幕共享，客服指导操作",
        "退款需要在备用金里操作，请打开支付宝借呗，客服帮您提额后退款",
        "您在{brand}购买的商品成分超标已下架，点击{url}领取退款",
        "芝麻信用分不足无法退款，需要先贷款提升信用再转到指定账户验证",
        "这边是{brand}售后，订单尾号{tail}因系统问题需要给您退款，请提供银行卡号和验证码",
        # round 5
        "您的{brand}账户被误设为商家，每月要交{amt}元保证金，我们帮您解除，需要您按提示在手机银行里操作",
        "您好，您的航班因机械故障取消了，改签可以获得300元补偿，请提供银行卡号，我们把补偿金打给您",
        "我是{brand}物流专员，您的包裹被污染需要理赔，请加一下我们的理赔群{num}，群里有专人办理",
    ],
    "T05_fake_loan": [
        "无抵押无担保，低息贷款秒到账，黑户也可贷，{contact}",
        "您申请的{amt}贷款已审批通过，因银行卡号填错资金被冻结，需交解冻费",
        "放款前需要验证还款能力，请先转{amt}刷流水，放款后一起退还",
        "急用钱找我，网贷口子下款快，不看征信，当天放款",
        "代办大额信用卡，包下卡，额度五万起，先交会员费{amt}",
        "您的贷款账户存在异常，需缴纳保证金后才能放款，{contact}",
        "不查征信不押车，手机号实名满半年即可申请，三分钟到账",
        # round 5
        "信用卡额度不够？我们有银行内部渠道，可以帮您提额到{amt}，先交资料审核费",
        "恭喜您获得{app}的预授信额度，完成流水认证即可提现，认证金额放款时一起返还",
    ],
    "T06_fake_credit": [
        "您大学期间开通的校园贷账户未注销，会严重影响个人征信",
        "根据银保监会要求，需注销您的京东金条账户，否则影响征信，请配合操作",
        "您的花呗利率过高不符合国家规定，需要关闭，不然征信会留下污点",
        "征信修复，内部渠道，逾期记录可以消除，{contact}",
        "需要把您网贷平台的额度清空，请把贷出的钱转到监管账户，核实后退还",
        "您的学生账户还有欠款未结清，今天不处理将上报征信系统",
    ],
    "T07_impersonate_boss": [
        "我是{n}总，这是我的新微信，明天来我办公室一趟",
        "小{n}，我在开会不方便接电话，你先帮我转{amt}给合作方，回头报销",
        "我是你领导，有个客户急着要款，你那边先垫付一下，账号我发你",
        "猜猜我是谁？我换号了，以后联系这个号，最近手头有点紧想找你借点",
        "老同学，我在{city}出了点事，急需{amt}周转，明天就还你",
        "财务请注意，董事长让你马上给这个对公账户转{amt}，合同后补",
        "这是我新号，旧号不用了，你把上周那笔款先转到这张卡上",
        # round 5
        "{n}主任让我联系你，他在外面谈项目，需要一笔保证金，你先打到我发的账号，他回来签字",
        "家长您好，我是孩子的班主任{n}老师，这学期的资料费和保险费请扫码缴纳，今天截止，不要在群里讨论",
        "表哥，我是阿{n}啊，我在{city}被车撞了对方要私了，我身上没钱，你先借我{amt}，千万别告诉我爸妈",
        "{n}总交代的，他现在在飞机上，落地前这笔{amt}必须付出去，不然项目要黄，你抓紧办",
        "领导我是小{n}，我手机坏了用的同事号，刚才报销单那笔钱打错了，你能再打一次吗，我晚点核对",
        "奶奶，我是您孙子，我在派出所，跟人打架了，要交{amt}罚款才能出来，您别告诉我爸",
        "外公，我开车撞伤了人，对方在医院要手术费，不交的话要坐牢，您先帮我把钱转给我的律师",
        "我是你老同学，现在在{city}的公司做财务，老板要走一笔账，借你的卡过一下，给你好处费",
    ],
    "T08_impersonate_police": [
        "这里是{city}市公安局，你的身份证涉嫌一起洗钱案，请配合调查",
        "你的银行卡涉嫌非法集资，需要把资金转到安全账户接受资金清查",
        "我们会给你发通缉令，案件保密，不许告诉家人，不要接其他电话",
        "请下载{app}进行视频笔录，找一个单独的房间，不要让别人听到",
        "检察院通知：您有一张传票未签收，涉案金额巨大，按9查询",
        "你的医保卡在外地被冒用，涉嫌骗保，现在转接{city}警官处理",
        "为证明你的清白，需将名下所有存款转入国家监管账户核查",
        # round 5
        "您好，这里是{city}通信管理局，您名下的号码{phone}被举报发送违规短信，两小时后将被停机，如有疑问按1转人工",
        "你寄往国外的包裹里查出了护照和银行卡，现在案件移交{city}警方，我给你接通办案民警",
        "{n}警官：你的社保卡被人冒用开了账户，现在对你进行远程取证，手机开免提，我说什么你做什么",
        "这是你的逮捕令编号，你可以上我们的官网{url}查询，查到了就要配合冻结资金",
        "你现在是重大嫌疑人，案件还在保密阶段，为了不牵连家人，今天之内把资金转到清查账户",
        "我是国家反诈中心的民警，你的手机号被诈骗团伙用来发短信，需要你加我微信{wx}配合核查",
        "我是{city}派出所的民警，抓获的嫌疑人供出了你的银行卡，你先加一下我的QQ，我们线上给你做笔录",
        "这里是{city}刑侦大队，你涉嫌非法出入境，请下载视频会议软件接受询问，不配合将对你采取强制措施",
        "你好，我是税务局稽查科的，你名下公司有一笔偷税记录，需要先缴纳罚款{amt}，否则移交公安",
    ],
    "T09_game_trade": [
        "免费领皮肤啦，扫码进群领福利，先到先得",
        "高价收号，王者荣耀账号回收，{contact}",
        "游戏币低价充值，比官方便宜一半，点击{url}",
        "您在交易平台卖出的账号资金被冻结，因未上传身份证，需缴纳解冻费",
        "代练上分，先付{amt}保证金，不上分全额退",
        "操作失误导致账户冻结，请联系平台客服缴纳保证金{amt}解冻",
    ],
    "T10_romance": [
        "亲爱的，我舅舅在平台内部，发现一个漏洞，我们一起投一点",
        "宝贝，我最近资金周转不开，遭遇变故急需用钱，你先借我{amt}",
        "认识你很开心，我在做彩票计划，每期都中，带你一起赚钱",
        "相亲认识的{n}先生说带我投资，已经赚了，你要不要也试试",
        "老婆，这个博彩网站有内部数据，我们存{amt}进去稳赚",
        "我在国外工作，给你寄了礼物被海关扣了，需要你付{amt}清关费",
    ],
    "T11_military_purchase": [
        "我是{city}武警部队的采购员，食堂需要采购一批物资，先报个价",
        "部队集体婚礼需要追加高档礼品，你店没有的找指定厂家代采购",
        "我们采购自热饭和牛肉罐头，请联系我们的指定供应商{contact}",
        "货款走对公转账有延迟，你先垫付给供应商，结算时一起给你",
        "转账截图已发，部队财务审批需要时间，请先安排发货",
    ],
    "T12_phishing_notice": [
        "【ETC服务】您的ETC认证已失效，请点击{url}重新认证，逾期停用",
        "您的医保卡已冻结，请登录{url}进行解冻认证",
        "尊敬的客户，您的积分{amt}即将清零，请点击{url}兑换礼品",
        "恭喜您中奖，奖品为iPhone一部，请登录{url}领取，需缴纳手续费",
        "您有一笔补贴待领取，请点击{url}填写银行卡信息",
        "【{brand}】您的账户存在异常，为避免停用，请点击{url}升级",
        "朋友帮我助力一下，点这个链接{url}领券，输入手机号和验证码就行",
    ],
}

FRAUD_EN: dict[str, list[str]] = {
    "T01_task_rebate": [
        "Hi, we are hiring part-time staff. Earn $300 a day by liking videos. Commission paid daily. "
        "Message me on WhatsApp {phone}",
        "Simple online tasks, work from home, earn per task. Deposit first to unlock premium tasks, higher commission",
        "Your task is incomplete. Top up $200 to finish the combo order and withdraw your earnings",
    ],
    "T02_investment": [
        "Join our crypto investment group, guaranteed returns of 30% weekly. Our mentor trades for you. {url}",
        "Double your money in 7 days with our trading platform. Limited spots, DM me",
        "Bitcoin mining opportunity, risk free profit. Withdraw anytime after a small test deposit",
    ],
    "T04_fake_cs_refund": [
        "Your parcel could not be delivered. Pay the customs fee of 2.99 at {url} to reschedule",
        "Amazon: your account is suspended due to unusual activity. Verify your account at {url}",
        "We owe you a refund of 240 GBP. Click {url} and enter your card details to receive it",
    ],
    "T05_fake_loan": [
        "Instant loan approved! No credit check, low interest. Pay a small processing fee to receive funds",
        "Need cash fast? Loans up to 5000 approved in minutes, bad credit OK. Reply YES",
    ],
    "T07_impersonate_boss": [
        "Hi, it's your CEO. I'm in a meeting and can't talk. I need you to buy gift cards for a client, urgently",
        "Hi mum, this is my new number, my phone broke. Can you send me 300 for a bill today? I'll pay you back",
    ],
    "T08_impersonate_police": [
        "This is the police. Your bank account is linked to money laundering. "
        "Transfer your funds to a safe account now",
        "IRS final notice: an arrest warrant has been issued in your name for tax fraud. Call {phone} immediately",
    ],
    "T10_romance": [
        "My love, I am a soldier on duty abroad. I need money to pay for my leave papers, please help me honey",
        "Dear, I found an inside trick on this betting platform, my uncle works there. Let us invest together",
    ],
    "T12_phishing_notice": [
        "Congratulations! You have won a $1000 gift card. Claim your prize now at {url}",
        "URGENT: your bank account has been locked. Verify your identity at {url} within 24 hours",
        "Your Netflix payment failed. Update your billing details at {url} to avoid suspension",
        "HMRC: you are eligible for a tax refund. Claim now at {url}",
    ],
}

OPENERS_ZH = ["", "", "", "您好，", "亲，", "【温馨提示】", "通知：", "喂，", "在吗？", "哈喽，"]
CLOSERS_ZH = ["", "", "", "，{contact}", "，名额有限", "，过期作废", "，回复TD退订", "。", "！！", "，速回"]

# --- benign messages (hard negatives) -------------------------------------------------------------------
BENIGN_ZH: dict[str, list[str]] = {
    "bank_notice": [
        "【{brand}银行】您尾号{tail}的储蓄卡{mon}月{day}日消费{amt}元，余额请登录手机银行查询",
        "【工商银行】您的验证码为{code}，5分钟内有效，请勿泄露给他人，银行工作人员不会向您索取",
        "【招商银行】您的信用卡本期账单已出，应还{amt}元，到期还款日{mon}月{day}日",
        "您尾号{tail}账户{mon}月{day}日转入工资{amt}元，如有疑问请致电官方客服",
    ],
    "courier": [
        "【菜鸟驿站】您的包裹已到{city}驿站，取件码{code}，请及时领取",
        "【顺丰速运】您的快件已签收，如有问题请联系官方客服，感谢使用",
        "快递小哥：你的快递放门口了，记得拿一下",
        "您的订单已发货，物流单号{code}，预计{day}号送达",
    ],
    "otp": [
        "【{brand}】验证码{code}，用于登录，5分钟内有效。如非本人操作，请忽略本短信",
        "您正在修改密码，验证码{code}，切勿告知他人",
    ],
    "anti_fraud_warning": [
        "警方提醒：刷单返利都是诈骗，凡是要求先垫付的兼职都是骗局",
        "警惕！高价收银行卡、出租出借手机卡都是违法行为，切勿参与",
        "国家反诈中心提示：公检法机关不会通过电话办案，更没有安全账户",
        "以案说法：{n}女士接到自称客服的电话称可双倍退款，被骗{amt}元，大家注意防范",
        "反诈宣传：不要相信网上的低息贷款，放款前要交费的一律是诈骗",
        "提醒家里老人，接到说医保卡异常、要转到安全账户的电话，直接挂断并拨打96110",
        "注意！冒充领导让你加新微信转账的，一定先打电话核实，这是诈骗",
        "记者从{city}警方获悉，一个帮助诈骗分子接码、跑分的团伙被抓获，涉案{amt}元",
    ],
    "victim_story": [
        "我今天差点被骗了，有人说我快递丢了要双倍退款，还让我开屏幕共享",
        "我妈收到短信说ETC认证失效，幸好问了我，那是个钓鱼链接",
        "昨天有个陌生人加我说带我炒股，我没理他，估计是杀猪盘",
        "同事说她朋友做刷单被骗了好几千，大家千万别信",
        "刚接到一个电话说我涉嫌洗钱，我直接挂了报警了",
    ],
    "real_boss": [
        "小{n}，明天上午十点开会，把上周的周报和报表整理好发我邮箱",
        "{n}总：合同我看过了，财务按流程走对公付款就行，发票记得开",
        "大家注意，本周五之前提交季度总结，有问题找我当面说",
        "会议纪要已经发到群里了，各部门按分工推进",
    ],
    "family_chat": [
        "妈，我下班了，晚上回家吃饭，要不要带点水果",
        "周末一起去{city}玩吧，我已经订好酒店了",
        "爸，你手机卡欠费了，我帮你在营业厅APP充了{amt}",
        "宝贝，晚饭做好了，快回来吃",
        "亲爱的，生日快乐，礼物放你桌上了",
        "老同学，好久不见，下周聚一聚？",
    ],
    "legit_commerce": [
        "您好，您在{brand}购买的商品已发货，如需退换货请在订单页面申请，不要添加任何私人微信",
        "【{brand}】双十一大促，全场满300减50，回TD退订",
        "尊敬的会员，您的积分将于月底到期，可在官方APP内兑换",
        "本店新到一批水果，欢迎光临，地址在{city}路{num}号",
    ],
    "legit_finance": [
        "今天大盘涨了1.2%，我持有的基金终于回本了",
        "理财经理提醒：基金有风险，投资需谨慎，过往业绩不代表未来表现",
        "公积金贷款审批通过了，下个月开始还款",
        "花呗这个月账单{amt}，记得还一下",
    ],
    "legit_recruit": [
        "我司招聘前台文员，五险一金，周末双休，简历请投递公司邮箱",
        "兼职家教，辅导初中数学，每小时{amt}元，有意者请到学校就业处登记",
    ],
    "news": [
        "据报道，{city}警方破获一起特大电信网络诈骗案，抓获犯罪嫌疑人{num}名",
        "法院以帮助信息网络犯罪活动罪判处出售银行卡的被告人有期徒刑一年",
        "运营商开展断卡行动，对一证多卡、长期沉默的电话卡进行核验",
    ],
    "meeting_asr": [
        "发言人1: 我们这个季度的营收同比增长了百分之十二，主要是渠道投资的回报，发言人2: 对，明年还要继续加大投入",
        "发言人2: 关于理财产品的收益率，我们还是要跟客户讲清楚风险，不能承诺保本，发言人1: 同意",
        "主持人: 下面请财务部汇报一下资金周转的情况，发言人3: 目前现金流比较紧，贷款还要再谈一下利率",
        "发言人1: 这个平台的用户增长很快，但是转化率还不够，我们下个月的推广预算要调整一下",
        "发言人4: 股价这段时间波动比较大，投资者关系这边要做好沟通，发言人2: 好的，我们准备一个说明会",
    ],
    # Hard negatives: carriers' and shops' own marketing and notices carry links, "reply TD to
    # unsubscribe", prices and urgency, much like phishing; what differs is the official sender,
    # the official domain and the absence of a request for money, codes or a contact switch.
    "operator_marketing": [
        "【中国移动】尊敬的客户，{mon}月流量特惠：{num}元可享30GB全国通用流量，办理请点击 {ourl} ，回复TD退订",
        "【中国联通】您的话费余额为{num}元，为避免停机请及时充值，充值可登录联通APP，拒收请回复R",
        "【中国电信】年终回馈，宽带续约送{num}个月，详情咨询10000或营业厅，回TD退订",
        "【中国移动】您已获得{num}元话费券，有效期至{mon}月{day}日，在中国移动APP-我的-卡券中使用，退订回TD",
        "【中国广电】5G新号段开放选号，携身份证到营业厅本人办理，详询10099，回复TD退订",
        "【中国联通】温馨提示：您本月已使用流量{num}GB，超出部分按套餐标准计费，查询 {ourl}",
        "【中国移动】{city}和家亲宽带提速活动，升级千兆仅需加{num}元/月，回复1办理，回复TD退订",
    ],
    "retail_marketing": [
        "【{brand}】会员日大促，全场满{amt}减{num}，点击 {ourl} 领券，退订回T",
        "【{brand}】您关注的商品降价了，现在下单立减{num}元，活动截止{mon}月{day}日，回TD退订",
        "【{brand}超市】周末生鲜特价，鸡蛋{num}元一盒，会员积分翻倍，拒收请回复R",
        "【{brand}】亲爱的会员，您有{num}张优惠券即将过期，打开APP-我的-优惠券查看，退订回N",
        "【{city}地铁】{mon}月{day}日起乘车码支持银联云闪付，详情见官方公众号",
        "【{brand}外卖】您的订单已送达，如对本次服务满意请给骑手好评，感谢支持",
    ],
    "gov_notice": [
        "【{city}12345】您反映的问题已转交相关部门办理，办理结果将在{num}个工作日内答复",
        "【{city}人社】您{mon}月的养老金已发放至社保卡银行账户，请注意查收，不会要求您转账",
        "【国家反诈中心】近期冒充客服退款诈骗高发，请勿向陌生账户转账，如有疑问拨打96110",
        "【{city}交警】您的车辆{mon}月{day}日在{city}路违法停车，请通过交管12123APP处理",
        "【{city}税务】个人所得税年度汇算将于{mon}月{day}日截止，请通过个人所得税APP办理",
    ],
    "news_narrative": [
        "{city}日报讯 日前，{city}市公安局破获一起利用虚假投资平台实施诈骗的案件，涉案金额{amt}余元，{num}名嫌疑人落网",
        "记者从{city}市中级人民法院获悉，一起出租出借银行卡帮助诈骗团伙转移资金的案件近日宣判，被告人被判处有期徒刑",
        "据新华社报道，公安部部署开展打击治理电信网络诈骗专项行动，{mon}月以来共破获案件{num}万起",
        "{city}消息：银行工作人员发现一名老人准备向所谓安全账户转账{amt}，及时劝阻并联系民警，成功避免损失",
        "本报讯 {n}先生在网上看到刷单兼职广告，先后垫付{amt}元后发现无法提现，随即报警，目前案件正在侦办中",
        "反诈宣传进社区活动在{city}举行，民警结合冒充公检法、虚假贷款等典型案例，提醒居民守好钱袋子",
        "{city}警方通报：一男子冒充部队采购人员骗取商户货款，已被依法刑事拘留，警方提醒商户核实身份",
    ],
    # Round 5: ordinary commercial advertising (property, insurance, studios, gyms, schools, dealers,
    # restaurants, travel): prices, phone numbers, deadlines and "抢" everywhere, and no request to pay
    # a stranger, no channel switch to a private account, no threat.
    "ad_marketing": [
        "{city}湖畔新盘开盘钜惠，首付{num}万起住三房，周末到售楼处看房送精美礼品，咨询热线{phone}",
        "车险到期了吗？本月续保享{num}折，再送洗车卡，{brand}保险专员为您服务，电话{phone}",
        "春季婚纱照特惠，{amt}元全包套系，送相册和精修底片，名额有限，预约从速",
        "健身房周年庆，年卡直降{num}百元，前五十名再送私教课两节，地址{city}路{num}号",
        "暑期少儿编程班火热招生，试听课免费，报名立减{amt}元，详询{phone}",
        "{brand}汽车4S店店庆，购车享置换补贴{amt}元，到店试驾即送礼品一份",
        "本店火锅开业大酬宾，凭此短信到店消费满{num}0元送啤酒一打，订座电话{phone}",
        "十一黄金周{city}三日游，含往返高铁和酒店，{amt}元起，报名请到门店或致电{phone}",
        "全屋定制家具节，签单即送智能马桶，{mon}月{day}日前下定享双重优惠",
        "口腔诊所洗牙特惠{num}元，种植牙分期免息，预约电话{phone}，地址{city}中心大厦",
        "考研冲刺班开课啦，名师直播+答疑，早鸟价{amt}元，{mon}月{day}日截止",
        "影院会员日，每周二看电影半价，爆米花套餐加{num}元换购，详见影城公众号",
        "亲爱的顾客，本店冬装上新，全场买二送一，会员积分双倍，期待您的光临",
        "{city}国际车展{mon}月{day}日开幕，扫描官方二维码免费领取门票",
    ],
    # Round 5: salespeople introducing themselves, shops' holiday greetings that open with
    # "亲爱的/尊敬的", and carriers' value-added services ("回复1开通"): affectionate openers and
    # "reply to subscribe" appear in scams too, but here nothing asks for money off the books.
    "sales_intro": [
        "您好，我是{city}{brand}广场的置业顾问小{n}，本周末样板间开放，到场有抽奖活动，欢迎带家人来看看",
        "{n}先生您好，我是上次接待您的销售顾问，您看中的那款车这个月有厂家补贴，有空可以再来店里试驾",
        "您好，我是{brand}装修公司的设计师小{n}，免费上门量房出方案，不满意不收费，需要的话回复我一下",
        "哥您好，我是{city}万象城的招商经理，商场三楼还有两个铺位，租金有优惠，感兴趣可以约时间看铺",
        "姐，我是美容院的小{n}，这个月老顾客做护理送一次肩颈按摩，需要帮您预约时间吗",
    ],
    "business_greeting": [
        "亲爱的会员，中秋快乐！感谢一路相伴，{mon}月{day}日前到店消费可领月饼一盒",
        "亲爱的顾客朋友，新年快乐！{brand}全体员工祝您阖家幸福，门店春节期间正常营业",
        "尊敬的客户，母亲节到了，本店为妈妈们准备了康乃馨，到店即可领取一枝，祝天下母亲健康快乐",
        "亲爱的同学们，开学快乐！书店教辅资料全场八折，凭学生证再减{num}元",
        "亲爱的，情人节快乐，今晚我订了你最喜欢的那家餐厅，七点见",
        "宝贝，生日快乐呀，蛋糕我放冰箱了，回来记得吃",
    ],
    "vas_promo": [
        "【中国移动】彩铃DIY上线啦，自己录制专属彩铃，回复1开通，首月免费，次月{num}元/月，回复TD退订",
        "【中国联通】视频会员流量包，每月{num}元含定向流量30GB，回复KT办理，取消回复QX",
        "【中国电信】您可免费领取{num}个月云盘会员，登录电信营业厅APP即可领取，回复TD退订",
        "尊敬的用户，{brand}音乐会员限时特惠，连续包月首月{num}元，可在APP内随时取消",
    ],
    "service": [
        "【中国移动】您本月套餐剩余流量{num}GB，如需办理加油包请回复",
        "【国家政务服务平台】您的医保缴费已成功，感谢您的支持",
        "您预约的{mon}月{day}日体检已确认，请空腹前往",
        "【ETC】您的车辆于{mon}月{day}日通行扣费{num}元，详情请查看官方APP",
    ],
}

BENIGN_EN: dict[str, list[str]] = {
    "chat": [
        "Hey, are we still on for dinner tonight? I'll book the table for 7",
        "Can you pick up some milk on your way home?",
        "Happy birthday! Hope you have a great day, see you at the weekend",
        "Running late, stuck in traffic, be there in 20 minutes",
        "Thanks for yesterday, it was really fun. Let's do it again soon",
    ],
    "notice": [
        "Your verification code is {code}. Do not share this code with anyone. We will never ask for it",
        "Your parcel has been delivered to your safe place. Thank you for shopping with us",
        "Reminder: your dentist appointment is on {day} at 10:30. Reply C to cancel",
        "Your card ending {tail} was used for a payment of 23.50 at Tesco",
    ],
    "warning": [
        "Scam alert: the bank will never ask you to move money to a safe account. Hang up and call us",
        "Be careful, there is a text going around saying your parcel is held. It is a phishing attempt, do not click",
        "My aunt got a call from someone pretending to be the police asking for money. Report it if you get one",
    ],
    "work": [
        "Please send me the quarterly report by Friday and book the meeting room for Monday",
        "The client approved the invoice, finance will pay it through the usual process",
        # round 5
        "Could you update the project tracker before standup and flag anything that is blocked",
        "I'm out of office until Wednesday, please route urgent tickets to the on-call engineer",
        "Payroll runs on the 25th this month, get your expense claims approved by your manager before then",
    ],
    # Round 5: genuine carrier and shop marketing, account notices and casual chat in English: they
    # carry prices, links, deadlines and "reply STOP", like phishing, but ask for no money or codes.
    "marketing": [
        "Black Friday at our store: 30% off all winter coats this weekend only. Reply STOP to opt out",
        "Your mobile plan upgrade is ready: get 50GB for the same price, see the offer in your account app",
        "Free delivery on orders over 40 this week. Shop now in the app. Text STOP to unsubscribe",
        "Members get double points every Tuesday in December. See you soon! Reply STOP to end",
        "New menu at our cafe from Monday, show this text for a free coffee with any breakfast",
    ],
    "account": [
        "Your monthly statement is now available in online banking. No action is needed",
        "Your payment of 35.00 to City Energy was successful. Thank you",
        "Your prescription is ready to collect from the pharmacy on High Street",
        "Your booking is confirmed: table for 4 on Friday at 19:30. To change it, use the link in your email",
        "Your library books are due back on the {day}th. You can renew them online",
    ],
    "casual": [
        "ok see you at 6, do you want me to bring anything",
        "haha yes that was so funny, I can't stop laughing",
        "sorry missed your call, in a meeting, will ring you back later",
        "did you get home ok? text me when you're back",
        "lol no I forgot again, will do it tomorrow promise",
        "where are you guys? we're by the entrance",
        "can you lend me your charger tomorrow, mine just broke",
        "Love you too, sleep well x",
    ],
}

NEWS_LEADS = [
    "据{city}警方通报，近日一名市民遭遇电信网络诈骗，",
    "记者从{city}市公安局反诈中心获悉，",
    "【以案说法】{n}女士最近遇到了这样一件事：",
    "反诈民警提醒，近期以下骗局高发，",
    "近日，{city}法院审理了一起诈骗案件，",
]
NEWS_TAILS = [
    "警方提醒，凡是要求转账到陌生账户的都是诈骗，如有疑问请拨打96110。",
    "目前案件正在进一步侦办中，民警提示广大群众提高警惕，谨防上当受骗。",
    "最终被告人因诈骗罪被判处有期徒刑，法院提醒大家切勿轻信。",
    "好在家人及时发现并报警，民警成功止付。",
    "反诈中心提示：不听、不信、不转账，遇到可疑情况及时报警。",
]


NEWS_MIDDLES = [
    "接到报警后，民警立即开展调查，通过资金流向锁定了嫌疑人的藏身地点。",
    "经查，该团伙分工明确，有人负责引流，有人负责话术，有人负责转移赃款。",
    "办案民警介绍，这类诈骗往往先给小额甜头，等受害人放松警惕后再诱导大额转账。",
    "受害人事后回忆，对方对她的个人信息了如指掌，这也是她没有起疑心的原因。",
    "据了解，嫌疑人利用境外聊天软件与上线联系，涉案资金经过多个账户层层转移。",
    "法院审理认为，被告人明知他人利用信息网络实施犯罪，仍为其提供支付结算帮助，其行为已构成犯罪。",
    "银行工作人员察觉异常后及时启动劝阻机制，并与辖区派出所联系。",
]
NEWS_EN = [
    "Police said the suspects ran a call centre that phoned elderly victims pretending to be bank staff, "
    "and were arrested after a months-long investigation.",
    "A court heard that the defendant recruited students to open bank accounts that were then used to "
    "move money from investment scams.",
    "According to the regulator, reports of impersonation scams rose sharply this year, with most "
    "victims contacted by text message.",
    "Investigators said the gang sent thousands of fake parcel-delivery texts linking to a copy of the "
    "courier's website.",
    "The woman told reporters she lost her savings after a man she met online persuaded her to invest in "
    "a fake crypto platform.",
    "Prosecutors charged two men with laundering the proceeds of romance scams through gift cards and cryptocurrency.",
]


def news_samples(seed: int = 20261131, n: int = 600) -> list[Sample]:
    """Reports and warnings that quote a scam script: legitimate content (label 0)."""
    rng = random.Random(seed)
    bodies = [(typ, bi, b) for typ, bs in FRAUD_ZH.items() for bi, b in enumerate(bs)]
    out: list[Sample] = []
    for _ in range(n):
        typ, bi, body = rng.choice(bodies)
        script = _compose(body, rng, True)
        text = (
            fill(rng.choice(NEWS_LEADS), rng)
            + rng.choice(["对方称“", "骗子说：“", "对方发来消息：“", "嫌疑人以“", "短信内容为“"])
            + script
            + "”，"
            + rng.choice(NEWS_TAILS)
        )
        if rng.random() < 0.5:
            text += fill(rng.choice(NEWS_LEADS), rng) + rng.choice(NEWS_TAILS)
        if rng.random() < 0.6:
            # Round 5: longer reports (real articles run to hundreds of characters).
            middles = rng.sample(NEWS_MIDDLES, rng.randint(1, 4))
            text = text[: len(text) // 2] + "".join(middles) + text[len(text) // 2 :]
        out.append(Sample(text, 0, None, f"news:{typ}:{bi}", "message"))
    for _ in range(n // 4):
        # Round 5: full-length articles (600-2,000 characters) that quote several scripts, since real
        # reports are that long and the models otherwise only ever saw short texts.
        parts = [fill(rng.choice(NEWS_LEADS), rng)]
        typ0 = rng.choice(list(FRAUD_ZH))
        for _ in range(rng.randint(2, 5)):
            body = rng.choice(FRAUD_ZH[typ0] if rng.random() < 0.7 else rng.choice(list(FRAUD_ZH.values())))
            parts.append(
                rng.choice(["对方称“", "骗子又说：“", "随后对方发来：“", "对方以“"]) + _compose(body, rng, True) + "”。"
            )
            parts += rng.sample(NEWS_MIDDLES, rng.randint(1, 3))
        parts.append(rng.choice(NEWS_TAILS))
        out.append(Sample("".join(parts)[:2000], 0, None, f"news_long:{typ0}", "message"))
    for _ in range(n // 6):
        ni = rng.randrange(len(NEWS_EN))
        parts = [NEWS_EN[ni], *rng.sample(NEWS_EN, rng.randint(0, 2))]
        out.append(Sample(" ".join(parts), 0, None, f"news_en:{ni}", "message"))
    return out


# --- dialogues (round 5) ---------------------------------------------------------------------------------
# Multi-turn conversations written as "name: line" turns; the fraud ones follow one typology's script
# from contact to the money ask, the benign ones talk about money, jobs, parcels or police with no
# scam in them. Speaker names are drawn at random so that a name never marks a class.
GIVEN = [
    "伟",
    "芳",
    "敏",
    "静",
    "强",
    "磊",
    "洋",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "霞",
    "平",
    "刚",
    "建华",
    "晓燕",
    "志强",
    "海燕",
]

FRAUD_DIALOGS: dict[str, list[list[str]]] = {
    "T01_task_rebate": [
        [
            "A: 你好，看到你在找兼职，我们这边是帮商家做数据的",
            "B: 具体做什么？",
            "A: 很简单，关注店铺截图就行，一单三块",
            "B: 真的能结钱吗",
            "A: 先做几单试试，做完找接待员领佣金",
            "A: 现在有个福利单，先垫付{amt}，返你本金加百分之二十",
        ],
        [
            "B: 我前面做的三单怎么还没返钱",
            "A: 系统显示你卡单了，要把这一组做完才能一起提现",
            "B: 还要充多少",
            "A: 最后一单{amt}，做完马上全部到账，不做的话前面的都冻结",
        ],
    ],
    "T02_investment": [
        [
            "A: 今天老师的课你听了吗",
            "B: 听了一点，说是有内部票",
            "A: 我跟着买已经赚了不少，平台上可以随时提",
            "B: 我怕被骗",
            "A: 你先小额试一下，充{amt}进去，赚了再加",
            "A: 下载{app}，注册的时候填我的邀请码",
        ],
        [
            "B: 我想把钱提出来，怎么提不了",
            "A: 你的账户盈利太多触发了风控，要交百分之十五的保证金",
            "B: 可是我已经没钱了",
            "A: 不交的话账户会被永久冻结，你想办法借一点，交完马上能提",
        ],
    ],
    "T04_fake_cs_refund": [
        [
            "A: 您好，我是{brand}的客服，您上周买的东西质量有问题，我们要给您退款",
            "B: 哦，怎么退",
            "A: 您打开支付宝，搜一下备用金",
            "B: 打开了",
            "A: 您先把备用金领出来，这是系统验证，一会儿连同退款一起退给您",
            "A: 领好之后转到我发给您的这个账户",
        ],
        [
            "A: 您开通的会员明天就要开始扣费了，一个月{amt}",
            "B: 我没开通过啊",
            "A: 可能是误操作，我教您关闭",
            "A: 您先下载一个会议软件，打开屏幕共享，我一步一步指导您",
        ],
    ],
    "T05_fake_loan": [
        [
            "B: 我申请的贷款什么时候到账",
            "A: 您的银行卡号填错了一位，资金被冻结了",
            "B: 那怎么办",
            "A: 需要交{amt}解冻金，解冻后连贷款一起打给您",
            "B: 能不能从贷款里扣",
            "A: 不行，这是银行规定，必须您本人转",
        ],
    ],
    "T06_fake_credit": [
        [
            "A: 您好，您大学时开过校园贷账户还没注销",
            "B: 我没开过啊",
            "A: 系统显示有，国家现在要求清理，不注销会影响征信",
            "B: 那怎么注销",
            "A: 您要先把各个平台的额度借出来，转到我们指定的账户清零，核实后退还",
        ],
    ],
    "T07_impersonate_boss": [
        [
            "A: 小{n}，在吗",
            "B: 在的，{n}总",
            "A: 我换了个号，旧号不用了",
            "A: 我在开会不方便接电话，有个合作方要付款",
            "A: 你先从公司账上转{amt}给他，账号我发你，手续我回来补",
            "B: 好的，我去找财务",
        ],
        [
            "A: 妈，我手机摔坏了，这是我新号",
            "B: 怎么了孩子",
            "A: 我在外面出了点事，急需{amt}",
            "A: 你先转到这张卡，别给爸说",
            "B: 你打个电话给我",
            "A: 现在不方便打电话，你先转，晚上跟你解释",
        ],
    ],
    "T08_impersonate_police": [
        [
            "A: 你好，我是{city}公安局的，你的身份证涉嫌一起洗钱案",
            "B: 不可能啊",
            "A: 你现在找一个安静的房间，我们要做视频笔录",
            "A: 这件事是保密的，不能告诉任何人",
            "A: 为了证明你的清白，要把你的存款转到安全账户接受清查",
        ],
    ],
    "T09_game_trade": [
        [
            "A: 你要的那个账号我可以便宜卖给你",
            "B: 多少钱",
            "A: {amt}，我们不走平台，平台抽成太高",
            "B: 那怎么交易",
            "A: 你去这个交易网站{url}下单，付款后自动发货",
        ],
    ],
    "T10_romance": [
        [
            "A: 宝贝今天累不累",
            "B: 还好，刚下班",
            "A: 我最近发现一个平台，我叔叔在里面做技术，知道规律",
            "A: 我已经赚了好几万了，带你一起玩",
            "B: 我不太懂",
            "A: 没关系，你先充{amt}，我帮你操作，赚了都是你的",
        ],
    ],
    "T11_military_purchase": [
        [
            "A: 老板，我是部队后勤的，要订一批物资",
            "B: 要什么",
            "A: 你们店没有的牛肉罐头，我给你一个厂家电话",
            "A: 你先把货款垫付给厂家，我们部队对公转账晚两天一起结给你",
            "B: 好的我联系一下",
        ],
    ],
    "T12_phishing_notice": [
        [
            "A: 帮我点一下这个链接助力，{url}",
            "B: 要填什么",
            "A: 填一下手机号和验证码就行",
            "B: 填了",
            "A: 把收到的验证码也发我一下",
        ],
    ],
}

BENIGN_DIALOGS: dict[str, list[list[str]]] = {
    "friends_money": [
        ["A: 上次吃饭的钱我转你了", "B: 收到了，其实不用这么急", "A: 应该的，下次你请", "B: 好嘞，周末见"],
        ["A: 你最近在买基金吗", "B: 买了一点指数基金，亏了一点", "A: 我也是，还是定投稳一点", "B: 嗯，别追涨杀跌就行"],
        ["A: 房贷利率是不是又降了", "B: 好像降了一点，我打算去银行问问能不能转", "A: 记得问清楚违约金", "B: 好的"],
    ],
    "work": [
        ["A: 明天的汇报材料准备好了吗", "B: 还差一页数据", "A: 今晚能发我吗，我明早看一下", "B: 没问题，九点前发你"],
        ["A: 这个月的报销单交了吗", "B: 交了，财务说下周打款", "A: 好，发票记得贴好", "B: 已经贴好了"],
        ["A: 客户那边合同签了吗", "B: 签了，对公转账走流程，下周到账", "A: 好，到账了跟我说一声"],
    ],
    "family": [
        ["A: 妈，我今天晚点回家", "B: 好，饭给你留着", "A: 不用等我，你们先吃", "B: 路上注意安全"],
        ["A: 爸，你手机又欠费了", "B: 我不会充", "A: 我在营业厅APP帮你充好了", "B: 好，谢谢儿子"],
    ],
    "scam_talk": [
        [
            "A: 我今天接到一个电话说我涉嫌洗钱",
            "B: 肯定是骗子，公安不会打电话让你转账",
            "A: 我直接挂了",
            "B: 对，还可以打96110问问",
        ],
        ["A: 有个人说带我刷单赚钱", "B: 千万别信，先垫钱的都是骗局", "A: 我也觉得不对劲", "B: 把他拉黑吧"],
        [
            "A: 我同事被冒充领导的骗了两万",
            "B: 天啊，怎么骗的",
            "A: 加了个假微信让她转账",
            "B: 以后转账一定先打电话确认",
        ],
    ],
    "service_real": [
        [
            "A: 你好，我的快递显示签收了但我没收到",
            "B: 您好，我帮您查一下，是放在快递柜了",
            "A: 哦，那我去看看",
            "B: 取件码已经重新发您短信了",
        ],
        ["A: 我想取消这个订单", "B: 可以，您在订单页面点申请退款就行，款会原路退回", "A: 好的，谢谢"],
    ],
    # Round 5: meeting transcripts (ASR exports label speakers 发言人N) about money, loans, platforms and
    # investment: business talk that shares the fraud vocabulary.
    "meeting_asr": [
        [
            "A: 我们先看一下上个月的回款情况，有几家客户还是拖得比较厉害",
            "B: 对，主要是账期太长，财务那边已经在催了",
            "A: 那贷款那块呢，银行的授信批下来没有",
            "B: 批了一部分，利率比去年低一点",
            "C: 我补充一下，担保的手续下周能办完",
        ],
        [
            "A: 这个平台现在日活大概多少",
            "B: 五十万左右，但是留存不太好",
            "A: 拉新的投入产出比要算清楚",
            "C: 我觉得可以先做一轮用户调研，看看流失的原因",
            "B: 好，我这周把问卷发出去",
        ],
        [
            "A: 关于这次的投资项目，风控的意见是什么",
            "B: 风控认为估值偏高，建议分两期出资",
            "A: 对方能接受吗",
            "C: 可以谈，他们也缺现金流",
            "A: 那就按两期准备协议，法务先看一下条款",
        ],
        [
            "A: 今天主要讨论一下明年的预算",
            "B: 市场部希望增加百分之二十的推广费用",
            "C: 研发这边也要加人",
            "A: 总盘子就这么大，大家先各自排一下优先级",
            "B: 行，周五前给到",
        ],
        [
            "A: 客服那边反映退款流程太慢",
            "B: 主要是要人工审核，量大的时候处理不过来",
            "A: 能不能小额的自动退",
            "C: 技术上可以，风控要定一个额度",
            "B: 我跟风控对一下",
        ],
        [
            "A: 股价这段时间波动很大，投资者关系这边压力不小",
            "B: 是，很多散户在问分红的事",
            "A: 分红方案董事会还没定",
            "C: 可以先发一个说明，稳定一下预期",
        ],
    ],
    "meeting": [
        [
            "A: 这季度的销售额比去年同期增长了一些",
            "B: 主要是线上渠道的贡献",
            "A: 下个季度推广预算要不要加",
            "B: 我建议先看一下投入产出",
        ],
        ["A: 新产品的定价大家有什么意见", "B: 我觉得可以先做个促销", "A: 促销力度不能太大，毛利要保住"],
    ],
}


SMALL_TALK = [
    "A: 最近忙不忙",
    "B: 还行吧，就是加班多",
    "A: 吃饭了吗",
    "B: 刚吃完",
    "A: 今天天气真好",
    "B: 是啊，就是有点热",
    "A: 你那边几点了",
    "B: 快十点了",
    "A: 周末有什么安排",
    "B: 在家休息，带孩子",
    "A: 哈哈好的",
    "B: 嗯嗯",
    "A: 你工作怎么样",
    "B: 老样子，凑合",
    "A: 注意身体啊",
    "B: 你也是",
    "A: 我刚下班",
    "B: 辛苦了",
]


def _render_dialog(turns: list[str], rng: random.Random, speakers: bool = False) -> str:
    """Give the roles random names and join the turns one per line, as chat exports do.

    ``speakers``: name them ``发言人N`` as meeting transcripts do.
    """
    first = rng.sample(NAMES, 3)
    given = rng.sample(GIVEN, 3)
    names = {k: first[i] + given[i] for i, k in enumerate("ABC")}
    if speakers:
        numbers = rng.sample(range(1, 9), 3)
        names = {k: f"发言人{numbers[i]}" for i, k in enumerate("ABC")}
    sep = rng.choice([": ", "：", ": "])
    if not speakers and rng.random() < 0.35:
        # Chat before the point (both classes): long conversations must not read as benign by length.
        turns = rng.sample(SMALL_TALK, rng.randint(4, 12)) + turns
    lines = []
    for turn in turns:
        who, _, line = turn.partition(": ")
        lines.append(names[who] + sep + fill(line, rng))
    if rng.random() < 0.3:
        lines = lines[rng.randrange(0, 2) :]  # conversations are often cut mid-way
    return "\n".join(lines)


def dialog_samples(seed: int = 20261205, per_dialog: int = 12) -> list[Sample]:
    """Fraud and benign conversations (label 1 / 0); the group is the dialogue."""
    rng = random.Random(seed)
    out: list[Sample] = []
    for pools, label in ((FRAUD_DIALOGS, 1), (BENIGN_DIALOGS, 0)):
        for cls, dialogs in pools.items():
            for di, turns in enumerate(dialogs):
                group = f"dialog:{label}:{cls}:{di}"
                for _ in range(per_dialog):
                    text = _render_dialog(turns, rng, speakers=cls == "meeting_asr")
                    out.append(Sample(text, label, cls if label else None, group, "message"))
    return out


# --- listings --------------------------------------------------------------------------------------------
LISTING_BAD: dict[str, list[str]] = {
    "phone_card": [
        "出手机卡，不实名，即插即用，量大从优，{contact}",
        "高价回收闲置手机卡、电话卡，三网都收，日结",
        "实名手机卡出售，可接码可过验证，长期稳定供货",
        "收卡，电信移动联通都要，一张{num}元，带队扫村的老板私",
        "虚商卡170/171号段批发，免实名激活，支持注册各平台",
        "收三网新卡老卡，开卡后寄给我，每张给{num}元，长期合作",
        "出售海外手机卡，无需本人身份证，秒发",
        "Unregistered SIM cards for sale, no ID needed, bulk price",
        # round 5: English listings
        "Activated phone numbers ready to use, registered to someone else, good for app sign-ups, any amount",
        "Buying SIMs: open new lines in your name and post them to us, paid per line",
    ],
    "iot_card": [
        "9.9元100G不限速，0月租，随身WiFi送卡，免实名",
        "物联网流量卡批发，无限流量，三网通，不用实名认证",
        "大流量卡即插即用，不需要实名，全国通用不限速",
        "物联卡出售，插上就能用，一年不用充值",
    ],
    "topup_card": [
        "高价回收话费卡密、京东E卡、油卡，秒结",
        "收各种购物卡、礼品卡卡密，九五折回收，量大优先",
        "出话费慢充，卡密批发，支持三网",
        "We buy gift card codes for cash, any brand, paid within minutes",
    ],
    "sms_code": [
        "专业接码，秒收验证码，支持各大平台注册",
        "提供各地手机号短信代收服务，注册验证一次{num}元，批量更便宜",
        "接码平台招代理，卡商合作，长期有码",
        "代收验证码，新号过验证，一条{num}元",
        "Receive SMS online: OTP codes for any website, real mobile numbers, pay per message",
        "Verification code service for account registration, fresh numbers every day",
        "收码长期，猫池卡池对接，GOIP设备出租",
    ],
    "bank_account": [
        "高价收银行卡，一类卡优先，带U盾，{contact}",
        "收对公户，五件套齐全，价格好商量",
        "出四件套，银行卡+U盾+手机卡+身份证复印件",
        "长期收一类户，支付宝微信账户也收，日结",
        "出租银行卡走账，每天{amt}，安全无风险",
        "Buying personal and company bank accounts with online banking access and card, good price paid",
        "Lend us your bank account for a few days and earn easy money, we just need the login",
    ],
    "internet_account": [
        "高价回收闲置微信号、老号、满月号，{contact}",
        "出售实名QQ号、抖音号，成品号批发，号商合作",
        "收vx号，白号也收，一个{num}元秒结",
        "出微信老号，实名认证过，可发朋友圈可加人",
        "Aged and verified social media accounts for sale, full login details, bulk discounts",
        "Selling payment app accounts already verified with ID, instant transfer of login",
    ],
    "realname_bypass": [
        "代过人脸，代实名认证，账号解封，价格美丽",
        "各平台实名认证代做，人脸验证代刷，不成功不收费",
        "好友辅助验证，帮忙解封，给红包",
        "人脸识别代过，活体检测包过，{contact}",
        "We complete KYC and selfie verification for you on any platform, no documents needed from you",
    ],
    "money_mule": [
        "招跑分，日入千元，躺赚，需要押金",
        "出租收款码，抢单返佣，码商招募",
        "代收代付走账，USDT承兑，量大价优",
        "跑分平台招人，有微信支付宝就能做，{contact}",
        "Earn commission receiving payments into your account and forwarding them, crypto payout",
    ],
}

LISTING_GOOD: dict[str, list[str]] = {
    "sim_tray": [
        "手机卡托卡槽，适用iPhone13，全新原装，包邮",
        "取卡针10个装，不锈钢材质，手机通用",
        "双卡卡托，金色，适配华为P40，送取卡针",
    ],
    "phone_case": [
        "iPhone15手机壳，透明防摔，送钢化膜",
        "九成新小米手机出售，无拆修，送手机壳和充电器",
    ],
    "collectible": [
        "收藏品：早期IC电话卡一套，共{num}张，品相完好，集卡爱好者入",
        "老电话卡收藏，90年代磁卡，纪念卡，不可使用，仅供收藏",
    ],
    "operator_plan": [
        "中国移动官方旗舰店，5G套餐办理，需本人身份证实名办理",
        "联通营业厅新人专享，29元月租含30G，凭本人身份证激活",
        "电信官方流量套餐，本人实名认证后使用，支持携号转网",
    ],
    "gift_game_card": [
        "Steam充值卡官方正品，自动发货，仅限本人账号使用",
        "星巴克礼品卡，面值100，生日送朋友",
        "任天堂游戏卡带，塞尔达，九成新",
    ],
    "storage_card": [
        "128G内存卡，TF卡，行车记录仪专用",
        "读卡器USB3.0，支持SD卡和TF卡",
    ],
    "anti_fraud_news": [
        "警惕！出售手机卡、银行卡属于违法行为，断卡行动持续进行",
        "反诈宣传：不要出租出借自己的银行卡和电话卡，以免成为帮信罪的工具",
    ],
    # round 5: English look-alikes
    "goods_en": [
        "Replacement SIM card tray for iPhone 14, black, with eject pin",
        "Protective phone case with card holder, fits Galaxy A54",
        "Collector's lot of old payphone cards from the 1980s, used, display only",
        "Official carrier SIM-only deal, 30 days rolling, activate with your own ID online",
        "Gift card for a local bookshop, 20 pounds, makes a nice present",
        "Nintendo game cartridge, boxed, like new",
        "MicroSD memory card 64GB for cameras and dashcams",
        "Card reader for SD and microSD, USB-C",
    ],
    "second_hand": [
        "二手iPad出售，自用九成新，价格可小刀，同城面交",
        "闲置婴儿车转让，{amt}元，{city}自提",
        "公交卡转让，里面还有余额{num}元",
    ],
}

# --- round 6: more catalogue phrasings ----------------------------------------------------------------
# Written from the catalogue (§5 scripts, §6 jargon, §7 evasion) for the families the earlier
# templates covered thinly: card-farmer recruitment (卡农/带队/卡头), SIMs opened on other people's
# IDs, IoT cards sold as phone cards, code receiving for messaging apps, renting accounts to run
# turnover (走流水/过账), face/liveness and "assisted unblocking" services, and their English
# counterparts; English fraud scripts for the typologies that had none (T03, T06, T09, T11), and more
# hard negatives (phone recycling, face-recognition hardware, carriers' travel SIMs, warnings).
# Appended at the end of each list, so the groups (and held-out fifth) of earlier bodies keep their index.
LISTING_BAD["phone_card"] += [
    "招募卡农，带上身份证跟车去营业厅，每人开{num}张卡，办完现场结钱，来回包车",
    "卡头长期收卡，带队扫村扫校的团队优先，老人学生办的卡都要，价格高",
    "收别人开好的手机卡，三网都行，卡寄到指定地址，验货后付款，一张{num}元",
    "代开手机卡，用他人身份证登记，不用本人到场，拿到就能注册各种平台",
    "People wanted to open new mobile lines and hand over the SIMs, cash for each line, transport provided",
    "SIM cards set up under somebody else's identity, active now, use them for any app, nothing traced to you",
    "Wholesale SIMs already registered with third-party IDs, activation done, ships the same day",
]
LISTING_BAD["iot_card"] += [
    "物联网卡当手机卡用，不用身份证登记，流量随便跑，批发价更低",
    "纯上网卡，不需要登记信息，插进设备就能用，一年无限流量",
    "IoT data SIMs that work in a normal phone, no registration, unlimited data for twelve months",
    "Anonymous data-only SIM cards, no ID check at all, fit phones and routers, bulk stock",
]
LISTING_BAD["sms_code"] += [
    "验证码代接，各类app注册用号，按条计费，批量有优惠",
    "卡商直供号码，代收短信，过各平台风控，API对接",
    "租用手机号收短信，十分钟一个号，失败不扣费",
    "WhatsApp and Telegram numbers for verification: we receive the OTP for you and the account is yours",
    "Rent a real SIM number for twenty minutes to catch one-time passcodes, non-VoIP, any service",
    "OTP receiving service with UK and US numbers, bulk API for mass sign-ups",
]
LISTING_BAD["bank_account"] += [
    "收银行卡，二类三类都可以，只要能过账，每张{num}百",
    "高价收闲置银行卡，连同手机卡、U盾和密码一起寄来",
    "收实名支付宝、微信零钱账户，借用几天就还，给辛苦费",
    "We rent your bank account for our business payments, monthly fee to you, you do nothing",
    "Bank logins sold together with the debit card and PIN, verified, high limits",
    "Company bank accounts with full documents for sale, ready for large incoming transfers",
]
LISTING_BAD["money_mule"] += [
    "账户出租，帮公司走流水，每天流水几十万，你拿千分之三，不影响正常使用",
    "收款码租给我们用，订单自动派发，坐着拿佣金",
    "招收款员，用你的卡收货款再转出去，当天结佣金",
    "Payment agent wanted: accept customer payments into your PayPal and pass them on, keep a cut",
    "Lend us your Cash App or Zelle, we pay you for every transfer that goes through it",
    "Easy side income: let us route payments through your personal account, 5% of each transfer is yours",
]
LISTING_BAD["internet_account"] += [
    "收闲鱼号、支付宝号，实名满一年的优先，价格高",
    "收淘宝号 咸鱼号 信誉好的号 当天结算",
    "Aged Facebook and Instagram profiles with years of history, marketplace unlocked, bulk deals",
    "Buy ID-verified PayPal and Cash App accounts, delivered instantly with login",
    "Phone-verified Gmail and Outlook accounts in packs of a hundred, cheap",
]
LISTING_BAD["realname_bypass"] += [
    "人脸验证代做，账号冻结帮忙解，辅助解封，成功再付款",
    "刷脸过不了的找我，活体认证代做，各大平台都能过",
    "账号被封了？辅助验证解封，实名代认证，不用本人",
    "Liveness and selfie checks passed for you, KYC on any exchange without your own documents",
    "Account unban service: our team does the ID and face verification for you",
    "Bypass identity verification on banking and crypto apps, quick turnaround",
]
LISTING_GOOD["anti_fraud_news"] += [
    "【{city}移动】根据断卡行动要求，您名下存在一证多卡情况，请本人携身份证到营业厅核验，逾期将限制部分功能",
    "银行提示：长期不用的睡眠卡将被暂停非柜面业务，如需恢复请本人持证到网点办理",
    "{city}开展断卡行动宣传进校园，提醒学生不出租、不出借、不出售手机卡和银行卡",
    "Carrier notice: lines registered with your ID will be checked; visit a store with your ID if you "
    "hold more SIMs than the limit",
    "Bank reminder: never sell, rent or lend your bank account; criminals use such accounts to launder money",
]
BENIGN_ZH["gov_notice"] += [
    "【{city}联通】依据实名制管理规定，请您于{mon}月{day}日前完成本人实名信息核验，可通过营业厅或官方APP办理",
    "【{city}公安】断卡行动：出租出借银行卡、电话卡涉嫌违法，发现收卡、租卡信息请拨打110举报",
]
LISTING_GOOD["second_hand"] += [
    "旧手机回收，上门估价，现场付款，数据当面清除",
    "回收旧书旧衣服，满二十斤上门收",
    "二手人脸识别考勤机，九成新，带说明书",
]
LISTING_GOOD["operator_plan"] += [
    "营业厅招兼职推广员，推广宽带和5G套餐，底薪加提成，需签劳动合同",
    "境外旅游上网卡 日本七天 需在APP内用本人护照实名激活",
    "Travel eSIM for Japan, 7 days, activate in the app with your own passport",
]
LISTING_GOOD["goods_en"] += [
    "IoT development board with SIM slot for makers, no SIM included",
    "Kids' savings bank money box, metal, with key",
    "Secondhand Wi-Fi router, works fine, no data plan included",
    "Leather wallet with ID window and six card slots",
]
FRAUD_EN["T03_fake_shopping"] = [
    "Brand new iPhone 15 for 300, sealed box. I only take bank transfer or friends and family payment, "
    "shipping tomorrow",
    "Last two tickets for the final, face value 150. Pay by bank transfer and I'll email them, first come first served",
    "Your order is held at customs. Pay the 45 import duty at {url} and we release it today",
]
FRAUD_EN["T06_fake_credit"] = [
    "We can erase defaults and late payments from your credit file through our contacts at the bureau. Fee upfront",
    "Your credit score will drop unless you close the old student loan account today. Call our agent on {phone}",
]
FRAUD_EN["T09_game_trade"] = [
    "Selling my maxed game account with rare skins, cheaper than the market. Pay me outside the game and "
    "I send the login",
    "Free skins giveaway! Sign in with your game account here to claim: {url}",
    "Your item sale is frozen because your account is not verified. Pay a deposit of 50 to unlock your earnings",
]
FRAUD_EN["T11_military_purchase"] = [
    "Hello, I order supplies for the army unit near your town. We need 100 meal packs, please buy them from our "
    "appointed supplier first, the base pays you by official transfer next week",
]
FRAUD_EN["T01_task_rebate"] += [
    "Remote job: review hotel listings in our app, 40 tasks a day, earn up to $600 a week. Recharge your "
    "account to get VIP tasks",
]
FRAUD_EN["T02_investment"] += [
    "Our gold trading signals group won 12 trades in a row. Join VIP, start with 1,000 and our analyst does the rest",
    "Your profit is ready but withdrawals need a 20% tax and verification fee first",
]
FRAUD_EN["T04_fake_cs_refund"] += [
    "Customer support here: a charge of 499 was made on your account. To cancel it, install the remote "
    "support app and share your screen",
]
FRAUD_EN["T05_fake_loan"] += [
    "Your loan of 8,000 is approved but the transfer failed: the account number was wrong. Pay the "
    "unfreezing fee to release it",
]
FRAUD_EN["T07_impersonate_boss"] += [
    "It's the director. Keep this between us: a supplier needs paying today, wire 18,000 to the account "
    "I'll send, I'll sign it off later",
]
FRAUD_EN["T08_impersonate_police"] += [
    "Officer speaking from the fraud unit. Your accounts are compromised; move your savings to the "
    "secure account we give you and tell nobody",
]
FRAUD_EN["T10_romance"] += [
    "Sweetheart, my shipment is stuck at the airport and they want a clearance fee. Please send it, I'll "
    "pay you back when I land",
]
BENIGN_EN["warning"] += [
    "IT security: nobody from the company will ask you to buy gift cards. If a director emails asking "
    "for them, report it",
    "Police advice: officers never ask you to move money or pay fines with vouchers. Hang up if someone does",
    "Heads up, fake delivery texts asking for a redelivery fee are going round again. Don't click the link",
]
BENIGN_EN["chat"] += [
    "My dad nearly fell for a fake tech support call today, they wanted remote access. He hung up in time",
    "A guy on Marketplace wanted me to pay by bank transfer for a PS5 that didn't exist, reported him",
    "I'll transfer you my share of the rent tonight",
]
BENIGN_EN["news"] = [
    "Police charged two men over a scheme that recruited students to let criminals use their bank accounts",
    "The court heard how the gang posed as bank staff and persuaded victims to move their savings",
    "The bank was fined for weak checks on accounts later used to launder fraud proceeds",
]

EVASION_SWAPS: dict[str, list[str]] = {
    "微信": ["薇信", "威信", "V信", "vx", "wx", "➕V"],
    "刷单": ["唰单", "刷dan", "SD"],
    "兼职": ["简职", "尖职"],
    "贷款": ["带款", "代款", "dk"],
    "银行卡": ["银杭卡", "yhk", "银行鉲", "寅行卡", "🏦💳"],
    "手机卡": ["sjk", "手机咔", "掱僟鉲", "📱💳"],
    "电话卡": ["dhk", "殿话卡"],
    "物联卡": ["wlk", "物联咔"],
    "接码": ["街码", "接🐴", "jm"],
    "跑分": ["泡分", "P分", "pf"],
    "实名": ["实明", "十名", "實名"],
    "出租": ["出祖", "初租"],
    "收": ["荍", "首"],
    "QQ": ["扣扣", "企鹅", "🐧"],
    "加": ["➕", "+"],
    "卡": ["咔", "💳"],
    # round 6: more §7.1 homophones and shape-similar characters
    "银行": ["银杭", "寅行", "YH"],
    "码": ["犸", "马", "🐎"],
    "号": ["呺"],
    "出": ["炪"],
    "账": ["帐", "賬"],
    "电话": ["殿话", "电hua"],
    "人脸": ["人lian", "人🙂"],
    "流水": ["liu水", "流shui"],
}

# English evasion (round 6): leetspeak and letters spaced out inside a word (§7.1 items 9-10).
_LEET = str.maketrans({"i": "1", "o": "0", "a": "4", "e": "3", "s": "5"})

_s2t = opencc.OpenCC("s2t")


def evade(text: str, rng: random.Random) -> str:
    """Apply one or two evasion tactics from §7.1."""
    for _ in range(rng.choice([1, 1, 2])):
        tactic = rng.randrange(9)
        if tactic == 0:
            text = _s2t.convert(text)
        elif tactic == 1:
            text = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
        elif tactic in (2, 3):
            keys = [k for k in EVASION_SWAPS if k in text]
            if keys:
                k = rng.choice(keys)
                text = text.replace(k, rng.choice(EVASION_SWAPS[k]), 1)
        elif tactic == 4:
            sep = rng.choice([".", "|", " ", "*", "\u200b", "_", "/"])
            i = rng.randrange(max(1, len(text) - 4))
            seg = text[i : i + 4]
            text = text[:i] + sep.join(seg) + text[i + 4 :]
        elif tactic == 5:
            emo = rng.choice(["🌸", "✨", "❤", "🔥", "👉"])
            text = emo + text + emo
        elif tactic == 6:
            text = text.replace("，", rng.choice([" ", "，", "~", "！"]))
        else:
            words = [w for w in text.split(" ") if len(w) >= 4 and w.isascii() and w.isalpha()]
            if words:
                w = rng.choice(words)
                text = text.replace(w, w.lower().translate(_LEET) if tactic == 7 else " ".join(w), 1)
    return text


def _compose(body: str, rng: random.Random, zh: bool) -> str:
    if not zh:
        return fill(body, rng)
    return fill(rng.choice(OPENERS_ZH) + body + rng.choice(CLOSERS_ZH), rng)


def message_samples(seed: int = 20261129, per_body: int = 14) -> list[Sample]:
    """Fraud and benign messages, zh and en, and news that quotes scam scripts."""
    rng = random.Random(seed)
    out: list[Sample] = news_samples() + dialog_samples()
    for pools, zh in ((FRAUD_ZH, True), (FRAUD_EN, False)):
        for typ, bodies in pools.items():
            for bi, body in enumerate(bodies):
                group = f"fraud:{'zh' if zh else 'en'}:{typ}:{bi}"
                for _ in range(per_body if zh else per_body // 2 + 2):
                    text = _compose(body, rng, zh)
                    if zh and rng.random() < 0.35:
                        text = evade(text, rng)
                    out.append(Sample(text, 1, typ, group, "message"))
    for pools, zh in ((BENIGN_ZH, True), (BENIGN_EN, False)):
        for cat, bodies in pools.items():
            for bi, body in enumerate(bodies):
                group = f"benign:{'zh' if zh else 'en'}:{cat}:{bi}"
                for _ in range(per_body if zh else per_body // 2 + 2):
                    text = fill(body, rng)
                    if zh and rng.random() < 0.15:
                        text = evade(text, rng)
                    out.append(Sample(text, 0, None, group, "message"))
    return out


def listing_samples(seed: int = 20261130, per_body: int = 18) -> list[Sample]:
    """Card/account-trading listings and benign look-alikes."""
    rng = random.Random(seed)
    out: list[Sample] = []
    for cat, bodies in LISTING_BAD.items():
        for bi, body in enumerate(bodies):
            group = f"listing_bad:{cat}:{bi}"
            for _ in range(per_body):
                text = fill(rng.choice(["", "", "【长期】", "诚信经营 ", "老板看过来 "]) + body, rng)
                if rng.random() < 0.45:
                    text = evade(text, rng)
                out.append(Sample(text, 1, cat, group, "listing"))
    for cat, bodies in LISTING_GOOD.items():
        for bi, body in enumerate(bodies):
            group = f"listing_good:{cat}:{bi}"
            for _ in range(per_body):
                text = fill(body, rng)
                if rng.random() < 0.2:
                    text = evade(text, rng)
                out.append(Sample(text, 0, None, group, "listing"))
    return out


# --- round 6b: ordinary Chinese everyday text ----------------------------------------------------------
# Written for round 6b from general knowledge (no dataset row was read to write them): chat between
# friends, family and colleagues, genuine customer service that stays inside the platform's own flow
# (no private account, no code, no transfer to a stranger), workplace coordination, property and
# neighbourhood notices, school and parent groups, second-hand trading that stays on the platform, and
# ordinary dialogues and meeting transcripts, some of which mention money, loans, banks or police in
# an ordinary way. New categories (and bodies appended at the end of existing dialogue lists), so the
# groups and held-out fifth of earlier bodies are unchanged; a fifth of the new groups is held out and
# so enters the threshold's validation set.
BENIGN_ZH["everyday_chat"] = [
    "到家了没",
    "我到楼下了，你下来吧",
    "晚上吃啥？我想吃面",
    "今天好冷啊，出门记得多穿点",
    "刚下高铁，先去酒店放行李，晚点联系你",
    "明天降温，{city}说是要下雨，记得带伞",
    "我在超市，家里酱油还有吗？顺便买点鸡蛋回去",
    "周六中午一起吃饭吧，就去上次那家湘菜馆，我订了十二点的位子",
    "哈哈哈哈笑死我了，这视频你看了没",
    "孩子今天发烧了，我请了半天假带她去医院，你晚上早点回来",
    "那家新开的奶茶店排队好长，我排了半小时才买到",
    "老{n}，上次借你的那本书看完了吗？不急，看完了再还我就行",
    "明天早上七点半出发，别睡过头了，我到你小区门口接你",
    "刚跑完步，今天跑了五公里，腿都软了",
    "你寄的特产收到了，我妈说腊肉特别香，谢谢啦",
    "晚上的电影改到八点那场了，票我已经买好，你直接来影院就行",
    "我家那只猫今天又把花盆打翻了，气死我了",
    "下午我去接孩子，你不用管了，你安心开会",
    "国庆打算回老家待几天，你们去哪玩？",
    "这周末天气不错，要不要带孩子去公园放风筝？顺便野餐，我准备点水果和三明治，你们带个垫子就行",
    "上次吃饭你垫的{num}0块，我刚微信转你了，记得收一下哈",
    "AA一下吧，一共{num}0块，每人平摊，我发个群收款你们自己点一下",
    "刚才银行排队排了一个小时，就为了改个预留手机号，人太多了",
    "我钱包好像丢在出租车上了，已经去派出所登记了，身份证得补办，烦死了",
    "今天去银行网点签了房贷合同，客户经理说放款大概要两周，总算办完了",
    "我爸今天去社区办了老年卡，说以后坐公交免费了，高兴得很",
    "晚上家长会我去不了，你帮我去一下呗，七点在三楼教室",
    "今天单位体检，抽了四管血，饿得头晕，现在去吃早饭",
    "你那边下雪了吗？我们这里已经积了厚厚一层，孩子们在楼下堆雪人呢",
    "我跟你说，今天在地铁上碰到高中同学了，十几年没见，她一点没变，我们还约了下个月一起吃饭",
    "周末搬家，能来帮忙吗？请你吃火锅，东西不多，就是几个箱子和一个书柜",
    "刚刚跟我妈视频，她说家里院子里的柿子熟了，让我们过年回去摘",
    "这次去{city}玩了四天，吃得太好了，回来胖了三斤。第一天去了老街，第二天爬山，第三天下雨就在酒店躺着，最后一天逛了博物馆。下次有机会一起去，那边的小吃真的便宜又好吃，推荐你去尝尝那家开了三十年的馄饨店，老板人特别好",
    "跟你说个事，昨天晚上我家楼上漏水，把我家卫生间天花板泡了，我上楼敲门没人，后来找了物业，物业联系到房东，今天上午师傅来修好了，说是水管老化。房东说墙面的损失他来赔，让我拍几张照片发给他，估计下周找人来重新刷一下",
]
BENIGN_ZH["customer_service_real"] = [
    "您好，您的订单已经打包好了，今天下午会发出，物流信息可以在订单详情里查看",
    "亲，这款衣服是按标准尺码做的，您平时穿M码的话建议拍M码，收到不合适可以在订单页申请七天无理由退货",
    "您好，退款申请已经同意了，款项会按原支付方式退回，一般一到三个工作日到账，请留意",
    "亲，非常抱歉让您久等了，仓库那边缺货，预计{day}号补货后第一时间给您发出，如果不想等可以直接在订单页取消，系统会自动退款",
    "您好，这里是{brand}官方客服，您反馈的商品破损问题已经登记，麻烦您在售后页面上传一下破损照片，审核通过后给您补发或者退款",
    "您好，您这个月的话费比上月多了{num}元，是因为超出套餐的流量按标准收费了，您可以在营业厅APP里查看详单",
    "您好，您的宽带报修已受理，维修师傅会在今天下午两点到五点之间上门，上门前会先给您打电话",
    "亲，发票已经开好了，您在订单详情页点查看发票就能下载电子版",
    "您好，外卖少送了一份米饭，非常抱歉，已经在平台给您申请了部分退款，您在订单页面可以看到",
    "您好，您咨询的燃气费账单是按两个月抄表一次计算的，所以这期金额比较高，下期会少一些，具体可以在燃气公司公众号查看用量",
    "亲，这边看到快递已经到您所在城市了，明天应该就能派送，请保持电话畅通，有问题随时在这个对话框找我们",
    "您好，您的会员已经到期，不会自动续费，如需续费可以在APP的会员中心操作，不续费也不影响您正常使用基础功能",
    "您好，关于您反映的信用卡年费问题，本卡首年免年费，刷卡满六次可免次年年费，您可以在手机银行查看当前刷卡次数",
    "您好，电费账单已出，本期应缴{num}0元，可通过国家电网APP或者银行代扣缴纳，如已缴费请忽略",
    "亲，您的退货快递我们已经签收了，质检没问题，退款已经原路退回，请注意查收，感谢您的耐心",
    "您好，您好，这边是小区快递驿站，您有两个包裹到了，凭取件码来驿站取就行，晚上九点前都有人",
    "您好，您预约的家电清洗服务安排在周六上午，师傅会带齐工具，费用按平台标价在服务完成后在APP里支付即可",
    "您好，您购买的空调安装师傅已经派单，安装费用包含在商品价里，如果需要加长铜管，师傅会按平台公示的价格收取，您可以要求他出示收费标准",
]
BENIGN_ZH["work_coordination"] = [
    "收到，我下午把方案改好发群里",
    "明早九点例会改到十点了，会议室不变",
    "@所有人 本周五下午三点部门培训，请大家准时参加，不能来的提前跟我说一声",
    "报表我已经传到共享盘了，文件名带日期的那个是最新版",
    "{n}哥，客户说样品下周二到，到了我通知你去仓库看一下",
    "今天我外出拜访客户，有急事打我手机，邮件可能回得慢",
    "下周一{city}出差的车票订好了吗？我们坐八点那班高铁，酒店已经让行政订了",
    "这个需求我评估了一下，大概需要三天，周四能提测，有问题我再同步",
    "大家好，这个月的考勤表已经出来了，有异议的请在周三前找人事核对",
    "麻烦帮我看一下这个合同第五条，付款方式写的是对公转账分两期，跟我们之前谈的一致吗",
    "我这边打印机又卡纸了，行政那边谁能帮忙看一下",
    "年会节目报名截止到这周五，每个部门至少一个节目，有才艺的同事踊跃报名哈",
    "报销的发票要是公司抬头的，个人抬头的财务不收，大家贴票的时候注意一下",
    "新同事小{n}今天入职，坐在靠窗那个工位，大家多带带她",
    "今天的项目周会总结一下：第一，接口联调推迟到下周三；第二，测试环境明天上午维护，期间不能部署；第三，客户提的两个小需求放到下个版本。会议纪要我稍后发邮件，有遗漏的大家补充",
]
BENIGN_ZH["property_notice"] = [
    "【物业通知】本周六上午八点至十二点小区停水检修，请各位业主提前储水，给您带来不便敬请谅解",
    "各位邻居好，{num}号楼电梯明天上午维保，大概两个小时，请大家走楼梯或者用另一部电梯",
    "温馨提示：近期天气干燥，请大家注意用火用电安全，楼道内不要堆放杂物，电动车不要进楼充电",
    "物业提醒：本月物业费可以在物业服务中心前台缴纳，也可以在业主APP里缴纳，请勿通过其他渠道付款",
    "谁家的快递放在三楼楼道了？写着{n}女士，我帮你放门口了",
    "邻居们，明天小区组织义诊，在中心广场，量血压测血糖免费，老人可以去看看",
    "社区通知：下周二上午在社区活动室开展反诈宣传讲座，欢迎居民参加，现场发放小礼品",
    "请问哪位邻居捡到一串钥匙，上面挂着一个小熊挂件，我下午在小区花园附近丢的，谢谢",
    "{num}栋的业主注意，楼顶防水施工这周开始，施工期间可能有噪音，工期大概五天",
    "小区垃圾分类新规：厨余垃圾早上七点到九点、晚上六点到八点定时投放，其他时间投放点关闭，请大家配合",
    "物业服务中心通知：小区地下车库下周进行地面划线，周一至周三请将车辆停到地面临时车位，施工区域会拉警戒线，给大家带来的不便请谅解。如有疑问请到物业前台咨询，或者在业主群里找管家",
]
BENIGN_ZH["school_parents"] = [
    "各位家长好，明天学校开运动会，请孩子穿校服、白色运动鞋，自带水杯",
    "收到，谢谢老师",
    "老师好，我家孩子今天有点咳嗽，请假一天，作业我们在家完成",
    "请家长今晚督促孩子完成数学练习册第{num}页，明天检查",
    "家长会定在本周四晚上七点，地点是教学楼三楼本班教室，请每家至少来一位家长",
    "春游的费用按学校通知在学校缴费平台上交，不收现金，也不需要转给任何老师个人",
    "请问谁家孩子把我家孩子的水杯拿错了？蓝色的，上面有名字贴",
    "明天下午学校组织消防演练，放学时间推迟二十分钟，请接孩子的家长注意",
    "各位家长，本周班级值日表已经更新，请大家提醒孩子按时做值日",
    "老师，孩子的语文书落在教室了，明天早上我让他早点去拿",
    "下周起冬季作息，下午放学时间改为四点半，请家长准时接送，不要在校门口聚集",
    "寒假作业已经发到家长群的文件里了，包括语文、数学、英语三科，开学第一天收。另外提醒大家假期注意安全，不要到冰面上玩耍，外出注意交通安全，按时作息",
]
BENIGN_ZH["secondhand_onplatform"] = [
    "你好，这个还在吗？",
    "在的，九成新，没有划痕，可以在平台上直接拍",
    "能便宜点吗？{num}0行不行",
    "最低这个价了，包邮，你直接拍下我今天就发货",
    "可以同城面交吗？我也在{city}",
    "可以的，周末在地铁站面交，当面验货没问题再付款",
    "好的，我拍下了，麻烦尽快发货",
    "已发货，单号在订单里，收到确认一下哈",
    "收到了，东西不错，已经确认收货了，给你好评",
    "这个婴儿车用了多久？有没有坏的地方？发几张细节图看看",
    "书是正版的，里面有少量笔记，介意的话就不要拍了",
]
BENIGN_ZH["everyday_money_police"] = [
    "昨天钱包丢了，今天去派出所报了案，民警帮我查了监控，结果在公交车上找到了，真是太感谢了",
    "下午去银行柜台办了张借记卡，给孩子存压岁钱用的，柜员还提醒我不要把卡借给别人",
    "我们在{city}看中了一套房，下周去银行网点面签贷款，首付已经准备好了",
    "上个月找你借的{amt}，我今天发工资了，已经转你卡上了，谢谢你帮忙",
    "房贷提前还了一部分，去银行柜台办的，利息能省不少",
    "公司帮我们统一在银行办了工资卡，周五之前把身份证复印件交给人事就行",
    "我去派出所办了居住证，材料带齐了十分钟就办完了，比想象中快",
    "信用卡账单出来了，这个月花得有点多，下个月得省着点",
    "车被刮了，对方全责，交警已经出了事故认定书，保险公司说走正常理赔流程",
    "爸妈说想把定期存款转成国债，我陪他们去银行问了一下，柜台说可以直接办",
]

BENIGN_DIALOGS["everyday_chat"] = [
    [
        "A: 晚上吃什么",
        "B: 都行，你定",
        "A: 那去吃火锅吧，好久没吃了",
        "B: 好啊，我下班过去大概七点",
        "A: 我先去排号",
    ],
    ["A: 明天降温了", "B: 是吗，降多少", "A: 说是降十度，还有大风", "B: 那我把厚外套翻出来"],
    [
        "A: 孩子这次考试怎么样",
        "B: 数学九十多，语文差一点",
        "A: 已经很好了，别给太大压力",
        "B: 嗯，周末带他去科技馆玩一下",
    ],
    [
        "A: 五一去哪玩",
        "B: 想去{city}，但是听说人特别多",
        "A: 那就错峰，晚两天出发",
        "B: 行，我看看高铁票",
        "A: 酒店我来订",
    ],
    [
        "A: 上次吃饭你付的，我转你一半",
        "B: 不用不用，下次你请",
        "A: 那不行，已经转了，你收一下",
        "B: 好吧，那下次我选地方",
    ],
    [
        "A: 爸，体检报告出来了吗",
        "B: 出来了，血压有点高",
        "A: 那得少吃咸的，医生怎么说",
        "B: 让我每天测一下，下个月复查",
        "A: 好，下个月我陪你去",
    ],
    [
        "A: 你钱包找到了吗",
        "B: 找到了，有人捡到送到派出所了",
        "A: 太好了，里面东西都在吗",
        "B: 都在，我去派出所领回来了，还给民警送了面锦旗",
    ],
    [
        "A: 你们小区停电了吗",
        "B: 停了，物业说线路检修",
        "A: 几点能来电",
        "B: 通知说下午四点",
        "A: 冰箱里的东西不知道会不会坏",
    ],
]
BENIGN_DIALOGS["service_platform"] = [
    [
        "A: 你好，我买的鞋子尺码不合适，能换吗",
        "B: 您好，可以的，您在订单页面点申请售后，选择换货，填写需要的尺码",
        "A: 运费谁出",
        "B: 您有运费险，退回的运费会自动理赔到您的账户",
        "A: 好的，谢谢",
    ],
    [
        "A: 我这个月电话费怎么这么多",
        "B: 您好，我帮您查一下，您本月有一笔国际漫游费用",
        "A: 哦对，我上个月出国了",
        "B: 是的，详单可以在营业厅APP里查看，下次出国可以提前办理漫游套餐，会便宜一些",
    ],
    [
        "A: 外卖超时一个小时了还没到",
        "B: 非常抱歉，骑手那边遇到了交通管制，我这边给您申请了超时赔付，金额会退到您的支付账户",
        "A: 那餐还送吗",
        "B: 骑手已经在路上了，预计十分钟到，您如果不想要了也可以在订单页取消",
    ],
    [
        "A: 您好，我想问一下我的退款到哪一步了",
        "B: 您好，商家已经同意退款，正在原路退回到您的银行卡，银行处理一般一到三个工作日",
        "A: 需要我提供什么吗",
        "B: 不需要，您不用做任何操作，到账后会有短信通知",
    ],
    [
        "A: 你好，房贷的还款日能改吗",
        "B: 您好，还款日变更需要本人带身份证到贷款的网点柜台办理",
        "A: 周末营业吗",
        "B: 我们网点周六上午营业，您可以提前在手机银行上预约",
    ],
]
BENIGN_DIALOGS["work"] += [
    [
        "A: 下午的会几点开始",
        "B: 两点半，三楼小会议室",
        "A: 需要我准备什么",
        "B: 把上周的数据带上就行",
        "A: 好的",
    ],
    [
        "A: 客户那边说合同要改一下付款节点",
        "B: 改成什么样",
        "A: 首付款从百分之三十降到百分之二十",
        "B: 我跟财务和法务确认一下再回复他们",
    ],
]
BENIGN_DIALOGS["neighbours_school"] = [
    [
        "A: 老师，孩子今天忘带作业本了",
        "B: 没关系，明天带来就行",
        "A: 好的，谢谢老师",
    ],
    [
        "A: 楼上装修太吵了",
        "B: 物业说只能周一到周五白天施工",
        "A: 今天是周六啊",
        "B: 那我去跟物业反映一下",
    ],
    [
        "A: 请问明天的亲子活动要带什么",
        "B: 带一个水杯和一条毛巾，穿运动鞋",
        "A: 家长需要一起参加吗",
        "B: 需要一位家长陪同，九点在学校操场集合",
    ],
]
BENIGN_DIALOGS["meeting_asr"] += [
    [
        "A: 好，我们开始吧，今天主要对一下国庆活动的安排",
        "B: 场地已经定好了，在一楼大厅",
        "C: 物料这周三能到",
        "A: 人员分工呢",
        "B: 签到两个人，引导三个人，我下午发名单",
        "A: 行，那就这样，散会",
    ],
    [
        "A: 上周的客户回访做完了吗",
        "B: 做了八成，还有十几家没联系上",
        "A: 主要反馈是什么",
        "B: 大部分满意，有几家说售后响应慢",
        "C: 售后那边下个月会加两个人",
        "A: 好，回访表格整理一下发我",
    ],
    [
        "A: 今天讨论一下员工食堂的事",
        "B: 大家反映菜品太少，价格有点贵",
        "C: 我们可以换一家供应商，我这边有两家的报价",
        "A: 先试用一个月，看看大家的反馈",
    ],
    [
        "A: 关于下个月的团建，大家有什么想法",
        "B: 可以去郊区爬山，然后晚上烧烤",
        "C: 有同事带孩子，要不选个能带家属的",
        "A: 那就选个农家乐吧，预算按每人两百",
        "B: 我去问几家价格",
    ],
]
# Longer texts (300+ characters): family-group updates, notices and transcripts.
BENIGN_ZH["everyday_chat"] += [
    "跟大家汇报一下这次回老家的情况。爸妈身体都挺好的，我爸血压稳定了，每天早上去公园打太极，"
    "我妈在社区老年大学报了个书法班，写得有模有样。家里的老房子漏雨的地方找师傅修好了，花了两千多，"
    "我出的，你们不用管。院子里的菜长得特别好，我妈让我带了一大袋青菜和两罐辣椒酱回来，"
    "周末你们来我家拿一点。另外爸妈说过年想全家一起吃个团圆饭，我初步定在腊月二十八，"
    "地点就在老家镇上那家饭店，大家看看时间行不行，有变化提前说。小侄子今年要考初中了，"
    "大家见面的时候别老问成绩，孩子压力已经挺大的了。",
    "今天终于把驾照考下来了！科目二挂过一次，这次总算一把过。早上六点就去考场排队，"
    "前面好几个人倒车入库压线，我紧张得手心全是汗，结果上车以后反而不紧张了，一路顺顺利利。"
    "科目三的考官人很好，还提醒我变道要提前打灯。下午拿到证的时候我差点哭出来，"
    "前前后后学了快半年，交了三千多的学费，总算没白花。下个月想借我爸的车先在小区里练练，"
    "等熟练了再上路，到时候周末可以开车带爸妈去郊区转转。你们谁有新手上路的经验，"
    "给我传授一下，特别是停车，我现在侧方停车还是不太熟。",
]
BENIGN_ZH["property_notice"] += [
    "【{city}幸福里小区业主委员会公告】各位业主：经业委会会议讨论，小区将于下月启动外墙清洗和"
    "部分路灯更换工程，费用从公共维修资金中列支，具体明细已在小区公告栏和物业前台公示，"
    "公示期七天，如有异议请在公示期内以书面形式向业委会提出。施工期间请业主关好窗户，"
    "看管好小孩，不要在施工区域停留。另外提醒大家，物业费、停车费只在物业服务中心或者业主APP缴纳，"
    "工作人员不会上门收取现金，也不会让大家转账到个人账户。感谢各位业主的理解和支持。",
]
BENIGN_DIALOGS["everyday_chat"] += [
    [
        "A: 我们下周去{city}的行程定了吗",
        "B: 差不多了，周五晚上出发，周日晚上回",
        "A: 住哪里",
        "B: 住在老城区那边，离景点近，走路就能到",
        "A: 第一天去哪",
        "B: 第一天上午去博物馆，要提前在官方小程序预约，下午逛老街，晚上去吃那家很有名的烤鱼",
        "A: 第二天呢",
        "B: 第二天去爬山，早上得早点起，不然太晒，下山以后找个地方泡脚",
        "A: 孩子能走得动吗",
        "B: 有缆车，走不动就坐缆车下来",
        "A: 行，那我准备点零食和药，防晒霜也带上",
        "B: 好，我把高铁票和酒店订单截图发群里，大家出发前看一下",
    ],
    [
        "A: 今天去银行办房贷面签了",
        "B: 顺利吗",
        "A: 挺顺利的，客户经理把合同一条一条讲了，利率、还款方式、提前还款的规定都说清楚了",
        "B: 选的等额本息还是等额本金",
        "A: 等额本息，每个月还款固定，好安排",
        "B: 什么时候放款",
        "A: 说是抵押登记办完以后一周左右，到时候银行会直接打到开发商的监管账户",
        "B: 那挺好，总算定下来了，搬家的时候叫上我帮忙",
        "A: 一定，到时候请你吃饭",
    ],
]
BENIGN_DIALOGS["meeting_asr"] += [
    [
        "A: 我们先回顾一下上个月的工作，客服中心的接通率是百分之九十二，比上月提高了三个点",
        "B: 主要是排班调整以后，高峰时段的人手够了",
        "C: 但是投诉量还是有点多，主要集中在物流慢和退款到账慢这两类",
        "A: 退款到账慢是什么原因",
        "C: 大部分是银行处理时间，我们这边当天就提交了，但是客户不理解",
        "B: 可以在话术里说清楚，退款原路返回，银行一般一到三个工作日",
        "A: 对，另外在退款页面也加一个进度提示，技术那边排个期",
        "C: 好，我会后提需求",
        "A: 下个月的目标是接通率到百分之九十五，投诉率降一个点，大家有没有问题",
        "B: 没问题",
    ],
]
BENIGN_ZH["school_parents"] += [
    "各位家长晚上好，我是三年级二班的班主任。下面说几件事：第一，下周一开始期中考试，考试科目和时间安排"
    "已经发在班级群文件里，请家长帮孩子合理安排复习，不要熬夜。第二，学校本学期的午餐费和校服费统一通过"
    "学校官方缴费平台缴纳，入口在学校公众号菜单里，班级群里任何人发的收款码都不要扫，老师不会私下收费。"
    "第三，最近流感比较多，孩子如果发烧咳嗽请在家休息，在群里或者给我打电话请假就行，病好了再返校。"
    "第四，下周五下午是家长开放日，欢迎家长来学校听课，来之前请在群里接龙报名，方便门卫登记。"
    "第五，请提醒孩子每天带好红领巾和水杯，放学后按时回家，不要在路上逗留。谢谢各位家长的配合，"
    "有什么问题可以随时私信我。",
]
BENIGN_ZH["everyday_money_police"] += [
    "说一下昨天的事，给大家提个醒，也报个平安。昨天下午我在商场逛街，出来的时候发现包拉链开了，"
    "钱包不见了，里面有身份证、两张银行卡和几百块现金。我第一时间在手机银行上把两张卡都挂失了，"
    "然后去了附近的派出所报案，民警很耐心，帮我做了登记，还调了商场门口的监控。今天上午派出所打电话"
    "说有个环卫阿姨在垃圾桶旁边捡到了钱包，交到了派出所，现金没了，证件和卡都在。我下午去领回来了，"
    "还专门去感谢了那位阿姨。银行卡虽然找回来了，但是挂失了只能去网点补办新卡，明天请半天假去银行柜台办一下。"
    "大家出门在外看好自己的包，身份证最好别跟钱包放在一起。",
]
BENIGN_DIALOGS["meeting_asr"] += [
    [
        "A: 各位好，今天是业主代表和物业的季度沟通会，先请物业说一下上季度的工作情况",
        "B: 好的，上季度我们主要完成了三件事，一是地下车库的照明改造，二是小区监控的升级，三是绿化补种",
        "C: 监控升级以后，车库那边的死角还有吗",
        "B: 基本覆盖了，还剩两个出入口在调整角度，下周能弄完",
        "A: 业主反映比较多的是快递乱放的问题",
        "B: 我们已经跟驿站沟通了，快递统一放到驿站，不再放在单元门口",
        "C: 还有就是电动车充电，好多人还是拉线到楼道里",
        "B: 新的充电桩已经装了六十个，扫码就能充，按平台标价收费，我们会加强巡查",
        "A: 物业费收缴率怎么样",
        "B: 百分之八十九，我们只在前台和业主APP收费，不上门收现金",
        "A: 好，那下个季度的重点就是充电和快递，散会以后把会议纪要贴到公告栏",
    ],
]
