"""The kinds of indicator list and the one canonical spelling of each kind's values.

A value is normalised once when it is written to a list and again, with the same function, when an event
asks whether it is listed; both sides must agree byte for byte because the membership index compares
hashes of the normalised text. Every function here is pure and safe to call from many threads.
"""

from __future__ import annotations

import ipaddress
import re
import threading
import unicodedata
from collections.abc import Callable
from enum import StrEnum
from urllib.parse import SplitResult, urlsplit, urlunsplit

import idna
import phonenumbers
import tldextract

from fanzha.kit.errors import InvalidInput

__all__ = [
    "MAX_IDENTIFIER_LENGTH",
    "InvalidListValue",
    "ListKind",
    "domain_candidates",
    "domain_of",
    "normalize_value",
]

MAX_IDENTIFIER_LENGTH = 256
"""Longest device id, account, payment account or keyword accepted, in characters after normalisation."""

DEFAULT_PHONE_REGION = "CN"

_MAX_DOMAIN_LENGTH = 253
_MAX_EMAIL_LENGTH = 254
_MAX_EMAIL_LOCAL_LENGTH = 64
_SHOWN_VALUE_LENGTH = 80

# Cc (C0, DEL, C1) and lone surrogates; the latter cannot be encoded as UTF-8 and so cannot be hashed.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_WHITESPACE = re.compile(r"\s")
# \d is Unicode-aware on purpose: phonenumbers folds full-width and other decimal digits to ASCII. Letters
# are refused because phonenumbers would otherwise read them as keypad digits ("abc" -> "222").
_PHONE_TEXT = re.compile(r"[\d\s+\-().]+")
# Letters, digits and hyphens (RFC 1123), plus underscores: DNS carries them and fraud hosts use them.
_DOMAIN_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
# A scheme without "//" (mailto:, tel:, javascript:) has no host; "evil.com:8080" is a host and port.
_OPAQUE_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?![0-9])")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}


class ListKind(StrEnum):
    """What the values of a list are; decides how they are validated and normalised."""

    phone = "phone"
    domain = "domain"
    url = "url"
    ip = "ip"
    device = "device"
    account = "account"
    payment_account = "payment_account"
    email = "email"
    keyword = "keyword"


MAX_VALUE_LENGTH = 2048
"""The longest value a list entry stores (``list_entries.value``)."""


class InvalidListValue(InvalidInput, ValueError):
    """A value cannot be put on (or looked up in) a list of the given kind; the message says why."""


def normalize_value(kind: ListKind, value: str) -> str:
    """Validate ``value`` as a ``kind`` value and return its canonical spelling.

    - phone: E.164 (``+8613800138000``); national numbers are read in region CN, ``00`` is the
      international prefix; the number must be valid for its region.
    - domain: lower case, internationalised labels as punycode (``xn--...``), no trailing dot.
    - url: scheme and host in lower case (host as for domain, or a canonical IP address), default
      port and fragment dropped, an empty http(s) path written ``/``; user info, path and query kept as
      given (no percent-encoding normalisation).
    - ip: :mod:`ipaddress`'s canonical form; an IPv4-mapped IPv6 address becomes the IPv4 address.
    - email: local part kept as given (it is case-sensitive), domain normalised as for domain.
    - device, account, payment_account: surrounding whitespace stripped.
    - keyword: NFKC and case folded, surrounding whitespace stripped.

    Normalising a normalised value returns it unchanged.

    Raises:
        InvalidListValue: the value is not a valid ``kind`` value.
    """
    if not isinstance(value, str):
        raise InvalidListValue(
            f"list values are text, not {type(value).__name__}", zh=f"名单值必须是文本，而不是 {type(value).__name__}"
        )
    normalized = _NORMALIZERS[kind](value)
    if len(normalized) > MAX_VALUE_LENGTH:
        # Normalising can lengthen a value (a URL's "/" before "?", punycode), past what is stored.
        raise InvalidListValue(
            f"the value is longer than {MAX_VALUE_LENGTH} characters once normalised",
            zh=f"值规范化后超过 {MAX_VALUE_LENGTH} 个字符",
        )
    return normalized


def domain_of(url: str) -> str | None:
    """The normalised domain name a URL points at, or ``None`` when it names no valid domain.

    A missing scheme is tolerated (``evil.com/login``, ``evil.com:8080``); a URL whose host is an IP
    address, or that has no host at all (``mailto:a@b.com``), has no domain.
    """
    text = url.strip()
    if "://" not in text:
        if _OPAQUE_SCHEME.match(text):
            return None
        text = "//" + text
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    if not host or _is_ip_literal(host):
        return None
    try:
        return _normalize_domain(host)
    except InvalidListValue:
        return None


def domain_candidates(domain: str) -> list[str]:
    """The list entries that match ``domain``: itself, then each parent down to its registrable domain.

    ``a.b.evil.com`` gives ``["a.b.evil.com", "b.evil.com", "evil.com"]``, so a list entry
    ``evil.com`` matches every host under it. The walk stops at the registrable domain from the public
    suffix list (ICANN section, bundled snapshot, no network): ``x.bar.co.uk`` stops at ``bar.co.uk``
    and never offers ``co.uk``. A name under no known suffix stops at its last two labels; a public
    suffix itself (``co.uk``) or a single label gives just itself.

    Raises:
        InvalidListValue: ``domain`` is not a valid domain name.
    """
    normalized = _normalize_domain(domain)
    labels = normalized.split(".")
    suffix = _extractor()(normalized).suffix
    suffix_labels = len(suffix.split(".")) if suffix else 1
    # The registrable domain has one label more than its public suffix.
    shortest = min(len(labels), suffix_labels + 1)
    return [".".join(labels[start:]) for start in range(len(labels) - shortest + 1)]


_extractor_lock = threading.Lock()
_extractor_instance: tldextract.TLDExtract | None = None


def _extractor() -> tldextract.TLDExtract:
    # Built lazily because parsing the bundled suffix list takes tens of milliseconds; never fetched.
    global _extractor_instance
    if _extractor_instance is None:
        with _extractor_lock:
            if _extractor_instance is None:
                _extractor_instance = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    return _extractor_instance


def _show(value: str) -> str:
    if len(value) > _SHOWN_VALUE_LENGTH:
        value = value[: _SHOWN_VALUE_LENGTH - 3] + "..."
    return repr(value)


def _normalize_phone(value: str) -> str:
    text = value.strip()
    if not _PHONE_TEXT.fullmatch(text):
        raise InvalidListValue(f"not a valid phone number: {_show(value)}", zh=f"不是有效的电话号码：{_show(value)}")
    try:
        number = phonenumbers.parse(text, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidListValue(
            f"not a valid phone number: {_show(value)}", zh=f"不是有效的电话号码：{_show(value)}"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidListValue(f"not a valid phone number: {_show(value)}", zh=f"不是有效的电话号码：{_show(value)}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _normalize_domain(value: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidListValue("not a valid domain name: it is empty", zh="不是有效的域名：值为空")
    if _WHITESPACE.search(text) or _CONTROL.search(text):
        raise InvalidListValue(
            f"not a valid domain name: {_show(value)} contains whitespace or control characters",
            zh=f"不是有效的域名：{_show(value)} 含有空白或控制字符",
        )
    if text.isascii():
        text = text.lower()
    else:
        try:
            # UTS 46 mapping: case folding, full-width forms, ideographic full stops as label separators.
            text = idna.uts46_remap(text, std3_rules=False, transitional=False)
        except (idna.IDNAError, UnicodeError):
            raise InvalidListValue(
                f"not a valid domain name: {_show(value)}", zh=f"不是有效的域名：{_show(value)}"
            ) from None
    if text.endswith("."):
        text = text[:-1]
    labels = text.split(".")
    out: list[str] = []
    for label in labels:
        out.append(_normalize_label(label, value))
    result = ".".join(out)
    if len(result) > _MAX_DOMAIN_LENGTH:
        raise InvalidListValue(
            f"not a valid domain name: {_show(value)} is longer than 253 characters",
            zh=f"不是有效的域名：{_show(value)} 超过 253 个字符",
        )
    if out[-1].isdigit():
        raise InvalidListValue(
            f"not a valid domain name: {_show(value)} looks like an IP address (use an ip list)",
            zh=f"不是有效的域名：{_show(value)} 看起来是 IP 地址（请使用 ip 类型的名单）",
        )
    return result


def _normalize_label(label: str, value: str) -> str:
    if not label:
        raise InvalidListValue(
            f"not a valid domain name: {_show(value)} has an empty label",
            zh=f"不是有效的域名：{_show(value)} 含有空标签",
        )
    if label.isascii():
        if not _DOMAIN_LABEL.fullmatch(label):
            raise InvalidListValue(
                f"not a valid domain name: {_show(value)} has an invalid label {label!r}",
                zh=f"不是有效的域名：{_show(value)} 含有无效标签 {label!r}",
            )
        if label.startswith("xn--"):
            # Only check that the punycode decodes: IDNA 2008 would refuse some registered names
            # (emoji domains) that fraud feeds do carry in their punycode form.
            try:
                decoded = label[4:].encode("ascii").decode("punycode")
            except UnicodeError:
                decoded = ""
            if not decoded:
                raise InvalidListValue(
                    f"not a valid domain name: {_show(value)} has an invalid punycode label {label!r}",
                    zh=f"不是有效的域名：{_show(value)} 含有无效的 punycode 标签 {label!r}",
                )
        return label
    try:
        return idna.alabel(label).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise InvalidListValue(
            f"not a valid domain name: {_show(value)} has an invalid internationalised label {label!r}",
            zh=f"不是有效的域名：{_show(value)} 含有无效的国际化标签 {label!r}",
        ) from None


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _normalize_ip(value: str) -> str:
    text = value.strip()
    if "/" in text:
        raise InvalidListValue(
            f"not a valid IP address: {_show(value)} is a network; list single addresses",
            zh=f"不是有效的 IP 地址：{_show(value)} 是一个网段；请逐个列入单个地址",
        )
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise InvalidListValue(
            f"not a valid IP address: {_show(value)}", zh=f"不是有效的 IP 地址：{_show(value)}"
        ) from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def _normalize_url(value: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidListValue("not a valid URL: it is empty", zh="不是有效的网址：值为空")
    if _WHITESPACE.search(text) or _CONTROL.search(text):
        raise InvalidListValue(
            f"not a valid URL: {_show(value)} contains whitespace or control characters",
            zh=f"不是有效的网址：{_show(value)} 含有空白或控制字符",
        )
    try:
        parts = urlsplit(text)
        host = parts.hostname
        port = parts.port
    except ValueError as error:
        raise InvalidListValue(
            f"not a valid URL: {_show(value)} ({error})", zh=f"不是有效的网址：{_show(value)}（{error}）"
        ) from None
    scheme = parts.scheme.lower()
    if not scheme or not host:
        raise InvalidListValue(
            f"not a valid URL: {_show(value)} needs a scheme and a host, as in https://host/",
            zh=f"不是有效的网址：{_show(value)} 须包含协议和主机，例如 https://host/",
        )
    if _is_ip_literal(host):
        canonical = _normalize_ip(host)
        host_text = f"[{canonical}]" if ":" in canonical else canonical
    else:
        try:
            host_text = _normalize_domain(host)
        except InvalidListValue as error:
            raise InvalidListValue(
                f"not a valid URL: {_show(value)} ({error})",
                zh=f"不是有效的网址：{_show(value)}（{error.message_zh or error}）",
            ) from None
    netloc = host_text
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    userinfo, at, _hostport = parts.netloc.rpartition("@")
    if at:
        netloc = f"{userinfo}@{netloc}"
    path = parts.path
    if not path and scheme in ("http", "https"):
        path = "/"
    return urlunsplit(SplitResult(scheme, netloc, path, parts.query, ""))


def _normalize_email(value: str) -> str:
    text = value.strip()
    if _WHITESPACE.search(text) or _CONTROL.search(text):
        raise InvalidListValue(
            f"not a valid email address: {_show(value)} contains whitespace or control characters",
            zh=f"不是有效的邮箱地址：{_show(value)} 含有空白或控制字符",
        )
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or "@" in local:
        raise InvalidListValue(f"not a valid email address: {_show(value)}", zh=f"不是有效的邮箱地址：{_show(value)}")
    if len(local) > _MAX_EMAIL_LOCAL_LENGTH:
        raise InvalidListValue(
            f"not a valid email address: {_show(value)} has a local part over 64 characters",
            zh=f"不是有效的邮箱地址：{_show(value)} 的本地部分超过 64 个字符",
        )
    try:
        domain = _normalize_domain(domain)
    except InvalidListValue as error:
        raise InvalidListValue(
            f"not a valid email address: {_show(value)} ({error})",
            zh=f"不是有效的邮箱地址：{_show(value)}（{error.message_zh or error}）",
        ) from None
    result = f"{local}@{domain}"
    if len(result) > _MAX_EMAIL_LENGTH:
        raise InvalidListValue(
            f"not a valid email address: {_show(value)} is longer than 254 characters",
            zh=f"不是有效的邮箱地址：{_show(value)} 超过 254 个字符",
        )
    return result


_WHAT_ZH = {"device id": "设备号", "account": "账号", "payment account": "收款账户", "keyword": "关键词"}
"""Chinese for the kinds of identifier :func:`_check_identifier` names."""


def _identifier(what: str) -> Callable[[str], str]:
    def normalize(value: str) -> str:
        text = value.strip()
        _check_identifier(text, value, what)
        return text

    return normalize


def _check_identifier(text: str, value: str, what: str) -> None:
    if not text:
        raise InvalidListValue(f"not a valid {what}: it is empty", zh=f"不是有效的{_WHAT_ZH.get(what, what)}：值为空")
    if len(text) > MAX_IDENTIFIER_LENGTH:
        raise InvalidListValue(
            f"not a valid {what}: {_show(value)} is longer than 256 characters",
            zh=f"不是有效的{_WHAT_ZH.get(what, what)}：{_show(value)} 超过 256 个字符",
        )
    if _CONTROL.search(text):
        raise InvalidListValue(
            f"not a valid {what}: {_show(value)} contains control characters",
            zh=f"不是有效的{_WHAT_ZH.get(what, what)}：{_show(value)} 含有控制字符",
        )


def _normalize_keyword(value: str) -> str:
    # Case folding can leave text that is no longer NFKC (and NFKC can expose new whitespace at the
    # ends), so normalise again after folding; that makes the function idempotent.
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold()).strip()
    _check_identifier(text, value, "keyword")
    return text


_NORMALIZERS: dict[ListKind, Callable[[str], str]] = {
    ListKind.phone: _normalize_phone,
    ListKind.domain: _normalize_domain,
    ListKind.url: _normalize_url,
    ListKind.ip: _normalize_ip,
    ListKind.device: _identifier("device id"),
    ListKind.account: _identifier("account"),
    ListKind.payment_account: _identifier("payment account"),
    ListKind.email: _normalize_email,
    ListKind.keyword: _normalize_keyword,
}
