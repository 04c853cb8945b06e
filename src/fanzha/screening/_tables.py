"""Character tables used by normalisation (evasion catalogue, domain-requirements §7.1).

Kept in code rather than a data file because every entry is one character and the table is read
once per process into a translation map.
"""

from __future__ import annotations

# 火星文 / rare shape-alike variants that ordinary text never uses (§7.1 items 3-4). Real characters
# that double as homophones (玛, 咔, 薇, 徽) are NOT folded here: the pinyin streams catch them without
# damaging names and words that legitimately use them.
VARIANTS: dict[str, str] = {
    "鉲": "卡",
    "荍": "收",
    "炪": "出",
    "呺": "号",
    "犸": "码",
    "帹": "接",
    "掱": "手",
    "僟": "机",
    "嫼": "黑",
    "洺": "名",
    "蓅": "流",
    "囗": "口",
    "賬": "账",
    "壹": "一",
    "贰": "二",
    "貳": "二",
    "叁": "三",
    "捌": "八",
    "玖": "九",
    "柒": "七",
}

# Emoji and symbols fraudsters substitute for syllables or words (§7.1 item 12). Values are fixed
# points of the whole character map (plain lower-case ASCII or simplified Hanzi).
EMOJI: dict[str, str] = {
    "💳": "卡",
    "➕": "加",
    "📞": "微",
    "☎": "电话",
    "📱": "手机",
    "📲": "手机",
    "💴": "钱",
    "💵": "钱",
    "💰": "钱",
    "💸": "钱",
    "🐧": "qq",
    "✈": "飞机",
    "🛩": "飞机",
    "🛫": "飞机",
    "🟢": "绿泡泡",
    "🏦": "银行",
    "🐴": "码",
    "🐎": "码",
    "🍠": "小红书",
    "🧧": "红包",
    "🆔": "id",
    "🆗": "ok",
    "🆓": "free",
    "🆕": "new",
    "🆙": "up!",
    "🆚": "vs",
    "🆖": "ng",
    "🆒": "cool",
}

# Decorative symbols inserted as noise (§7.1 items 10-11); they carry no meaning for screening.
DECORATIVE: frozenset[str] = frozenset(
    "❤♥♡💕💖💗💓💞💘★☆⭐🌟✨💫🔥💯✅✔☑🗹❗❕‼⚡👉👈👆👇🎉🎊🌸🌹🍀💎🔴🔵⚪⚫◆◇■□▲△▼▽●○◎•♦♠♣"
)

# Digits written as dingbats, negative circled and styled forms that NFKC leaves alone (§7.1 item 7).
_EXTRA_DIGITS: dict[str, str] = {}
for _i, _base in enumerate(range(0x2776, 0x2780)):  # ❶..❿
    _EXTRA_DIGITS[chr(_base)] = str(_i + 1)
for _i, _base in enumerate(range(0x2780, 0x278A)):  # ➀..➉
    _EXTRA_DIGITS[chr(_base)] = str(_i + 1)
for _i, _base in enumerate(range(0x278A, 0x2794)):  # ➊..➓
    _EXTRA_DIGITS[chr(_base)] = str(_i + 1)
for _i, _base in enumerate(range(0x24EB, 0x24F5)):  # ⓫..⓴
    _EXTRA_DIGITS[chr(_base)] = str(_i + 11)
_EXTRA_DIGITS["⓿"] = "0"
_EXTRA_DIGITS["⓪"] = "0"

_EXTRA_LETTERS: dict[str, str] = {}
for _i in range(26):
    _letter = chr(ord("a") + _i)
    _EXTRA_LETTERS[chr(0x1F150 + _i)] = _letter  # negative circled 🅐
    _EXTRA_LETTERS[chr(0x1F170 + _i)] = _letter  # negative squared 🅰
    _EXTRA_LETTERS[chr(0x1F1E6 + _i)] = _letter  # regional indicator 🇦

STYLED: dict[str, str] = {**_EXTRA_DIGITS, **_EXTRA_LETTERS}

# Cross-script homoglyphs (§7.1 item 9): Cyrillic and Greek letters that look like Latin ones.
HOMOGLYPHS: dict[str, str] = {
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "і": "i",
    "ј": "j",
    "ѕ": "s",
    "ԁ": "d",
    "ԛ": "q",
    "ԝ": "w",
    "α": "a",
    "β": "b",
    "ε": "e",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "ω": "w",
    "ɑ": "a",
    "ɡ": "g",
    "ı": "i",
}

# Radical splits 拆字 (§7.1 item 5): two components written for one character. Only pairs that do
# not occur as ordinary words are listed (上下 for 卡 is too common to fold).
RADICAL_PAIRS: dict[str, str] = {
    "钅艮": "银",
    "石马": "码",
    "马扁": "骗",
    "亻言": "信",
    "贝长": "账",
    "丩攵": "收",
    "口丂": "号",
    "钅戋": "钱",
    "亻尔": "你",
    "讠青": "请",
    "讠吾": "语",
    "氵去": "法",
}

# Chinese numerals, including phone-number readings (幺 1, 洞 0, 拐 7, 两 2), and financial forms.
NUMERALS: dict[str, str] = {
    "零": "0",
    "〇": "0",
    "洞": "0",
    "一": "1",
    "幺": "1",
    "二": "2",
    "两": "2",
    "三": "3",
    "四": "4",
    "肆": "4",
    "五": "5",
    "伍": "5",
    "六": "6",
    "陆": "6",
    "七": "7",
    "拐": "7",
    "八": "8",
    "九": "9",
}

# Leetspeak digits inside Latin words (§7.1 item 9 typosquats, "fr33", "p4ypal").
LEET: dict[str, str] = {"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t"}

# Polyphones whose reading in fraud vocabulary differs from pypinyin's single-character default.
PINYIN_OVERRIDES: dict[str, str] = {
    "行": "hang",
    "还": "huan",
    "长": "chang",
    "重": "zhong",
    "调": "tiao",
    "传": "chuan",
    "转": "zhuan",
    "大": "da",
    "发": "fa",
    "便": "bian",
    "乐": "le",
    "参": "can",
    "省": "sheng",
    "藏": "cang",
    "什": "shen",
    "号": "hao",
}
