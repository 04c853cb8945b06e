"""The dashboard: what the office needs to see first."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from fanzha.console.web import ConsolePage

router = APIRouter()


@router.get("/", include_in_schema=False)
def dashboard(console: ConsolePage) -> HTMLResponse:
    return console.render("dashboard.html")
