"""Clue referral end to end through the API: build, four-eyes approval, export, feedback, audit."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fanzha.referrals import render
from fanzha.runtime import Runtime
from tests.fixtures.app import auth
from tests.fixtures.due_process import Keys
from tests.fixtures.referrals import LURE, PHONE, UNIT, approve, backdate_approval, decision_case, refer


def audit_actions(runtime: Runtime, like: str) -> list[str]:
    with runtime.sessions() as session:
        rows = session.execute(
            sa.text("SELECT action FROM audit_log WHERE action LIKE :like ORDER BY seq"), {"like": like}
        ).all()
    return [row[0] for row in rows]


def test_a_referral_is_built_approved_by_a_second_person_exported_and_answered(
    client: TestClient, keys: Keys, runtime: Runtime
) -> None:
    case_id = decision_case(client, keys)
    built = refer(client, keys.police, case_id)
    assert built.status_code == 201, built.text
    referral = built.json()
    assert referral["state"] == "pending_approval"
    assert referral["case_ids"] == [case_id]
    assert referral["recipient_unit"] == UNIT
    assert referral["referred_by"].startswith("apikey:")
    assert len(referral["package_sha256"]) == 64
    assert referral["decided_by"] is None

    # Nothing unmasked leaves before the second pair of eyes.
    early = client.get(f"/v1/referrals/{referral['id']}/package.json?reveal=true", headers=auth(keys.police))
    assert early.status_code == 409, early.text

    # The release behind it names the package by hash; the case holds the package as evidence.
    releases = client.get(f"/v1/cases/{case_id}/releases", headers=auth(keys.police)).json()
    release = next(item for item in releases if item["id"] == referral["release_id"])
    assert release["state"] == "pending"
    assert release["request_ref"] == f"referral:{referral['id']}"
    assert release["hashes"][0] == referral["package_sha256"]
    evidence = client.get(f"/v1/cases/{case_id}", headers=auth(keys.police)).json()["evidence"]
    assert {"referral_package"} <= {item["type"] for item in evidence}

    # Only the approving role decides; the person who built it never approves it.
    assert approve(client, keys.analyst, referral["id"]).status_code == 403
    decided = approve(client, keys.senior, referral["id"])
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "referred"
    assert decided.json()["decided_by"] != referral["referred_by"]
    assert approve(client, keys.senior, referral["id"]).status_code == 409

    exported = client.get(f"/v1/referrals/{referral['id']}/package.json?reveal=true", headers=auth(keys.police))
    assert exported.status_code == 200, exported.text
    assert hashlib.sha256(exported.content).hexdigest() == referral["package_sha256"]
    assert exported.headers["x-fanzha-package-sha256"] == referral["package_sha256"]
    package = exported.json()
    assert package["format"] == "fanzha.referral/1"
    assert package["referral"]["recipient"] == {"unit": UNIT, "type": "police"}
    assert {"type": "phone", "value": PHONE, "lists": ["blocked_phones"]} in package["indicators"]
    assert not any(item["value"] == "scam-hub" for item in package["indicators"])  # the counterparty
    assert package["decisions"][0]["event_id"] == "ref-1"
    assert package["decisions"][0]["decision"] == "block"
    assert package["samples"][0]["text"] == LURE
    assert any(item["type"] == "decision" for item in package["evidence"])
    kinds = {item["kind"] for item in package["timeline"]}
    assert {"case", "decision", "event", "evidence"} <= kinds
    times = [item["at"] for item in package["timeline"]]
    assert times == sorted(times)

    # Feedback: received, then case filed; nothing after a final answer.
    received = client.post(
        f"/v1/referrals/{referral['id']}/feedback",
        json={"status": "received", "text": "已接收 / received"},
        headers=auth(keys.police),
    )
    assert received.status_code == 200, received.text
    assert received.json()["state"] == "received"
    filed = client.post(
        f"/v1/referrals/{referral['id']}/feedback",
        json={"status": "case_filed", "text": "已立案侦查", "authority_ref": "沪公刑(2026)123"},
        headers=auth(keys.police),
    )
    assert filed.status_code == 200, filed.text
    body = filed.json()
    assert body["state"] == "case_filed"
    assert [(item["status"], item["authority_ref"]) for item in body["feedback"]] == [
        ("received", ""),
        ("case_filed", "沪公刑(2026)123"),
    ]
    again = client.post(
        f"/v1/referrals/{referral['id']}/feedback",
        json={"status": "declined", "text": "不予立案"},
        headers=auth(keys.police),
    )
    assert again.status_code == 409
    fetched = client.get(f"/v1/referrals/{referral['id']}", headers=auth(keys.auditor))
    assert fetched.status_code == 200
    assert fetched.json()["feedback_status"] == "case_filed"

    assert audit_actions(runtime, "referral.%") == [
        "referral.create",
        "referral.approve",
        "referral.package.read",
        "referral.feedback",
        "referral.feedback",
    ]
    assert audit_actions(runtime, "evidence.release.%") == ["evidence.release.propose", "evidence.release.approve"]
    assert "personal_data.reveal" in audit_actions(runtime, "personal_data.%")


def test_roles_without_reveal_get_a_masked_copy_only(client: TestClient, keys: Keys) -> None:
    case_id = decision_case(client, keys)
    referral = refer(client, keys.analyst, case_id).json()
    assert approve(client, keys.senior, referral["id"]).status_code == 200

    for key in (keys.analyst, keys.auditor):
        masked = client.get(f"/v1/referrals/{referral['id']}/package.json", headers=auth(key))
        assert masked.status_code == 200, masked.text
        assert PHONE not in masked.text
        assert "13800138000" not in masked.text
        copy = masked.json()
        assert copy["masked"]["of_package_sha256"] == referral["package_sha256"]
        assert hashlib.sha256(masked.content).hexdigest() != referral["package_sha256"]
        phone = next(item for item in copy["indicators"] if item["type"] == "phone")
        assert phone["value"].endswith("8000")
        assert "*" in phone["value"]
        assert (
            client.get(f"/v1/referrals/{referral['id']}/package.json?reveal=true", headers=auth(key)).status_code == 403
        )
    page = client.get(f"/v1/referrals/{referral['id']}/package.html", headers=auth(keys.analyst))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "脱敏副本" in page.text
    assert "13800138000" not in page.text
    assert client.get(f"/v1/referrals/{referral['id']}/package.json", headers=auth(keys.client)).status_code == 403


def test_the_person_who_built_a_referral_cannot_approve_it(client: TestClient, keys: Keys) -> None:
    case_id = decision_case(client, keys)
    referral = refer(client, keys.admin, case_id).json()
    own = approve(client, keys.admin, referral["id"])
    assert own.status_code == 403, own.text
    assert "second person" in own.text
    assert client.get(f"/v1/referrals/{referral['id']}", headers=auth(keys.admin)).json()["state"] == "pending_approval"


def test_a_rejected_referral_never_leaves(client: TestClient, keys: Keys) -> None:
    case_id = decision_case(client, keys)
    referral = refer(client, keys.police, case_id).json()
    rejected = approve(client, keys.senior, referral["id"], approve=False)
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["state"] == "rejected"
    assert (
        client.get(f"/v1/referrals/{referral['id']}/package.pdf?reveal=true", headers=auth(keys.police)).status_code
        == 409
    )
    feedback = client.post(
        f"/v1/referrals/{referral['id']}/feedback", json={"status": "received", "text": "?"}, headers=auth(keys.police)
    )
    assert feedback.status_code == 409
    listed = client.get("/v1/referrals", params={"state": "rejected"}, headers=auth(keys.police)).json()
    assert [item["id"] for item in listed] == [referral["id"]]
    assert client.get("/v1/referrals", params={"state": "referred"}, headers=auth(keys.police)).json() == []


def test_approving_the_release_itself_refers_too(client: TestClient, keys: Keys) -> None:
    case_id = decision_case(client, keys)
    referral = refer(client, keys.police, case_id).json()
    decided = client.post(
        f"/v1/releases/{referral['release_id']}/decision",
        json={"approve": True, "reason": "checked in the release queue"},
        headers=auth(keys.senior),
    )
    assert decided.status_code == 200, decided.text
    assert client.get(f"/v1/referrals/{referral['id']}", headers=auth(keys.police)).json()["state"] == "referred"
    waiting = client.get("/v1/referrals", params={"state": "referred", "case_id": case_id}, headers=auth(keys.police))
    assert [item["id"] for item in waiting.json()] == [referral["id"]]


def test_a_second_pending_referral_to_the_same_unit_is_refused(client: TestClient, keys: Keys) -> None:
    case_id = decision_case(client, keys)
    assert refer(client, keys.police, case_id).status_code == 201
    assert refer(client, keys.police, case_id).status_code == 409
    assert (
        refer(client, keys.police, case_id, recipient_unit="某省通信管理局", recipient_type="telecom").status_code
        == 201
    )


def test_a_cluster_is_referred_in_one_package(client: TestClient, keys: Keys) -> None:
    ids = []
    for number in (1, 2):
        opened = client.post(
            "/v1/cases",
            json={
                "source_type": "manual",
                "source_ref": f"ring-{number}",
                "subjects": [
                    {"type": "account", "value": f"mule-{number}", "role": "actor"},
                    {"type": "device", "value": "dev-shared-1", "role": "actor"},
                    {"type": "url", "value": "https://pay.evil.example/x", "role": "actor"},
                ],
                "evidence": [{"hash": f"{number}" * 64, "type": "screenshot", "captured_at": "2026-06-01T08:00:00Z"}],
            },
            headers=auth(keys.analyst),
        )
        assert opened.status_code == 201, opened.text
        ids.append(opened.json()["id"])
    one = refer(client, keys.police, ids[0], cluster=True)
    assert one.status_code == 201, one.text
    assert sorted(one.json()["case_ids"]) == sorted(ids)
    several = client.post(
        "/v1/referrals",
        json={"case_ids": ids, "recipient_unit": "某市公安局网安支队", "reason": "two mules, one device"},
        headers=auth(keys.police),
    )
    assert several.status_code == 201, several.text
    assert several.json()["case_ids"] == ids
    assert approve(client, keys.senior, several.json()["id"]).status_code == 200
    package = client.get(
        f"/v1/referrals/{several.json()['id']}/package.json?reveal=true", headers=auth(keys.police)
    ).json()
    device = [item for item in package["subjects"] if item["type"] == "device"]
    assert device == [{"type": "device", "value": "dev-shared-1", "role": "actor", "cases": ids, "outcomes": []}]
    assert {item["hash"] for item in package["evidence"]} >= {"1" * 64, "2" * 64}
    missing = client.post(
        "/v1/referrals",
        json={"case_ids": [999999], "recipient_unit": UNIT, "reason": "no such case"},
        headers=auth(keys.police),
    )
    assert missing.status_code == 404


def test_html_escapes_what_users_wrote(client: TestClient, keys: Keys) -> None:
    case_id = decision_case(client, keys)
    referral = refer(client, keys.police, case_id, summary="<script>alert(1)</script>").json()
    page = client.get(f"/v1/referrals/{referral['id']}/package.html", headers=auth(keys.police))
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text


@pytest.mark.skipif(
    render.pdf_available() is not None,
    reason=f"WeasyPrint's system libraries are missing ({render.pdf_available()}); run `make system-deps`",
)
def test_the_package_renders_to_a_pdf_with_the_chinese_text(client: TestClient, keys: Keys) -> None:
    import pypdf

    case_id = decision_case(client, keys)
    referral = refer(client, keys.police, case_id).json()
    assert approve(client, keys.senior, referral["id"]).status_code == 200
    response = client.get(f"/v1/referrals/{referral['id']}/package.pdf?reveal=true", headers=auth(keys.police))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    compact = "".join(text.split())
    for expected in ("线索移送函", UNIT, "刷单返利", referral["package_sha256"]):
        assert expected in compact, expected
    fonts = {
        str(font.get_object().get("/BaseFont"))
        for page in reader.pages
        for font in (page.get("/Resources", {}).get("/Font", {}) or {}).values()
    }
    assert any("CJK" in name for name in fonts), fonts


def test_the_package_json_is_what_was_hashed(client: TestClient, keys: Keys, runtime: Runtime) -> None:
    case_id = decision_case(client, keys)
    referral = refer(client, keys.police, case_id).json()
    with runtime.sessions() as session:
        stored = session.execute(
            sa.text("SELECT package_json FROM referrals WHERE id = :id"), {"id": referral["id"]}
        ).scalar_one()
    assert hashlib.sha256(stored.encode("utf-8")).hexdigest() == referral["package_sha256"]
    assert json.loads(stored)["referral"]["id"] == referral["id"]


def test_an_unanswered_referral_is_overdue_after_the_answer_period(
    client: TestClient, keys: Keys, runtime: Runtime
) -> None:
    case_id = decision_case(client, keys)
    referral = refer(client, keys.police, case_id).json()
    assert referral["answer_due_at"] is None  # not approved: nothing has gone yet
    approved = approve(client, keys.senior, referral["id"]).json()
    decided_at = datetime.fromisoformat(approved["decided_at"])
    assert datetime.fromisoformat(approved["answer_due_at"]) == decided_at + timedelta(
        days=runtime.settings.referral_answer_days
    )
    assert approved["answer_overdue"] is False

    def overdue() -> list[int]:
        listed = client.get("/v1/referrals", params={"overdue": "true"}, headers=auth(keys.police))
        assert listed.status_code == 200, listed.text
        return [item["id"] for item in listed.json()]

    assert overdue() == []
    long_ago = decided_at - timedelta(days=runtime.settings.referral_answer_days + 1)
    backdate_approval(runtime, approved["release_id"], long_ago)
    assert overdue() == [referral["id"]]
    shown = client.get(f"/v1/referrals/{referral['id']}", headers=auth(keys.police)).json()
    assert shown["answer_overdue"] is True
    received = client.post(
        f"/v1/referrals/{referral['id']}/feedback",
        json={"status": "received", "text": "已收到"},
        headers=auth(keys.police),
    )
    assert received.json()["answer_overdue"] is True  # an acknowledgement is not the answer
    assert overdue() == [referral["id"]]
    filed = client.post(
        f"/v1/referrals/{referral['id']}/feedback",
        json={"status": "case_filed", "text": "已立案", "authority_ref": "沪公(反诈)立字2026-88"},
        headers=auth(keys.police),
    )
    assert filed.status_code == 200, filed.text
    assert filed.json()["answer_due_at"] is None
    assert filed.json()["answer_overdue"] is False
    assert overdue() == []
