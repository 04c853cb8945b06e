"""The instance's sharing identity, local withdrawals going out as revocations, and rules on hashed lists."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from fanzha.intel.indicators import SharingIdentity
from fanzha.intel.stix import hashed_list_hashers, salted_hash
from fanzha.runtime import Runtime
from fanzha.settings import Settings
from tests.fixtures.app import auth, event
from tests.fixtures.intel import SALTS, sharing_settings
from tests.fixtures.stack import Stack

Partner = tuple[TestClient, str, Runtime]
IDENTITY_ID = "identity--8d9f4c2e-6b1a-4f3e-9c7d-2a5b8e1f0c34"


@pytest.fixture
def settings(tmp_path: Any, stack: Stack) -> Settings:
    return sharing_settings(
        tmp_path / "data",
        stack.database_url,
        sharing_identity_name="示例平台 Example Platform",
        sharing_identity_id=IDENTITY_ID,
    )


def _add(client: TestClient, key: str, list_name: str, value: str) -> None:
    response = client.post(f"/v1/lists/{list_name}/entries", json={"value": value}, headers=auth(key))
    assert response.status_code == 201, response.text


def _values(client: TestClient, key: str, list_name: str) -> set[str]:
    response = client.get(f"/v1/lists/{list_name}/entries", headers=auth(key))
    assert response.status_code == 200, response.text
    return {item["value"] for item in response.json()["items"]}


def _stix(client: TestClient, key: str, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/intel/stix", params=params, headers=auth(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_exports_are_created_by_the_configured_identity(client: TestClient, admin_key: str) -> None:
    _add(client, admin_key, "blocked_domains", "evil.example")
    bundle = _stix(client, admin_key, lists="blocked_domains")
    [identity] = [obj for obj in bundle["objects"] if obj["type"] == "identity"]
    assert identity["id"] == IDENTITY_ID
    assert identity["name"] == "示例平台 Example Platform"
    [indicator] = [obj for obj in bundle["objects"] if obj["type"] == "indicator"]
    assert indicator["created_by_ref"] == IDENTITY_ID
    # The same entry keeps its indicator id from one export to the next (a later revocation names it).
    again = _stix(client, admin_key, lists="blocked_domains")
    assert [obj["id"] for obj in again["objects"] if obj["type"] == "indicator"] == [indicator["id"]]
    misp = client.get("/v1/intel/misp", params={"lists": "blocked_domains"}, headers=auth(admin_key)).json()
    assert misp["Event"]["Orgc"] == {
        "name": "示例平台 Example Platform",
        "uuid": IDENTITY_ID.removeprefix("identity--"),
    }
    assert misp["Event"]["Attribute"][0]["uuid"] == indicator["id"].removeprefix("indicator--")


def test_identities_differ_per_instance_and_bad_ids_are_refused() -> None:
    ours = SharingIdentity.of("fanzha", None)
    theirs = SharingIdentity.of("partner platform", None)
    assert ours.identity_id != theirs.identity_id
    assert ours == SharingIdentity.of("fanzha", None)
    pattern = "[domain-name:value = 'evil.example']"
    assert ours.indicator_uuid(pattern) != theirs.indicator_uuid(pattern)
    with pytest.raises(ValidationError):
        Settings(sharing_identity_id="identity--not-a-uuid")


def test_entries_withdrawn_here_go_out_revoked_and_partners_withdraw_them(
    client: TestClient, admin_key: str, partner: Partner
) -> None:
    _add(client, admin_key, "blocked_domains", "evil.example")
    _add(client, admin_key, "blocked_domains", "mistake.example")
    first = _stix(client, admin_key, lists="blocked_domains", tlp="green")
    other, other_key, _runtime = partner
    assert other.post("/v1/intel/stix", content=json.dumps(first), headers=auth(other_key)).status_code == 200
    assert _values(other, other_key, "intel_domain") == {"evil.example", "mistake.example"}

    # A false positive here: the entry is removed, and the next export says so.
    removed = client.delete(
        "/v1/lists/blocked_domains/entries/mistake.example",
        params={"reason": "false positive: a legitimate shop"},
        headers=auth(admin_key),
    )
    assert removed.status_code == 204
    second = _stix(client, admin_key, lists="blocked_domains", tlp="amber")
    indicators = {obj["pattern"]: obj for obj in second["objects"] if obj["type"] == "indicator"}
    revoked = indicators["[domain-name:value = 'mistake.example']"]
    assert revoked["revoked"] is True
    assert "false positive" in revoked["description"]
    original = next(obj for obj in first["objects"] if "mistake.example" in obj.get("pattern", ""))
    assert revoked["id"] == original["id"]
    assert not indicators["[domain-name:value = 'evil.example']"].get("revoked", False)

    result = other.post("/v1/intel/stix", content=json.dumps(second), headers=auth(other_key))
    assert result.status_code == 200, result.text
    assert result.json()["withdrawn"] == 1
    assert _values(other, other_key, "intel_domain") == {"evil.example"}

    # Outside the window, or when put back on the list, nothing is withdrawn.
    none = _stix(client, admin_key, lists="blocked_domains", withdrawn_days=0)
    assert not any(obj.get("revoked") for obj in none["objects"])
    _add(client, admin_key, "blocked_domains", "mistake.example")
    back = _stix(client, admin_key, lists="blocked_domains")
    assert not any(obj.get("revoked") for obj in back["objects"])


def test_withdrawals_go_out_as_deleted_misp_attributes(client: TestClient, admin_key: str, partner: Partner) -> None:
    _add(client, admin_key, "blocked_phones", "13800138000")
    first = client.get(
        "/v1/intel/misp", params={"lists": "blocked_phones", "group": "partner-a"}, headers=auth(admin_key)
    )
    other, other_key, _runtime = partner
    assert other.post("/v1/intel/misp", content=first.content, headers=auth(other_key)).status_code == 200
    assert client.delete("/v1/lists/blocked_phones/entries/13800138000", headers=auth(admin_key)).status_code == 204
    second = client.get(
        "/v1/intel/misp", params={"lists": "blocked_phones", "group": "partner-a"}, headers=auth(admin_key)
    )
    [attribute] = second.json()["Event"]["Attribute"]
    assert attribute["deleted"] is True
    assert attribute["value"] == salted_hash(SALTS["partner-a"], "+8613800138000")
    result = other.post("/v1/intel/misp", content=second.content, headers=auth(other_key))
    assert result.json()["withdrawn"] == 1
    assert _values(other, other_key, "intel_phone_sha256_partner_a") == set()


HASHED_RULES = """pack: hashed
rules:
  - id: partner_listed_phone
    events: [account.login]
    condition: >-
      has(event.context) && has(event.context.phone)
      && in_list("intel_phone_sha256_partner_a", event.context.phone)
    outcome: block
    score: 100
"""


def test_rules_match_a_partners_hashed_list_with_the_clear_value(
    client: TestClient, admin_key: str, partner: Partner
) -> None:
    other, other_key, _runtime = partner
    _add(other, other_key, "blocked_phones", "13800138000")
    shared = other.get(
        "/v1/intel/stix", params={"lists": "blocked_phones", "group": "partner-a"}, headers=auth(other_key)
    )
    assert "13800138000" not in shared.text
    imported = client.post("/v1/intel/stix", content=shared.content, headers=auth(admin_key))
    assert imported.json()["imported"] == {"intel_phone_sha256_partner_a": 1}
    pushed = client.post("/v1/rules", json={"source": HASHED_RULES}, headers=auth(admin_key))
    assert pushed.status_code == 201, pushed.text

    def decide(event_id: str, phone: str) -> str:
        body = event(event_id, "account.login", context={"phone": phone})
        response = client.post("/v1/decisions", json=body, headers=auth(admin_key))
        assert response.status_code == 200, response.text
        decision: str = response.json()["decision"]
        return decision

    assert decide("login-1", "+86 138 0013 8000") == "block"
    assert decide("login-2", "13900139000") == "allow"
    assert decide("login-3", "not a phone") == "allow"


def test_hashing_is_per_group_and_cached() -> None:
    hashers = hashed_list_hashers({"partner-a": "salt-a", "partner-b": "salt-b"})
    assert hashers("blocked_phones") is None
    assert hashers("intel_phone_sha256_partner_c") is None
    phone_a = hashers("intel_phone_sha256_partner_a")
    phone_b = hashers("intel_phone_sha256_partner_b")
    assert phone_a is not None
    assert phone_b is not None
    assert phone_a("13800138000") == salted_hash("salt-a", "+8613800138000")
    assert phone_a("13800138000") != phone_b("13800138000")
    assert phone_a("no phone") is None
    account = hashers("intel_account_sha256_partner_a")
    assert account is not None
    assert account("acct-42") == salted_hash("salt-a", "acct-42")
    assert phone_a.cache_info().hits >= 1  # type: ignore[attr-defined]


def test_two_sharing_groups_that_name_the_same_lists_with_different_salts_are_refused() -> None:
    from fanzha.intel.stix import hashed_list_hashers
    from fanzha.kit.errors import InvalidInput

    with pytest.raises(InvalidInput, match="name the same lists"):
        hashed_list_hashers({"partner-a": "salt one", "Partner.A": "salt two"})
    same = hashed_list_hashers({"partner-a": "one salt", "partner_a": "one salt"})
    assert same("intel_phone_sha256_partner_a") is not None
