from __future__ import annotations

import re

from fastapi.testclient import TestClient

from fanzha.auth.roles import Role
from tests.fixtures.app import auth


class TestAccess:
    def test_healthz_is_public(self, client: TestClient) -> None:
        assert client.get("/healthz").json()["status"] == "ok"

    def test_every_api_route_needs_a_key(self, client: TestClient) -> None:
        public = {"/healthz"}
        checked = 0
        for path, operations in client.get("/openapi.json").json()["paths"].items():
            if path in public:
                continue
            for method in operations:
                concrete = path.replace("{", "").replace("}", "")
                response = client.request(method.upper(), concrete)
                assert response.status_code == 401, (method, path, response.status_code)
                checked += 1
        assert checked >= 15

    def test_revoked_or_bad_key_is_refused(self, client: TestClient) -> None:
        response = client.get("/v1/rules", headers=auth("fzk_not-a-key"))
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    def test_metrics_need_the_metrics_role(self, client: TestClient, make_key) -> None:  # type: ignore[no-untyped-def]
        api_client = make_key(Role.api_client)
        assert client.get("/metrics", headers=auth(api_client)).status_code == 403
        metrics = make_key(Role.metrics)
        client.post(
            "/v1/decisions",
            json={
                "event_id": "m1",
                "type": "message.sent",
                "occurred_at": "2026-01-01T00:00:00Z",
                "actor": {"id": "a"},
            },
            headers=auth(api_client),
        )
        body = client.get("/metrics", headers=auth(metrics)).text
        assert 'fanzha_decisions_total{decision="allow",event_type="message.sent"} 1.0' in body

    def test_openapi_documents_the_event_schema(self, client: TestClient) -> None:
        schema = client.get("/openapi.json").json()
        assert "Event" in schema["components"]["schemas"]
        assert "/v1/decisions" in schema["paths"]

    def test_request_body_limit(self, client: TestClient, admin_key: str) -> None:
        huge = b"x" * (9 * 1024 * 1024)
        response = client.post(
            "/v1/rules", content=huge, headers={**auth(admin_key), "content-type": "application/yaml"}
        )
        assert response.status_code == 413


class TestApiKeys:
    def test_admin_creates_and_revokes_keys(self, client: TestClient, admin_key: str) -> None:
        created = client.post(
            "/v1/apikeys", json={"name": "shop backend", "role": "api_client"}, headers=auth(admin_key)
        )
        assert created.status_code == 201
        secret = created.json()["secret"]
        assert client.post("/v1/decisions", json={}, headers=auth(secret)).status_code == 422
        key_id = created.json()["id"]
        assert client.delete(f"/v1/apikeys/{key_id}", headers=auth(admin_key)).status_code == 200
        listed = client.get("/v1/apikeys", headers=auth(admin_key)).json()
        assert all("secret" not in item and "key_hash" not in item for item in listed)

    def test_unknown_role_is_rejected(self, client: TestClient, admin_key: str) -> None:
        response = client.post("/v1/apikeys", json={"name": "x", "role": "god"}, headers=auth(admin_key))
        assert response.status_code == 422


def test_production_hides_the_api_description(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fanzha.app import create_app
    from fanzha.settings import Settings

    app = create_app(Settings(data_dir=tmp_path, environment="production"))  # type: ignore[arg-type]
    paths = {getattr(route, "path", None) for route in app.routes}
    assert "/openapi.json" not in paths
    assert "/docs" not in paths
    assert "/healthz" in paths


def test_every_api_route_but_the_public_ones_refuses_a_request_without_a_key(client: TestClient) -> None:
    from tests.fixtures.routes import api_routes

    public = {"/healthz", "/report", "/report/status"}
    refused: list[str] = []
    checked = 0
    for path, route in api_routes(client.app):
        if path in public or path.startswith("/console"):
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            status = client.request(method, url).status_code
            checked += 1
            if status != 401:
                refused.append(f"{method} {path}: {status}")
    assert checked > 80  # the walk reached the routers, not only the app's own routes
    assert refused == []
