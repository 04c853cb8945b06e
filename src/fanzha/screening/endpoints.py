"""HTTP interface: ``POST /v1/screen`` and ``POST /v1/screen/batch`` (the app adds auth)."""

from __future__ import annotations

from fastapi import APIRouter

from fanzha.screening.pipeline import screen, screen_many
from fanzha.screening.schemas import BatchRequest, BatchResponse, ScreenRequest, ScreenResponse

router = APIRouter(tags=["screening"])


@router.post("/v1/screen", response_model=ScreenResponse)
def screen_one(body: ScreenRequest) -> ScreenResponse:
    """Screen one text. Sync handler: FastAPI runs it in its thread pool (the work is CPU-bound)."""
    return ScreenResponse.from_result(screen(body.text, body.kind))


@router.post("/v1/screen/batch", response_model=BatchResponse)
def screen_batch(body: BatchRequest) -> BatchResponse:
    """Screen up to 256 texts of one kind; results keep the request order."""
    return BatchResponse(results=[ScreenResponse.from_result(r) for r in screen_many(body.texts, body.kind)])
