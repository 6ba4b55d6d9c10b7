"""The web console: static files (one HTML page, native ES modules, one style sheet) that call the JSON API
from the browser with the signed-in token. Nothing is rendered on the server, nothing is built, and nothing
comes from a CDN."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

ASSETS = Path(__file__).parent / "static"
JAVASCRIPT = "text/javascript; charset=utf-8"  # RFC 9239; browsers refuse a module script of another type


class Assets(StaticFiles):
    """StaticFiles whose modules are JavaScript whatever the host's MIME table says (mimetypes reads
    the system's, and some map .js to text/plain)."""

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        if str(full_path).endswith(".js"):
            response.headers["content-type"] = JAVASCRIPT
        return response


def install(app: FastAPI) -> None:
    """Serve the console at ``/``; mounted last, so every API route is matched before it."""
    app.mount("/", Assets(directory=ASSETS, html=True), name="console")
