"""The web console: static files (one HTML page, one ES module, one style sheet) that call the JSON API
from the browser with the signed-in token. Nothing is rendered on the server and nothing comes from a CDN."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

ASSETS = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Serve the console at ``/``; mounted last, so every API route is matched before it."""
    app.mount("/", StaticFiles(directory=ASSETS, html=True), name="console")
