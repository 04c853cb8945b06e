"""STIX 2.1 indicator sharing, end to end through the API of two instances."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fanzha.auth.roles import Role
from fanzha.intel.service import matches_hashed
from fanzha.intel.stix import salted_hash
from fanzha.lists.kinds import ListKind
from fanzha.runtime import Runtime
from fanzha.settings import Settings
from tests.fixtures.app import auth
from tests.fixtures.intel import SALTS


@pytest.fixture
def settings(intel_settings: Settings) -> Settings:
    return intel_settings


def _add(client: TestClient, key: str, list_name: str, value: str, **extra: Any) -> None:
    response = client.post(f"/v1/lists/{list_name}/entries", json={"value": value, **extra}, headers=auth(key))
    assert response.status_code == 201, response.text


def _entries(client: TestClient, key: str, list_name: str) -> dict[str, dict[str, Any]]:
    response = client.get(f"/v1/lists/{list_name}/entries", headers=auth(key))
    assert response.status_code == 200, response.text
    return {item["value"]: item for item in response.json()["items"]}


def _import(client: TestClient, key: str, bundle: str | bytes) -> Any:
    return client.post("/v1/intel/stix", content=bundle, headers={**auth(key), "Content-Type": "application/stix+json"})


def test_an_exported_bundle_reimports_into_a_fresh_instance(
    client: TestClient, admin_key: str, partner: tuple[TestClient, str, Runtime]
) -> None:
    assert client.put("/v1/lists/fraud_emails", json={"kind": "email"}, headers=auth(admin_key)).status_code == 200
    _add(client, admin_key, "blocked_domains", "Evil.COM", expires_at="2099-01-01T00:00:00+00:00")
    _add(client, admin_key, "blocked_urls", "https://evil.com/it's")
    _add(client, admin_key, "blocked_ips", "203.0.113.7")
    _add(client, admin_key, "blocked_ips", "2001:db8::1")
    _add(client, admin_key, "fraud_emails", "scam@evil.com")
    _add(client, admin_key, "blocked_phones", "13800138000")
    response = client.get(
        "/v1/intel/stix",
        params={"lists": "blocked_domains,blocked_urls,blocked_ips,fraud_emails,blocked_phones", "tlp": "green"},
        headers=auth(admin_key),
    )
    assert response.status_code == 200, response.text
    bundle = response.json()
    indicators = [obj for obj in bundle["objects"] if obj["type"] == "indicator"]
    assert len(indicators) == 6
    patterns = {obj["pattern"] for obj in indicators}
    assert "[domain-name:value = 'evil.com']" in patterns
    assert "[ipv6-addr:value = '2001:db8::1']" in patterns
    assert "[x-fanzha-phone:value = '+8613800138000']" in patterns
    identity = next(obj for obj in bundle["objects"] if obj["type"] == "identity")
    domain = next(obj for obj in indicators if "domain-name" in obj["pattern"])
    assert domain["created_by_ref"] == identity["id"]
    assert domain["valid_until"] == "2099-01-01T00:00:00Z"
    assert domain["object_marking_refs"] == ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]

    other, other_key, _runtime = partner
    result = _import(other, other_key, response.content)
    assert result.status_code == 200, result.text
    assert result.json()["imported"] == {
        "intel_domain": 1,
        "intel_url": 1,
        "intel_ip": 2,
        "intel_email": 1,
        "intel_phone": 1,
    }
    domains = _entries(other, other_key, "intel_domain")
    assert set(domains) == {"evil.com"}
    assert domains["evil.com"]["source"] == "stix:fanzha; tlp:green"
    assert domains["evil.com"]["expires_at"].startswith("2099-01-01T00:00:00")
    assert set(_entries(other, other_key, "intel_url")) == {"https://evil.com/it's"}
    assert set(_entries(other, other_key, "intel_ip")) == {"203.0.113.7", "2001:db8::1"}
    assert set(_entries(other, other_key, "intel_phone")) == {"+8613800138000"}


def test_hashed_phones_match_after_import(
    client: TestClient, admin_key: str, partner: tuple[TestClient, str, Runtime]
) -> None:
    _add(client, admin_key, "blocked_phones", "13800138000")
    _add(client, admin_key, "blocked_accounts", "acct-42")
    response = client.get(
        "/v1/intel/stix",
        params={"lists": "blocked_phones,blocked_accounts", "group": "partner-a"},
        headers=auth(admin_key),
    )
    assert response.status_code == 200, response.text
    assert "13800138000" not in response.text
    assert "acct-42" not in response.text
    digest = salted_hash(SALTS["partner-a"], "+8613800138000")
    assert f"[x-fanzha-phone:hashes.'SHA-256' = '{digest}']" in response.text

    other, other_key, runtime = partner
    result = _import(other, other_key, response.content)
    assert result.status_code == 200, result.text
    assert result.json()["imported"] == {"intel_phone_sha256_partner_a": 1, "intel_account_sha256_partner_a": 1}
    book, now = runtime.lists, time.time()
    assert matches_hashed(book, kind=ListKind.phone, group="partner-a", value="+86 138 0013 8000", salts=SALTS, at=now)
    assert matches_hashed(book, kind=ListKind.account, group="partner-a", value="acct-42", salts=SALTS, at=now)
    assert not matches_hashed(book, kind=ListKind.phone, group="partner-a", value="13900139000", salts=SALTS, at=now)


def test_unknown_sharing_group_is_refused(client: TestClient, admin_key: str) -> None:
    response = client.get(
        "/v1/intel/stix", params={"lists": "blocked_phones", "group": "nobody"}, headers=auth(admin_key)
    )
    assert response.status_code == 422
    assert "nobody" in response.text


def test_a_revoked_indicator_withdraws_the_entry_its_source_shared(
    client: TestClient, admin_key: str, partner: tuple[TestClient, str, Runtime]
) -> None:
    _add(client, admin_key, "blocked_domains", "evil.com")
    _add(client, admin_key, "blocked_domains", "bad.example")
    exported = client.get("/v1/intel/stix", params={"lists": "blocked_domains"}, headers=auth(admin_key)).json()
    other, other_key, _runtime = partner
    assert _import(other, other_key, json.dumps(exported)).status_code == 200
    assert set(_entries(other, other_key, "intel_domain")) == {"evil.com", "bad.example"}

    # Another source revoking the same indicator changes nothing.
    stranger = json.loads(json.dumps(exported))
    for obj in stranger["objects"]:
        if obj["type"] == "identity":
            obj["name"] = "someone else"
        if obj["type"] == "indicator":
            obj["revoked"] = True
            obj["modified"] = "2099-01-01T00:00:00Z"
    result = _import(other, other_key, json.dumps(stranger))
    assert result.status_code == 200, result.text
    assert result.json()["withdrawn"] == 0

    revoked = json.loads(json.dumps(exported))
    for obj in revoked["objects"]:
        if obj["type"] == "indicator" and "evil.com" in obj["pattern"]:
            revoked["objects"].append({**obj, "revoked": True, "modified": "2099-01-01T00:00:00Z"})
            break
    result = _import(other, other_key, json.dumps(revoked))
    assert result.status_code == 200, result.text
    assert result.json()["withdrawn"] == 1
    assert set(_entries(other, other_key, "intel_domain")) == {"bad.example"}
    audit = other.get("/v1/audit", params={"action": "list.entry.remove"}, headers=auth(other_key))
    assert audit.status_code == 200
    assert "intel_domain:evil.com" in audit.text


def _bundle(*indicators: dict[str, Any]) -> str:
    return json.dumps(
        {"type": "bundle", "id": "bundle--6f1c8a2e-2b59-4f2e-9d53-0c3b1f0c9a11", "objects": list(indicators)}
    )


def _indicator(pattern: str, suffix: str) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--6f1c8a2e-2b59-4f2e-9d53-0c3b1f0c9a{suffix}",
        "created": "2026-01-01T00:00:00Z",
        "modified": "2026-01-01T00:00:00Z",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    }


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("{not json", "not a valid STIX 2.1 bundle"),
        (json.dumps({"type": "identity"}), "not a valid STIX 2.1 bundle"),
        (_bundle(_indicator("[domain-name:value = 'ok.example']", "01"), _indicator("[bad", "02")), "pattern"),
        (
            _bundle(
                _indicator("[domain-name:value = 'ok.example']", "01"),
                _indicator("[x-fanzha-phone:value = '123']", "02"),
            ),
            "not a valid phone number",
        ),
    ],
)
def test_a_malformed_bundle_is_refused_and_nothing_is_stored(
    client: TestClient, admin_key: str, body: str, problem: str
) -> None:
    response = _import(client, admin_key, body)
    assert response.status_code == 422, response.text
    assert problem in response.text
    names = {item["name"] for item in client.get("/v1/lists", headers=auth(admin_key)).json()}
    assert not any(name.startswith("intel_") for name in names)


def test_only_admin_and_analyst_share_indicators(
    client: TestClient, admin_key: str, make_key: Callable[[Role], str]
) -> None:
    _add(client, admin_key, "blocked_domains", "evil.com")
    analyst = make_key(Role.analyst)
    exported = client.get("/v1/intel/stix", params={"lists": "blocked_domains"}, headers=auth(analyst))
    assert exported.status_code == 200
    assert _import(client, analyst, exported.content).status_code == 200
    for role in (Role.api_client, Role.auditor, Role.police_liaison):
        key = make_key(role)
        assert client.get("/v1/intel/stix", params={"lists": "blocked_domains"}, headers=auth(key)).status_code == 403
        assert _import(client, key, exported.content).status_code == 403


def test_an_oversize_bundle_is_refused(client: TestClient, admin_key: str) -> None:
    from fanzha.intel.service import MAX_BUNDLE_BYTES

    response = _import(client, admin_key, b" " * (MAX_BUNDLE_BYTES + 1))
    assert response.status_code == 413
