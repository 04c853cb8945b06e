"""MISP events: export, re-import into a fresh instance, validation, provenance and withdrawal."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fanzha.auth.roles import Role
from fanzha.intel.stix import salted_hash
from fanzha.runtime import Runtime
from fanzha.settings import Settings
from tests.fixtures.app import auth
from tests.fixtures.intel import SALTS

Partner = tuple[TestClient, str, Runtime]


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


def _import(client: TestClient, key: str, document: str | bytes) -> Any:
    return client.post("/v1/intel/misp", content=document, headers={**auth(key), "Content-Type": "application/json"})


def _export(client: TestClient, key: str, **params: Any) -> Any:
    response = client.get("/v1/intel/misp", params=params, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


def _attribute(kind: str, value: str, **extra: Any) -> dict[str, Any]:
    return {"uuid": str(uuid.uuid4()), "type": kind, "category": "Network activity", "value": value, **extra}


def _event(*attributes: dict[str, Any], org: str = "CERT-X", tags: tuple[str, ...] = ("tlp:green",)) -> str:
    return json.dumps(
        {
            "Event": {
                "uuid": str(uuid.uuid4()),
                "info": "partner feed",
                "Orgc": {"name": org, "uuid": str(uuid.uuid4())},
                "Tag": [{"name": name} for name in tags],
                "Attribute": list(attributes),
            }
        }
    )


def test_an_exported_event_reimports_into_a_fresh_instance(
    client: TestClient, admin_key: str, partner: Partner
) -> None:
    _add(client, admin_key, "blocked_domains", "Evil.COM", expires_at="2099-01-01T00:00:00+00:00")
    _add(client, admin_key, "blocked_urls", "https://evil.com/pay")
    _add(client, admin_key, "blocked_ips", "203.0.113.7")
    _add(client, admin_key, "blocked_phones", "13800138000")
    _add(client, admin_key, "blocked_payment_accounts", "6222020000001234")
    _add(client, admin_key, "blocked_devices", "dev-77")
    lists = "blocked_domains,blocked_urls,blocked_ips,blocked_phones,blocked_payment_accounts,blocked_devices"
    event = _export(client, admin_key, lists=lists, tlp="green", confidence=80)["Event"]
    assert event["Orgc"]["name"] == "fanzha"
    assert event["Tag"] == [{"name": "tlp:green"}]
    assert event["distribution"] == "2"
    by_type = {(item["type"], item["value"]) for item in event["Attribute"]}
    assert {
        ("domain", "evil.com"),
        ("url", "https://evil.com/pay"),
        ("ip-dst", "203.0.113.7"),
        ("phone-number", "+8613800138000"),
        ("bank-account-nr", "6222020000001234"),
        ("text", "dev-77"),
    } == by_type
    domain = next(item for item in event["Attribute"] if item["type"] == "domain")
    tags = {tag["name"] for tag in domain["Tag"]}
    assert {'fanzha:kind="domain"', 'fanzha:confidence="80"', 'fanzha:valid-until="2099-01-01T00:00:00+00:00"'} <= tags
    assert domain["first_seen"] <= domain["last_seen"]
    assert not domain["deleted"]

    other, other_key, _runtime = partner
    result = _import(other, other_key, json.dumps({"Event": event}))
    assert result.status_code == 200, result.text
    assert result.json()["imported"] == {
        "intel_domain": 1,
        "intel_url": 1,
        "intel_ip": 1,
        "intel_phone": 1,
        "intel_payment_account": 1,
        "intel_device": 1,
    }
    domains = _entries(other, other_key, "intel_domain")
    assert domains["evil.com"]["source"] == "misp:fanzha; tlp:green"
    assert domains["evil.com"]["expires_at"].startswith("2099-01-01T00:00:00")
    assert "confidence 80" in domains["evil.com"]["reason"]
    assert set(_entries(other, other_key, "intel_phone")) == {"+8613800138000"}
    audit = other.get("/v1/audit", params={"action": "intel.misp.import"}, headers=auth(other_key))
    assert audit.status_code == 200
    assert "fanzha" in audit.text


def test_hashed_attributes_carry_the_group_and_match_after_import(
    client: TestClient, admin_key: str, partner: Partner
) -> None:
    _add(client, admin_key, "blocked_phones", "13800138000")
    response = client.get(
        "/v1/intel/misp", params={"lists": "blocked_phones", "group": "partner-a"}, headers=auth(admin_key)
    )
    assert response.status_code == 200
    assert "13800138000" not in response.text
    [attribute] = response.json()["Event"]["Attribute"]
    assert attribute["value"] == salted_hash(SALTS["partner-a"], "+8613800138000")
    assert {'fanzha:hashed="sha256"', 'fanzha:sharing-group="partner-a"'} <= {tag["name"] for tag in attribute["Tag"]}
    other, other_key, runtime = partner
    result = _import(other, other_key, response.content)
    assert result.status_code == 200, result.text
    assert result.json()["imported"] == {"intel_phone_sha256_partner_a": 1}
    assert runtime.lists.contains("intel_phone_sha256_partner_a", "+86 138-0013-8000", time.time())
    assert not runtime.lists.contains("intel_phone_sha256_partner_a", "13900139000", time.time())


def test_types_and_tags_of_other_tools_map_to_lists(client: TestClient, admin_key: str) -> None:
    document = {
        "response": [
            json.loads(
                _event(
                    _attribute("ip-src", "198.51.100.9"),
                    _attribute("hostname", "Login.Bad.Example"),
                    _attribute("prtn", "+44 20 7946 0958", Tag=[{"name": "tlp:red"}]),
                    _attribute("iban", "DE89370400440532013000"),
                    _attribute("text", "刷单返利", Tag=[{"name": 'fanzha:kind="keyword"'}]),
                    _attribute("md5", "d41d8cd98f00b204e9800998ecf8427e"),
                    _attribute("domain", "gone.example", Tag=[{"name": 'fanzha:valid-until="2020-01-01T00:00:00Z"'}]),
                )
            )
        ]
    }
    document["response"][0]["Event"]["Object"] = [
        {"name": "phone", "Attribute": [_attribute("phone-number", "13900139000")]}
    ]
    result = _import(client, admin_key, json.dumps(document))
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["imported"] == {
        "intel_ip": 1,
        "intel_domain": 1,
        "intel_phone": 2,
        "intel_payment_account": 1,
        "intel_keyword": 1,
    }
    assert body["skipped_count"] == 2
    reasons = " ".join(item["reason"] for item in body["skipped"])
    assert "md5" in reasons
    assert "expired" in reasons
    phones = _entries(client, admin_key, "intel_phone")
    assert phones["+442079460958"]["source"] == "misp:CERT-X; tlp:red"
    assert phones["+8613900139000"]["source"] == "misp:CERT-X; tlp:green"
    assert set(_entries(client, admin_key, "intel_domain")) == {"login.bad.example"}


def test_a_deleted_attribute_withdraws_only_what_its_organisation_shared(client: TestClient, admin_key: str) -> None:
    shared = _attribute("domain", "evil.example")
    assert _import(client, admin_key, _event(shared)).status_code == 200
    assert _import(client, admin_key, _event(_attribute("domain", "other.example"), org="CERT-Y")).status_code == 200

    stranger = _import(client, admin_key, _event({**shared, "deleted": True}, org="CERT-Y"))
    assert stranger.json()["withdrawn"] == 0
    # The same organisation withdraws it, whatever TLP it marks the withdrawal with.
    owner = _import(client, admin_key, _event({**shared, "deleted": True}, tags=("tlp:amber",)))
    assert owner.status_code == 200, owner.text
    assert owner.json()["withdrawn"] == 1
    assert set(_entries(client, admin_key, "intel_domain")) == {"other.example"}


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ("{not json", "not JSON"),
        (json.dumps({"Event": {"info": "no uuid", "Attribute": []}}), "Event.uuid"),
        (
            json.dumps({"Event": {"uuid": "5f1c2d3e-0a4b-4c6d-8e9f-a0b1c2d3e4f5", "Attribute": [{"type": "domain"}]}}),
            "value",
        ),
        (json.dumps({"response": []}), "response"),
        (_event(_attribute("domain", "ok.example"), _attribute("phone-number", "123")), "not a valid phone number"),
        (
            _event(_attribute("domain", "ok.example", Tag=[{"name": 'fanzha:valid-until="soon"'}])),
            "not an ISO 8601 time",
        ),
    ],
)
def test_a_malformed_event_is_refused_and_nothing_is_stored(
    client: TestClient, admin_key: str, document: str, problem: str
) -> None:
    response = _import(client, admin_key, document)
    assert response.status_code == 422, response.text
    assert problem in response.text
    names = {item["name"] for item in client.get("/v1/lists", headers=auth(admin_key)).json()}
    assert not any(name.startswith("intel_") for name in names)


def test_an_unknown_tlp_or_group_is_refused(client: TestClient, admin_key: str) -> None:
    for params in ({"lists": "blocked_phones", "tlp": "purple"}, {"lists": "blocked_phones", "group": "nobody"}):
        assert client.get("/v1/intel/misp", params=params, headers=auth(admin_key)).status_code == 422


def test_a_value_that_normalises_past_the_stored_length_is_refused(client: TestClient, admin_key: str) -> None:
    # 2048 characters as sent; normalising writes the empty path as "/", one character more than a list holds.
    url = "http://shop.example.com?q=" + "a" * (2048 - len("http://shop.example.com?q="))
    response = _import(client, admin_key, _event(_attribute("url", url), _attribute("ip-dst", "203.0.113.9")))
    assert response.status_code == 422, response.text
    names = {item["name"] for item in client.get("/v1/lists", headers=auth(admin_key)).json()}
    assert not any(name.startswith("intel_") for name in names)


def test_another_key_cannot_withdraw_by_writing_the_partners_name(
    client: TestClient, admin_key: str, make_key: Callable[[Role], str]
) -> None:
    partner_key, other_key = make_key(Role.analyst), make_key(Role.analyst)
    shared = _attribute("domain", "evil.example")
    assert _import(client, partner_key, _event(shared)).status_code == 200
    forged = _import(client, other_key, _event({**shared, "deleted": True}))  # claims to be CERT-X too
    assert forged.json()["withdrawn"] == 0
    assert set(_entries(client, admin_key, "intel_domain")) == {"evil.example"}
    assert _import(client, partner_key, _event({**shared, "deleted": True})).json()["withdrawn"] == 1
