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
    ],
    "T05_fake_loan": [
        "无抵押无担保，低息贷款秒到账，黑户也可贷，{contact}",
        "您申请的{amt}贷款已审批通过，因银行卡号填错资金被冻结，需交解冻费",
        "放款前需要验证还款能力，请先转{amt}刷流水，放款后一起退还",
        "急用钱找我，网贷口子下款快，不看征信，当天放款",
        "代办大额信用卡，包下卡，额度五万起，先交会员费{amt}",
        "您的贷款账户存在异常，需缴纳保证金后才能放款，{contact}",
        "不查征信不押车，手机号实名满半年即可申请，三分钟到账",
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
    ],
    "T08_impersonate_police": [
        "这里是{city}市公安局，你的身份证涉嫌一起洗钱案，请配合调查",
        "你的银行卡涉嫌非法集资，需要把资金转到安全账户接受资金清查",
        "我们会给你发通缉令，案件保密，不许告诉家人，不要接其他电话",
        "请下载{app}进行视频笔录，找一个单独的房间，不要让别人听到",
        "检察院通知：您有一张传票未签收，涉案金额巨大，按9查询",
        "你的医保卡在外地被冒用，涉嫌骗保，现在转接{city}警官处理",
        "为证明你的清白，需将名下所有存款转入国家监管账户核查",
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
        out.append(Sample(text, 0, None, f"news:{typ}:{bi}", "message"))
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
    ],
    "sms_code": [
        "专业接码，秒收验证码，支持各大平台注册",
        "提供各地手机号短信代收服务，注册验证一次{num}元，批量更便宜",
        "接码平台招代理，卡商合作，长期有码",
        "代收验证码，新号过验证，一条{num}元",
        "收码长期，猫池卡池对接，GOIP设备出租",
    ],
    "bank_account": [
        "高价收银行卡，一类卡优先，带U盾，{contact}",
        "收对公户，五件套齐全，价格好商量",
        "出四件套，银行卡+U盾+手机卡+身份证复印件",
        "长期收一类户，支付宝微信账户也收，日结",
        "出租银行卡走账，每天{amt}，安全无风险",
    ],
    "internet_account": [
        "高价回收闲置微信号、老号、满月号，{contact}",
        "出售实名QQ号、抖音号，成品号批发，号商合作",
        "收vx号，白号也收，一个{num}元秒结",
        "出微信老号，实名认证过，可发朋友圈可加人",
    ],
    "realname_bypass": [
        "代过人脸，代实名认证，账号解封，价格美丽",
        "各平台实名认证代做，人脸验证代刷，不成功不收费",
        "好友辅助验证，帮忙解封，给红包",
        "人脸识别代过，活体检测包过，{contact}",
    ],
    "money_mule": [
        "招跑分，日入千元，躺赚，需要押金",
        "出租收款码，抢单返佣，码商招募",
        "代收代付走账，USDT承兑，量大价优",
        "跑分平台招人，有微信支付宝就能做，{contact}",
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
    "second_hand": [
        "二手iPad出售，自用九成新，价格可小刀，同城面交",
        "闲置婴儿车转让，{amt}元，{city}自提",
        "公交卡转让，里面还有余额{num}元",
    ],
}

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
}

_s2t = opencc.OpenCC("s2t")


def evade(text: str, rng: random.Random) -> str:
    """Apply one or two evasion tactics from §7.1."""
    for _ in range(rng.choice([1, 1, 2])):
        tactic = rng.randrange(7)
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
        else:
            text = text.replace("，", rng.choice([" ", "，", "~", "！"]))
    return text


def _compose(body: str, rng: random.Random, zh: bool) -> str:
    if not zh:
        return fill(body, rng)
    return fill(rng.choice(OPENERS_ZH) + body + rng.choice(CLOSERS_ZH), rng)


def message_samples(seed: int = 20261129, per_body: int = 14) -> list[Sample]:
    """Fraud and benign messages, zh and en, and news that quotes scam scripts."""
    rng = random.Random(seed)
    out: list[Sample] = news_samples()
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
