"""The HTML report form: languages, filing and clustering, inline errors, CSRF, signed reporters, evidence limits."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fanzha.reports import service as reports_service
from fanzha.reports import signing
from fanzha.reports.evidence import EVIDENCE_DIR
from fanzha.reports.models import Report
from fanzha.reports.schemas import MAX_EVIDENCE_BYTES
from fanzha.runtime import Runtime
from fanzha.settings import Environment, Settings
from tests.fixtures.app import auth
from tests.fixtures.due_process import Keys
from tests.fixtures.reports import PNG, answers, form_link, open_form, reference_of, report_id_of, token_of
from tests.fixtures.stack import Stack


@pytest.fixture
def settings(tmp_path: Path, stack: Stack) -> Settings:
    # A body limit above the per-file evidence limit, so an oversized file reaches the form's own check.
    return Settings(
        data_dir=tmp_path / "data",
        database_url=stack.database_url,
        environment="testing",  # type: ignore[arg-type]
        max_event_bytes=16 * 1024,
        max_request_bytes=MAX_EVIDENCE_BYTES + 1024 * 1024,
    )


def reports_in_db(runtime: Runtime) -> list[Report]:
    with runtime.sessions() as session:
        return list(session.execute(select(Report).order_by(Report.id)).scalars())


class TestPages:
    def test_the_form_renders_in_chinese_and_in_english(self, client: TestClient, keys: Keys) -> None:
        url = form_link(client, keys.client, "victim-1")
        chinese = client.get(url, headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
        assert chinese.status_code == 200
        assert '<html lang="zh-CN">' in chinese.text
        assert "举报诈骗" in chinese.text
        assert "刷单返利" in chinese.text
        assert "收款账户" in chinese.text
        english = client.get(url, headers={"Accept-Language": "en-GB,en;q=0.9"})
        assert '<html lang="en">' in english.text
        assert "Report fraud" in english.text
        assert "Task / click-farming rebate scam" in english.text
        assert "举报诈骗" not in english.text
        override = client.get(url + "&lang=en", headers={"Accept-Language": "zh-CN"})
        assert '<html lang="en">' in override.text
        assert '<html lang="zh-CN">' in client.get(url).text  # no preference: Chinese
        for page in (chinese, english):
            assert "<script" not in page.text
            assert "<link" not in page.text
            assert "src=" not in page.text
            assert "style-src 'nonce-" in page.headers["content-security-policy"]
            assert page.headers["referrer-policy"] == "no-referrer"
            assert page.headers["cache-control"] == "no-store"

    def test_the_form_link_is_for_platform_clients_only(self, client: TestClient, keys: Keys) -> None:
        body = {"reporter_id": "victim-1"}
        assert client.post("/v1/reports/form-link", json=body, headers=auth(keys.auditor)).status_code == 403
        assert client.post("/v1/reports/form-link", json=body).status_code == 401

    def test_without_a_secret_in_production_the_form_is_off(
        self, client: TestClient, keys: Keys, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        url = form_link(client, keys.client, "victim-1")
        monkeypatch.setattr(runtime.settings, "environment", Environment.production)
        assert client.get(url).status_code == 503

    def test_the_generated_key_is_kept_private_in_the_data_dir(
        self, client: TestClient, keys: Keys, settings: Settings
    ) -> None:
        form_link(client, keys.client, "victim-1")
        key_file = settings.data_dir / signing.KEY_FILE
        assert os.stat(key_file).st_mode & 0o777 == 0o600
        assert len(key_file.read_bytes().strip()) >= signing.MIN_KEY_BYTES

    def test_an_empty_generated_key_file_forges_nothing(self, client: TestClient, settings: Settings) -> None:
        # A process that died between creating the key file and writing it leaves it empty: that must
        # not become an empty HMAC key, with which anyone can sign a reporter token.
        key_file = settings.data_dir / signing.KEY_FILE
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_bytes(b"")
        forged = signing.sign_reporter(b"", "victim-1", expires_at=4_000_000_000)
        assert client.get(f"/report?reporter={forged}").status_code == 503


class TestFiling:
    def test_a_form_report_is_filed_with_evidence_and_clusters_like_an_api_report(
        self, client: TestClient, keys: Keys, settings: Settings
    ) -> None:
        api = client.post(
            "/v1/reports",
            json={
                "reporter": {"id": "victim-1"},
                "subjects": [{"type": "account", "id": "scammer-1"}],
                "category": "T01_task_rebate",
                "text": "刷单",
            },
            headers=auth(keys.client),
        ).json()
        url = form_link(client, keys.client, "victim-2")
        response = client.post(
            "/report",
            data={**open_form(client, url), **answers()},
            files=[("evidence", ("聊天截图.png", PNG, "application/octet-stream"))],
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        reference = reference_of(response.headers["location"])
        acknowledgement = client.get(response.headers["location"])
        assert acknowledgement.status_code == 200
        assert reference in acknowledgement.text
        assert "举报已收到" in acknowledgement.text

        filed = client.get(f"/v1/reports/{report_id_of(reference)}", headers=auth(keys.analyst)).json()
        assert filed["acknowledgement"]["reference"] == reference
        assert filed["case_id"] == api["case_id"]
        assert filed["case_report_count"] == 2
        digest = hashlib.sha256(PNG).hexdigest()
        assert (settings.data_dir / EVIDENCE_DIR / "sha256" / digest[:2] / digest).read_bytes() == PNG
        case = client.get(f"/v1/cases/{api['case_id']}", headers=auth(keys.analyst)).json()
        assert [(e["hash"], e["type"]) for e in case["evidence"]] == [(digest, "image/png")]
        assert client.get("/v1/reporters/victim-2", headers=auth(keys.analyst)).json()["reports"] == 1

    def test_a_burst_of_form_reports_flags_the_account_as_the_api_does(self, client: TestClient, keys: Keys) -> None:
        answers_seen = []
        for i in range(3):
            url = form_link(client, keys.client, f"form-victim-{i}")
            answers_seen.append(client.post("/report", data={**open_form(client, url), **answers()}))
        assert all(page.status_code == 200 for page in answers_seen)
        entries = client.get("/v1/lists/reported_accounts/entries", headers=auth(keys.analyst))
        assert entries.status_code == 200, entries.text
        assert "scammer-1" in entries.text

    def test_the_gateway_header_identifies_the_reporter(self, client: TestClient, keys: Keys, runtime: Runtime) -> None:
        token = token_of(form_link(client, keys.client, "victim-from-gateway"))
        header = {"X-Fanzha-Reporter": token}
        fields = open_form(client, "/report", **header)
        assert "reporter" not in fields  # the gateway sends it again with the post
        response = client.post("/report", data={**fields, **answers()}, headers=header, follow_redirects=False)
        assert response.status_code == 303
        assert [report.reporter_id for report in reports_in_db(runtime)] == ["victim-from-gateway"]

    def test_anonymous_reports_when_allowed(
        self, client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        assert client.get("/report").status_code == 403
        monkeypatch.setattr(runtime.settings, "report_form_anonymous", True)
        response = client.post("/report", data={**open_form(client, "/report"), **answers()}, follow_redirects=False)
        assert response.status_code == 303
        [report] = reports_in_db(runtime)
        assert report.reporter_id.startswith("anon:")
        assert "testclient" not in report.reporter_id

    def test_mass_reporting_through_the_form_is_rate_limited(
        self, client: TestClient, keys: Keys, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(reports_service, "RATE_LIMIT", 1)
        url = form_link(client, keys.client, "spammer", lang="en")
        first = client.post("/report", data={**open_form(client, url), **answers()}, follow_redirects=False)
        assert first.status_code == 303
        second = client.post("/report", data={**open_form(client, url), **answers(subject_id="other")})
        assert second.status_code == 429
        assert "too many reports" in second.text
        assert len(reports_in_db(runtime)) == 1


class TestBadInput:
    @pytest.mark.parametrize(
        ("change", "field", "message"),
        [
            ({"category": None}, "category", "请选择诈骗类型"),
            ({"category": "T99_unknown"}, "category", "请选择诈骗类型"),
            ({"subject_type": "device"}, "subject_type", "请选择举报对象的类型"),
            ({"subject_id": "   "}, "subject_id", "请填写举报对象"),
            ({"subject_id": "x" * 257}, "subject_id", "请填写举报对象"),
            ({"text": ""}, "text", "请描述发生了什么"),
            ({"text": "很" * 5001}, "text", "请描述发生了什么"),
            ({"good_faith": None}, "good_faith", "请确认信息真实"),
        ],
    )
    def test_bad_input_re_renders_the_form_with_the_error(
        self, client: TestClient, keys: Keys, runtime: Runtime, change: dict[str, str | None], field: str, message: str
    ) -> None:
        url = form_link(client, keys.client, "victim-1")
        response = client.post("/report", data={**open_form(client, url), **answers(**change)})
        assert response.status_code == 422
        assert message in response.text
        assert f'id="{field}-error"' in response.text
        if field != "good_faith":
            assert 'aria-invalid="true"' in response.text
        if field != "subject_id":
            assert 'value="scammer-1"' in response.text  # what was typed is kept
        assert 'name="csrf_token"' in response.text
        assert 'name="reporter"' in response.text
        assert reports_in_db(runtime) == []

    def test_evidence_that_is_not_an_allowed_type_is_refused(
        self, client: TestClient, keys: Keys, runtime: Runtime
    ) -> None:
        url = form_link(client, keys.client, "victim-1", lang="en")
        response = client.post(
            "/report",
            data={**open_form(client, url), **answers()},
            files=[("evidence", ("invoice.png", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(40), "image/png"))],
        )
        assert response.status_code == 422
        assert "The file “invoice.png” is not a PNG, JPEG, WebP, PDF or plain-text file." in response.text
        assert reports_in_db(runtime) == []

    def test_oversized_evidence_is_refused(self, client: TestClient, keys: Keys, runtime: Runtime) -> None:
        url = form_link(client, keys.client, "victim-1", lang="en")
        too_big = PNG + bytes(MAX_EVIDENCE_BYTES + 1 - len(PNG))
        response = client.post(
            "/report",
            data={**open_form(client, url), **answers()},
            files=[("evidence", ("big.png", too_big, "image/png"))],
        )
        assert response.status_code == 422
        assert f"The file “big.png” is over {MAX_EVIDENCE_BYTES // (1024 * 1024)} MB." in response.text
        assert reports_in_db(runtime) == []

    def test_too_many_evidence_files_are_refused(self, client: TestClient, keys: Keys, runtime: Runtime) -> None:
        url = form_link(client, keys.client, "victim-1", lang="en")
        files = [("evidence", (f"shot-{i}.png", PNG + bytes([i]), "image/png")) for i in range(11)]
        response = client.post("/report", data={**open_form(client, url), **answers()}, files=files)
        assert response.status_code == 422
        assert "Send at most 10 files." in response.text
        assert reports_in_db(runtime) == []

    def test_a_form_that_cannot_be_read_is_refused(self, client: TestClient, keys: Keys, runtime: Runtime) -> None:
        url = form_link(client, keys.client, "victim-1", lang="en")
        oversized_field = {**open_form(client, url), **answers(text="x" * (100 * 1024))}
        response = client.post("/report?lang=en", data=oversized_field)
        assert response.status_code == 400
        assert "The form could not be read" in response.text
        assert reports_in_db(runtime) == []


class TestForgery:
    def test_a_post_without_the_csrf_token_is_refused(self, client: TestClient, keys: Keys, runtime: Runtime) -> None:
        url = form_link(client, keys.client, "victim-1")
        fields = open_form(client, url)
        missing = {key: value for key, value in fields.items() if key != "csrf_token"}
        assert client.post("/report", data={**missing, **answers()}).status_code == 403
        forged = client.post("/report", data={**fields, "csrf_token": "1.2.3", **answers()})
        assert forged.status_code == 403
        assert "表单已过期" in forged.text
        # A token from someone else's form does not carry over to this reporter.
        other = open_form(client, form_link(client, keys.client, "attacker"))
        assert (
            client.post("/report", data={**fields, "csrf_token": other["csrf_token"], **answers()}).status_code == 403
        )
        cross_site = client.post("/report", data={**fields, **answers()}, headers={"Sec-Fetch-Site": "cross-site"})
        assert cross_site.status_code == 403
        assert reports_in_db(runtime) == []

    def test_an_unsigned_reporter_is_refused(self, client: TestClient, keys: Keys, runtime: Runtime) -> None:
        assert client.get("/report?reporter=victim-1").status_code == 403
        assert client.get("/report", headers={"X-Fanzha-Reporter": "victim-1"}).status_code == 403
        token = token_of(form_link(client, keys.client, "victim-1"))
        encoded, expires, mac = token.split(".")
        other = token_of(form_link(client, keys.client, "victim-2")).split(".")[0]
        assert client.get(f"/report?reporter={other}.{expires}.{mac}").status_code == 403
        assert client.get(f"/report?reporter={encoded}.{int(expires) + 60}.{mac}").status_code == 403
        refused = client.get("/report?reporter=victim-1&lang=en")
        assert "This link is not valid" in refused.text
        # Posting a bare reporter id (with a CSRF token a real form issued) is refused too.
        fields = open_form(client, form_link(client, keys.client, "victim-1"))
        assert client.post("/report", data={**fields, "reporter": "victim-1", **answers()}).status_code == 403
        assert reports_in_db(runtime) == []

    def test_an_expired_link_is_refused(self, client: TestClient, runtime: Runtime) -> None:
        key = signing.form_key(runtime.settings)
        token = signing.sign_reporter(key, "victim-1", expires_at=1_000_000)
        page = client.get(f"/report?reporter={token}&lang=en")
        assert page.status_code == 403
        assert "This link has expired" in page.text


class TestStatusPage:
    def test_the_status_page_shows_state_and_outcome_but_nothing_about_the_subject(
        self, client: TestClient, keys: Keys
    ) -> None:
        url = form_link(client, keys.client, "victim-1")
        response = client.post(
            "/report",
            data={**open_form(client, url), **answers(subject_id="13800138000", subject_type="phone", text="秘密经过")},
            follow_redirects=False,
        )
        reference = reference_of(response.headers["location"])
        page = client.get("/report/status", params={"ref": reference, "lang": "en"})
        assert page.status_code == 200
        assert reference in page.text
        assert "Received, being checked" in page.text
        assert "Task / click-farming rebate scam" in page.text
        for secret in ("13800138000", "8000", "秘密经过", "victim-1", "phone"):
            assert secret not in page.text
        assert client.get("/report/status", params={"ref": reference.upper()}).status_code == 200

    def test_a_wrong_reference_finds_nothing(self, client: TestClient, keys: Keys) -> None:
        url = form_link(client, keys.client, "victim-1")
        response = client.post("/report", data={**open_form(client, url), **answers()}, follow_redirects=False)
        reference = reference_of(response.headers["location"])
        number, token = reference.split("-")
        guessed = f"{number}-{'a' * len(token)}"
        assert client.get("/report/status", params={"ref": guessed}).status_code == 404
        assert client.get("/report/status", params={"ref": number}).status_code == 404
        lookup = client.get("/report/status")
        assert lookup.status_code == 200
        assert 'name="ref"' in lookup.text
