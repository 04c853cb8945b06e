"""HTTP endpoints on a bare FastAPI app."""

from __future__ import annotations

import warnings

import pytest
from fastapi import FastAPI

from fanzha.screening.endpoints import router
from fanzha.screening.schemas import MAX_BATCH, MAX_TEXT_CHARS

with warnings.catch_warnings():
    # starlette warns about httpx at import; not ours to fix.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


def test_screen_one(client: TestClient) -> None:
    res = client.post("/v1/screen", json={"text": "出手机卡 物联卡 不实名 即插即用 加V：ab123", "kind": "listing"})
    assert res.status_code == 200
    body = res.json()
    assert set(body) >= {"risk", "flagged", "labels", "typology", "indicators", "matches", "normalized"}
    assert body["flagged"] is True
    assert any(i["type"] == "wechat" for i in body["indicators"])


def test_screen_batch_keeps_order(client: TestClient) -> None:
    texts = ["妈，我晚上回家吃饭", "高价收银行卡 一类卡 带U盾", "周末去爬山吗"]
    res = client.post("/v1/screen/batch", json={"texts": texts, "kind": "listing"})
    assert res.status_code == 200
    flags = [r["flagged"] for r in res.json()["results"]]
    assert flags == [False, True, False]


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   "},
        {"text": "x" * (MAX_TEXT_CHARS + 1)},
        {"text": "hello", "kind": "email"},
        {"kind": "message"},
        {"text": 123},
        {"text": "hi", "extra": 1},
    ],
)
def test_bad_input_is_422(client: TestClient, body: dict[str, object]) -> None:
    assert client.post("/v1/screen", json=body).status_code == 422


def test_bad_batch_is_422(client: TestClient) -> None:
    assert client.post("/v1/screen/batch", json={"texts": []}).status_code == 422
    assert client.post("/v1/screen/batch", json={"texts": ["a"] * (MAX_BATCH + 1)}).status_code == 422
    assert client.post("/v1/screen/batch", json={"texts": ["ok", ""]}).status_code == 422
