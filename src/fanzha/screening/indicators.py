"""Indicator extraction: phones, URLs/domains, e-mail, messenger handles, bank cards, QR hints, crypto.

Runs on the normalised text (digits and Latin already folded) and maps spans back to the original.
Nothing here touches the network: tldextract reads only its bundled public-suffix snapshot.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import phonenumbers
import tldextract

from fanzha.screening import _tables
from fanzha.screening.normalize import CJK, Normalized


@dataclass(frozen=True, slots=True)
class Indicator:
    """A concrete, list-matchable artefact found in a text.

    Attributes:
        type: ``phone``, ``url``, ``domain``, ``email``, ``wechat``, ``qq``, ``telegram``,
            ``whatsapp``, ``bank_card``, ``payment_qr``, ``crypto_address`` or ``contact_diversion``.
        value: The normalised value (E.164 for phones, lower-case host for domains, digits only for
            bank cards).
        span: ``[start, end)`` in the original text.
        flags: Risk notes, e.g. ``virtual_operator``, ``iot``, ``punycode``, ``lookalike:taobao``.
    """

    type: str
    value: str
    span: tuple[int, int]
    flags: tuple[str, ...] = ()


_extract_lock = threading.Lock()
_extractor: tldextract.TLDExtract | None = None


def _tld() -> tldextract.TLDExtract:
    global _extractor
    if _extractor is None:
        with _extract_lock:
            if _extractor is None:
                # suffix_list_urls=() and cache_dir=None: bundled snapshot only, never the network.
                _extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    return _extractor


# CN number ranges worth a flag (MIIT allocations): MVNO "虚商" segments, data-only/IoT segments.
_VIRTUAL_PREFIXES = ("170", "171", "162", "165", "167", "192")
_DATA_IOT_PREFIXES = ("140", "141", "144", "145", "146", "147", "148", "149")

# Patterns start with a character class and check the character before it with a lookbehind
# placed after that class, which lets the regex engine skip ahead to candidate positions.
_PHONE_CANDIDATE = re.compile(r"(?:\+(?<![0-9a-z]\+)[0-9]|[0-9](?<![0-9a-z][0-9]))(?:[ \-]?[0-9]){6,15}(?![0-9a-z])")
_IOT_NUMBER = re.compile(r"1(?<![0-9]1)064[0-9]{9}(?![0-9])")
_CARD_CANDIDATE = re.compile(r"[0-9](?<![0-9][0-9])[0-9]{3}(?:[ \-]?[0-9]{4}){3}(?:[ \-]?[0-9]{1,3})?(?![0-9])")
_EMAIL = re.compile(r"[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}")
_URL = re.compile(r"(?:https?://|www\.)[^\s" + CJK + r"<>\"'，。、！？“”]+")
_HOST = re.compile(
    r"[a-z0-9](?<![a-z0-9@.\-][a-z0-9])(?:[a-z0-9\-]{0,61}[a-z0-9])?\."
    r"(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)*(?:xn--[a-z0-9\-]+|[a-z]{2,24})"
    r"(?::[0-9]{2,5})?(?:/[^\s" + CJK + r"<>\"'，。、！？“”]*)?(?![a-z0-9\-])"
)
_IP_URL = re.compile(r"(?:https?://)?(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?::[0-9]{2,5})?/\S*")

_WECHAT = re.compile(
    r"(?:微信|威信|薇信|徽信|维信|v信|vx|wx|weixin|wechat|绿泡泡|加v|加微|\+v|\+微|薇|威)"
    r" ?(?:了|是|号|号是|id)? ?[:：]? ?([a-z][a-z0-9_\-]{3,19}|1[3-9][0-9]{9}|[0-9]{5,12})(?![a-z0-9_])"
)
_QQ = re.compile(r"(?:qq|扣扣|抠抠|企鹅|扣) ?(?:号|群)? ?[:：]? ?([1-9][0-9]{4,11})(?![0-9])")
_TELEGRAM = re.compile(
    r"(?:telegram|tg|飞机|纸飞机|电报|t\.me/) ?(?:号|id)? ?[:：]? ?@?([a-z][a-z0-9_]{3,31})(?![a-z0-9_])"
)
_WHATSAPP = re.compile(r"(?:whatsapp|whats app|wa\.me/|瓦次普) ?[:：]? ?(\+?[0-9][0-9 \-]{6,16}[0-9])")
_QR_HINT = re.compile(
    r"收款码|付款码|收钱码|二维码|扫码|扫一扫|头像扫码|小程序码|qr ?code|scan (?:the|this) (?:qr|code)"
)
_CRYPTO = re.compile(
    r"(?<![A-Za-z0-9])(?:T[1-9A-HJ-NP-Za-km-z]{33}|0x[0-9a-fA-F]{40}|bc1[a-z0-9]{25,59})(?![A-Za-z0-9])"
)

# Substring pre-checks: every match of a pattern contains one of its strings (a substring test
# costs far less than a scan by a pattern that starts with an alternation).
_HANDLES: tuple[tuple[re.Pattern[str], str, tuple[str, ...]], ...] = (
    (_WECHAT, "wechat", ("微", "威", "薇", "徽", "维", "v", "w", "绿泡泡")),
    (_QQ, "qq", ("qq", "扣", "抠", "企鹅")),
    (_TELEGRAM, "telegram", ("telegram", "tg", "飞机", "电报", "t.me/")),
    (_WHATSAPP, "whatsapp", ("whats", "wa.me/", "瓦次普")),
)
_QR_NEEDS = ("码", "扫", "qr", "scan ")
_CRYPTO_NEEDS = ("T", "0x", "bc1")  # the prefixes of _CRYPTO_HINT


def _has_any(text: str, needles: tuple[str, ...]) -> bool:
    for needle in needles:
        if needle in text:
            return True
    return False


_DIGIT = re.compile(r"[0-9]")
# Every card, IoT and phone candidate contains seven digits in a row (separators allowed).
_DIGIT_RUN = re.compile(r"[0-9](?:[ \-]?[0-9]){6}")
_HOST_HINT = re.compile(r"[a-z0-9]\.[a-z]")
_IP_HINT = re.compile(r"[0-9]\.[0-9]{1,3}\.[0-9]")
# Every address _CRYPTO accepts holds one of its prefixes followed by at least 25 more alphanumerics;
# starting with the prefixes lets the regex engine skip to them.
_CRYPTO_HINT = re.compile(r"(?:T|0x|bc1)[A-Za-z0-9]{25}")
_PLAIN_CN_MOBILE = re.compile(r"1[3-9][0-9]{9}")

_RISKY_TLDS = frozenset(
    "top xyz vip shop icu cc buzz club work live online site fun tk ml ga cf gq cyou sbs cfd bond".split()
)
_SHORTENERS = frozenset(
    "t.cn dwz.cn url.cn suo.im bit.ly tinyurl.com goo.gl is.gd t.co ow.ly rb.gy cutt.ly s.id".split()
)
# Brand -> its registered domains; a host that mentions the brand elsewhere is a lookalike.
_BRANDS: dict[str, tuple[str, ...]] = {
    "taobao": ("taobao.com", "tb.cn"),
    "tmall": ("tmall.com",),
    "alipay": ("alipay.com",),
    "meituan": ("meituan.com",),
    "jd": ("jd.com",),
    "pinduoduo": ("pinduoduo.com", "yangkeduo.com"),
    "icbc": ("icbc.com.cn",),
    "ccb": ("ccb.com",),
    "cmbchina": ("cmbchina.com",),
    "95588": ("icbc.com.cn",),
    "12306": ("12306.cn",),
    "12123": ("122.gov.cn",),
    "etc": (),
    "paypal": ("paypal.com",),
    "apple": ("apple.com", "icloud.com"),
    "amazon": ("amazon.com", "amazon.co.uk"),
    "netflix": ("netflix.com",),
    "microsoft": ("microsoft.com", "live.com"),
    "dhl": ("dhl.com",),
    "fedex": ("fedex.com",),
    "usps": ("usps.com",),
    "royalmail": ("royalmail.com",),
    "hmrc": ("gov.uk",),
    "wechat": ("wechat.com", "qq.com"),
}
# Any brand the lookalike loop below would consider (a cheap pre-check for the common no-brand host).
_BRAND_HINT = re.compile("|".join(re.escape(b) for b in _BRANDS if len(b) >= 3))
_FILE_EXTS = frozenset("jpg jpeg png gif txt doc docx pdf xls xlsx apk exe zip rar mp3 mp4 html htm php".split())


def luhn_ok(digits: str) -> bool:
    """Luhn checksum of a digit string."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


_LEET_TABLE = str.maketrans(_tables.LEET)


def _fold_leet(label: str) -> str:
    return label.translate(_LEET_TABLE)


def _domain_flags(host: str, registered: str, suffix: str) -> list[str]:
    flags: list[str] = []
    if "xn--" in host:
        flags.append("punycode")
    last = suffix.rsplit(".", 1)[-1]
    if last in _RISKY_TLDS:
        flags.append("risky_tld")
    if registered in _SHORTENERS or host in _SHORTENERS:
        flags.append("shortener")
    folded = _fold_leet(host)
    if _BRAND_HINT.search(folded) is None:
        return flags
    for brand, official in _BRANDS.items():
        if len(brand) < 3 or brand not in folded:
            continue
        if registered in official or any(host.endswith("." + o) or host == o for o in official):
            continue
        flags.append(f"lookalike:{brand}")
    return flags


def _phone_flags(national: str) -> list[str]:
    if len(national) == 11 and national.startswith(_VIRTUAL_PREFIXES):
        return ["virtual_operator"]
    if len(national) == 11 and national.startswith(_DATA_IOT_PREFIXES):
        return ["data_or_iot"]
    return []


RawIndicator = tuple[str, str, int, int, tuple[str, ...]]
"""``(type, value, start, end, flags)``; the span is in the normalised text, or ``(-s - 1, -e - 1)``
for a span ``[s, e)`` taken directly on the original text."""


def extract(norm: Normalized) -> list[Indicator]:
    """Extract every indicator from a normalised text, with spans in the original."""
    return [to_indicator(norm, raw) for raw in extract_raw(norm.text, norm.original)]


def to_indicator(norm: Normalized, raw: RawIndicator) -> Indicator:
    """The :class:`Indicator` of a raw extraction, its span mapped to the original text."""
    kind, value, a, b, flags = raw
    span = (-a - 1, -b - 1) if a < 0 else norm.to_original(a, b)
    return Indicator(kind, value, span, flags)


def extract_raw(text: str, original: str) -> list[RawIndicator]:
    """Indicators of the normalised ``text`` (of ``original``), de-duplicated, in text order.

    Spans stay in normalised coordinates: mapping them to the original is the expensive part and
    only a caller that shows spans needs it (:func:`to_indicator`).
    """
    found: list[tuple[str, str, int, int, tuple[str, ...]]] = []
    taken: list[tuple[int, int]] = []

    def overlaps(a: int, b: int) -> bool:
        for x, y in taken:  # a plain loop: cheaper than any() over a generator for few spans
            if a < y and x < b:
                return True
        return False

    def add(kind: str, value: str, a: int, b: int, flags: tuple[str, ...] = (), claim: bool = True) -> None:
        found.append((kind, value, a, b, flags))
        if claim:
            taken.append((a, b))

    # Cheap pre-checks skip the extractors whose patterns cannot match: every text pays for the
    # checks, few pay for the full patterns (and phonenumbers/tldextract).
    has_digit = _DIGIT.search(text) is not None
    if "@" in text:
        for m in _EMAIL.finditer(text):
            add("email", m.group(0), *m.span())
    if ("." in text or "/" in text) and ("http" in text or "www." in text):
        for m in _URL.finditer(text):
            if not overlaps(*m.span()):
                url = m.group(0).rstrip(".,;:!?)]")
                a = m.start()
                add("url", url, a, a + len(url))
                _add_domain(url, a, a + len(url), add)
    if "." in text and _HOST_HINT.search(text):
        for m in _HOST.finditer(text):
            if overlaps(*m.span()):
                continue
            host = m.group(0).split("/", 1)[0].split(":", 1)[0]
            if host.rsplit(".", 1)[-1] in _FILE_EXTS:
                continue
            domain, suffix = _split_host(host)
            if (not suffix or not domain) and "xn--" not in host:
                continue
            _add_domain(m.group(0), m.start(), m.end(), add)
    if has_digit and "/" in text and _IP_HINT.search(text):
        for m in _IP_URL.finditer(text):
            if not overlaps(*m.span()):
                add("url", m.group(0), *m.span(), ("ip_literal",))
    for pattern, kind, hints in _HANDLES:
        if not _has_any(text, hints):
            continue
        for m in pattern.finditer(text):
            value = m.group(1)
            a, b = m.span(1)
            if overlaps(a, b):
                continue
            if kind == "whatsapp":
                value = _e164(value) or re.sub(r"[ \-]", "", value)
            add(kind, value, a, b)
    if has_digit and _DIGIT_RUN.search(text):
        for m in _CARD_CANDIDATE.finditer(text):
            digits = re.sub(r"[ \-]", "", m.group(0))
            if 16 <= len(digits) <= 19 and luhn_ok(digits) and not overlaps(*m.span()):
                add("bank_card", digits, *m.span())
        for m in _IOT_NUMBER.finditer(text) if "1064" in text else ():
            if not overlaps(*m.span()):
                add("phone", m.group(0), *m.span(), ("iot",))
        for m in _PHONE_CANDIDATE.finditer(text):
            if overlaps(*m.span()):
                continue
            raw = m.group(0)
            e164 = _e164(raw)
            if e164 is None:
                continue
            national = e164[3:] if e164.startswith("+86") else ""
            add("phone", e164, *m.span(), tuple(_phone_flags(national)))
    for m in _QR_HINT.finditer(text) if _has_any(text, _QR_NEEDS) else ():
        add("payment_qr", m.group(0), *m.span(), claim=False)
    for m in _CRYPTO.finditer(original) if _has_any(original, _CRYPTO_NEEDS) and _CRYPTO_HINT.search(original) else ():
        found.append(("crypto_address", m.group(0), -m.start() - 1, -m.end() - 1, ()))

    out: list[RawIndicator] = []
    seen: set[tuple[str, str]] = set()
    for item in sorted(found, key=lambda f: (abs(f[2]), f[0])):
        if (item[0], item[1]) in seen:
            continue
        seen.add((item[0], item[1]))
        out.append(item)
    return out


def _e164(raw: str) -> str | None:
    digits = re.sub(r"[ \-]", "", raw)
    if not raw.startswith("+") and _PLAIN_CN_MOBILE.fullmatch(digits) and "00" not in digits:
        # What phonenumbers returns for these (checked against it in the tests), without the cost
        # of parsing; "00" is left to phonenumbers because it may read it as a dialling prefix.
        return "+86" + digits
    return _e164_slow(digits, raw.startswith("+"))


@lru_cache(maxsize=4096)
def _e164_slow(digits: str, international: bool) -> str | None:
    if not international and not (len(digits) == 11 and digits.startswith("1")):
        # Only bare CN mobiles and explicit international numbers; other digit runs are too
        # ambiguous (prices, order numbers, dates) to call phones.
        if not (digits.startswith(("0", "400", "800", "95", "96")) and 7 <= len(digits) <= 12):
            return None
    try:
        parsed = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    if not phonenumbers.is_valid_number(parsed) and not (len(digits) == 11 and digits[:3].isdigit()):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _add_domain(url: str, a: int, b: int, add: _AddFn) -> None:
    host = re.sub(r"^[a-z]+://", "", url).split("/", 1)[0].split(":", 1)[0].split("@")[-1]
    domain, suffix = _split_host(host)
    if (not suffix or not domain) and "xn--" not in host:
        return
    registered = f"{domain}.{suffix}" if suffix else host
    add("domain", host, a, b, tuple(_domain_flags(host, registered, suffix)), claim=True)


@lru_cache(maxsize=8192)
def _split_host(host: str) -> tuple[str, str]:
    """``(domain, suffix)`` of a host name by the bundled public-suffix list (cached per host)."""
    ext = _tld()(host)
    return ext.domain, ext.suffix


class _AddFn(Protocol):
    def __call__(
        self, kind: str, value: str, a: int, b: int, flags: tuple[str, ...] = (), claim: bool = True
    ) -> None: ...
