"""Requests still running when `pledge serve` stops waiting for them are answered 503, not dropped.

uvicorn's graceful shutdown lets in-flight requests finish for ``timeout_graceful_shutdown`` seconds,
then cancels them; without this, a cancelled request would get a bare 500 or a closed connection.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pledge.api.problems import problem

RETRY_AFTER = "1"  # another replica, or this one restarted, answers within a second or so


class Draining:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except asyncio.CancelledError:
            if started:
                raise
            response = problem(Request(scope), 503, "the server is shutting down; retry", {"Retry-After": RETRY_AFTER})
            await response(scope, receive, send)
