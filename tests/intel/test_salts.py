from __future__ import annotations

import pytest
from pydantic import ValidationError

from fanzha.intel.stix import parse_pattern, pattern_for
from fanzha.lists.kinds import ListKind
from fanzha.settings import load_settings


def test_sharing_salts_read_a_json_object_and_stay_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FANZHA_SHARING_SALTS", '{"partner-a": "salt-a", "partner-b": "salt-b"}')
    settings = load_settings()
    assert {group: salt.get_secret_value() for group, salt in settings.sharing_salts.items()} == {
        "partner-a": "salt-a",
        "partner-b": "salt-b",
    }
    assert "salt-a" not in repr(settings)


def test_sharing_salts_must_be_an_object(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FANZHA_SHARING_SALTS", '["salt"]')
    with pytest.raises(ValidationError):
        load_settings()


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (ListKind.url, "https://evil.com/it's\\x"),
        (ListKind.ip, "2001:db8::1"),
        (ListKind.keyword, "刷单返利"),
        (ListKind.payment_account, "6222 0000"),
    ],
)
def test_patterns_round_trip(kind: ListKind, value: str) -> None:
    parsed = parse_pattern(pattern_for(kind, value))
    assert parsed is not None
    assert (parsed.kind, parsed.value, parsed.hashed) == (kind, value, False)


def test_unsupported_patterns_are_not_mapped() -> None:
    assert parse_pattern("[file:hashes.'SHA-256' = '" + "a" * 64 + "']") is None
    assert parse_pattern("[domain-name:value = 'a.com' OR domain-name:value = 'b.com']") is None
    assert parse_pattern("[x-fanzha-domain:hashes.'SHA-256' = 'zz']") is None
