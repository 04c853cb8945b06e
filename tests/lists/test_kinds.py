from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.provisional import domains, urls

from fanzha.kit.errors import InvalidInput
from fanzha.lists.kinds import (
    InvalidListValue,
    ListKind,
    domain_candidates,
    domain_of,
    normalize_value,
)


def test_list_kinds_are_the_documented_ones() -> None:
    assert [kind.value for kind in ListKind] == [
        "phone",
        "domain",
        "url",
        "ip",
        "device",
        "account",
        "payment_account",
        "email",
        "keyword",
    ]
    assert ListKind("payment_account") is ListKind.payment_account


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+86 138 0013 8000", "+8613800138000"),
        ("13800138000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("0086 138-0013-8000", "+8613800138000"),
        (" (010) 1234 5678 ", "+861012345678"),
        ("１３８００１３８０００", "+8613800138000"),
        ("+1 650 253 0000", "+16502530000"),
        ("+8613800138000", "+8613800138000"),
    ],
)
def test_phone_numbers_become_e164(raw: str, expected: str) -> None:
    assert normalize_value(ListKind.phone, raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["123", "", "   ", "1380013800", "13800138000abc", "+86 138 0013 8000 ext. 12", "+86-138-0013-800O", "call me"],
)
def test_invalid_phone_numbers_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidListValue, match="not a valid phone number"):
        normalize_value(ListKind.phone, raw)


def test_the_error_names_the_value_and_is_an_input_error() -> None:
    with pytest.raises(InvalidListValue) as caught:
        normalize_value(ListKind.phone, "123")
    assert str(caught.value) == "not a valid phone number: '123'"
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.status_code == 422


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(InvalidListValue) as caught:
        normalize_value(ListKind.account, "x" * 1000)
    assert len(str(caught.value)) < 150
    assert "longer than 256 characters" in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Evil.COM", "evil.com"),
        ("evil.com.", "evil.com"),
        ("  pay.evil.com ", "pay.evil.com"),
        ("Bücher.DE", "xn--bcher-kva.de"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("例子。测试", "xn--fsqu00a.xn--0zwm56d"),
        ("ＥＸＡＭＰＬＥ.com", "example.com"),
        ("my_host.evil.com", "my_host.evil.com"),
        ("localhost", "localhost"),
    ],
)
def test_domains_are_lower_case_punycode(raw: str, expected: str) -> None:
    assert normalize_value(ListKind.domain, raw) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "empty"),
        ("evil .com", "whitespace"),
        ("evil\x00.com", "control"),
        ("-evil.com", "invalid label"),
        ("evil-.com", "invalid label"),
        ("ev!l.com", "invalid label"),
        ("a..com", "empty label"),
        (".evil.com", "empty label"),
        ("a" * 64 + ".com", "invalid label"),
        (".".join(["a" * 60] * 5), "longer than 253"),
        ("1.2.3.4", "looks like an IP address"),
        ("xn--zz.com", "invalid punycode"),
        ("http://evil.com/", "invalid label"),
    ],
)
def test_invalid_domains_are_rejected(raw: str, problem: str) -> None:
    with pytest.raises(InvalidListValue, match="not a valid domain name") as caught:
        normalize_value(ListKind.domain, raw)
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://Evil.COM:443/Pay?Token=AB#frag", "https://evil.com/Pay?Token=AB"),
        ("http://evil.com", "http://evil.com/"),
        ("http://evil.com:80/a", "http://evil.com/a"),
        ("http://evil.com:8080/a", "http://evil.com:8080/a"),
        ("https://evil.com:80/", "https://evil.com:80/"),
        ("http://user:Secret@Evil.com/", "http://user:Secret@evil.com/"),
        ("http://Bücher.de/x", "http://xn--bcher-kva.de/x"),
        ("http://[2001:DB8::1]:443/", "http://[2001:db8::1]:443/"),
        ("https://[::ffff:1.2.3.4]/", "https://1.2.3.4/"),
        ("ftp://files.evil.com:21/a.zip", "ftp://files.evil.com/a.zip"),
    ],
)
def test_urls_are_canonicalised(raw: str, expected: str) -> None:
    assert normalize_value(ListKind.url, raw) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "empty"),
        ("evil.com/pay", "needs a scheme and a host"),
        ("https://", "needs a scheme and a host"),
        ("http://evil .com/", "whitespace"),
        ("http://evil.com:99999/", "Port out of range"),
        ("http://[::1/", "Invalid IPv6 URL"),
        ("http://-evil.com/", "invalid label"),
    ],
)
def test_invalid_urls_are_rejected(raw: str, problem: str) -> None:
    with pytest.raises(InvalidListValue, match="not a valid URL") as caught:
        normalize_value(ListKind.url, raw)
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" 10.0.0.1 ", "10.0.0.1"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("::ffff:10.0.0.1", "10.0.0.1"),
        ("::1", "::1"),
    ],
)
def test_ip_addresses_take_the_canonical_form(raw: str, expected: str) -> None:
    assert normalize_value(ListKind.ip, raw) == expected


@pytest.mark.parametrize(("raw", "problem"), [("010.0.0.1", ""), ("10.0.0.0/8", "network"), ("evil.com", "")])
def test_invalid_ip_addresses_are_rejected(raw: str, problem: str) -> None:
    with pytest.raises(InvalidListValue, match="not a valid IP address") as caught:
        normalize_value(ListKind.ip, raw)
    assert problem in str(caught.value)


def test_email_keeps_the_local_part_and_lower_cases_the_domain() -> None:
    assert normalize_value(ListKind.email, " John.Doe@Example.COM ") == "John.Doe@example.com"
    assert normalize_value(ListKind.email, "x@Bücher.de") == "x@xn--bcher-kva.de"


@pytest.mark.parametrize("raw", ["", "no-at-sign", "@evil.com", "a@", "a@b@evil.com", "a b@evil.com", "a@-evil.com"])
def test_invalid_emails_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidListValue, match="not a valid email address"):
        normalize_value(ListKind.email, raw)


@pytest.mark.parametrize("kind", [ListKind.device, ListKind.account, ListKind.payment_account])
def test_identifiers_are_stripped_and_checked(kind: ListKind) -> None:
    assert normalize_value(kind, "  Acc-001 备用 ") == "Acc-001 备用"
    assert normalize_value(kind, "x" * 256) == "x" * 256
    for bad, problem in [
        ("   ", "empty"),
        ("x" * 257, "longer than 256"),
        ("a\x07b", "control"),
        ("a\x85b", "control"),
    ]:
        with pytest.raises(InvalidListValue, match=problem):
            normalize_value(kind, bad)


def test_keywords_are_nfkc_case_folded() -> None:
    assert normalize_value(ListKind.keyword, "  ＦＵＬＬ Width Straße ") == "full width strasse"
    assert normalize_value(ListKind.keyword, "刷单返利") == "刷单返利"
    assert normalize_value(ListKind.keyword, "\u3000ＶＩＰ\u3000") == "vip"
    with pytest.raises(InvalidListValue, match="empty"):
        normalize_value(ListKind.keyword, "\u3000 ")


def test_non_text_values_are_rejected() -> None:
    with pytest.raises(InvalidListValue, match="not int"):
        normalize_value(ListKind.account, 12345)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://Pay.Evil.com:8443/x?y#z", "pay.evil.com"),
        ("evil.com/login", "evil.com"),
        ("evil.com:8080", "evil.com"),
        ("http://user@Bücher.de/", "xn--bcher-kva.de"),
        ("http://1.2.3.4/", None),
        ("http://[::1]/", None),
        ("mailto:a@evil.com", None),
        ("javascript:alert(1)", None),
        ("http://[::1/", None),
        ("http://-bad-.com/", None),
        ("", None),
    ],
)
def test_domain_of(url: str, expected: str | None) -> None:
    assert domain_of(url) == expected


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("a.b.evil.com", ["a.b.evil.com", "b.evil.com", "evil.com"]),
        ("Evil.COM.", ["evil.com"]),
        ("x.bar.co.uk", ["x.bar.co.uk", "bar.co.uk"]),
        ("co.uk", ["co.uk"]),
        ("localhost", ["localhost"]),
        ("a.b.corp", ["a.b.corp", "b.corp"]),
        ("pay.例子.中国", ["pay.xn--fsqu00a.xn--fiqs8s", "xn--fsqu00a.xn--fiqs8s"]),
    ],
)
def test_domain_candidates_walk_up_to_the_registrable_domain(domain: str, expected: list[str]) -> None:
    assert domain_candidates(domain) == expected


def test_a_parent_list_entry_matches_a_subdomain() -> None:
    listed = {normalize_value(ListKind.domain, "Evil.com")}
    host = domain_of("https://a.b.EVIL.com/pay")
    assert host is not None
    assert any(candidate in listed for candidate in domain_candidates(host))
    other = domain_of("https://notevil.com/")
    assert other is not None
    assert not any(candidate in listed for candidate in domain_candidates(other))


def test_domain_candidates_reject_invalid_domains() -> None:
    with pytest.raises(InvalidListValue):
        domain_candidates("a b.com")


@given(st.sampled_from(list(ListKind)), st.text(max_size=40))
def test_normalising_is_idempotent_on_any_text(kind: ListKind, raw: str) -> None:
    try:
        once = normalize_value(kind, raw)
    except InvalidListValue:
        return
    assert normalize_value(kind, once) == once


_separator = st.sampled_from(["", " ", "-"])


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), _separator, st.sampled_from(["", "+86", "0086", "+86 "]))
def test_mobile_numbers_in_any_spelling_agree(digits: str, separator: str, prefix: str) -> None:
    spelled = prefix + separator.join([digits[:3], digits[3:7], digits[7:]])
    try:
        expected = normalize_value(ListKind.phone, digits)
    except InvalidListValue:
        return  # not every 1xx prefix is allocated
    assert normalize_value(ListKind.phone, spelled) == expected == "+86" + digits


@given(domains(max_length=253), st.data())
def test_generated_domains_normalise_case_insensitively(domain: str, data: st.DataObject) -> None:
    flips = data.draw(st.lists(st.booleans(), min_size=len(domain), max_size=len(domain)))
    mixed = "".join(c.upper() if flip else c for c, flip in zip(domain, flips, strict=True))
    normalized = normalize_value(ListKind.domain, mixed)
    assert normalized == domain.lower()
    assert normalize_value(ListKind.domain, normalized) == normalized
    assert domain_candidates(normalized)[0] == normalized


@given(urls())
def test_generated_urls_normalise_idempotently(url: str) -> None:
    normalized = normalize_value(ListKind.url, url)
    assert normalize_value(ListKind.url, normalized) == normalized
    assert "#" not in normalized
