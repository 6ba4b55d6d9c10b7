"""Run the API under uvicorn: in the foreground (`pledge serve`) or in-process on a free loopback
port for the demo and tests, stopped cleanly when the block ends."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from pledge.api.app import create_app
from pledge.api.auth import TokenEntry, TokenStore
from pledge.api.settings import Settings
from pledge.api.sources import StaticSource
from pledge.clock import Clock, system
from pledge.signals import stopping_like_ctrl_c
from pledge.sla import ServiceLevelAgreement

START_TIMEOUT = 10.0
GRACE = 1  # seconds in-flight requests may finish after SIGTERM; then they are answered 503 (pledge.api.draining)


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket with TCP_NODELAY, which accepted connections inherit: uvicorn's h11
    writes headers and body separately, and Nagle plus delayed ACKs added 40 ms to every response."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


def serve_forever(app: FastAPI, host: str, port: int) -> None:
    """`pledge serve`: until SIGINT, SIGTERM or SIGHUP, then out within about GRACE + 0.5 s; ended by
    SIGTERM or SIGHUP, the process then ends by it (uvicorn's convention)."""
    with stopping_like_ctrl_c():
        try:
            uvicorn.Server(uvicorn.Config(app, timeout_graceful_shutdown=GRACE)).run(sockets=[listening_socket(host, port)])
        except KeyboardInterrupt:  # uvicorn raises the signal again once stopped: asyncio.run's answer to it
            pass


class _Embedded(uvicorn.Server):
    """A server inside someone else's program (the demo, tests): the program owns the process' signals
    and stops the server by leaving ``serving``; uvicorn's own handlers would stop the server alone and
    leave the program waiting on it."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@asynccontextmanager
async def serving(app: FastAPI, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Serve ``app`` on a free port of ``host`` in this event loop; yields its base URL."""
    sock = listening_socket(host, 0)
    server = _Embedded(uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await _started(server, task)
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def _started(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the API server stopped during start-up")
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"the API server did not start within {START_TIMEOUT} s")
        await asyncio.sleep(0.01)


@asynccontextmanager
async def running_api(slas: Iterable[ServiceLevelAgreement], prometheus_url: str, tokens: Iterable[TokenEntry],
                      transport: httpx.AsyncBaseTransport | None = None, clock: Clock = system,
                      **settings: Any) -> AsyncIterator[str]:
    """The demo's hook: the API over ``slas`` on a free loopback port; yields its URL.

    ``settings`` are Settings fields (e.g. prometheus_timeout); ``transport`` is for tests; ``clock``
    sets "now" (the demo's and the test worlds' moment)."""
    app = create_app(StaticSource(slas), TokenStore(tokens), Settings(prometheus_url=prometheus_url, **settings),
                     transport, clock=clock)
    async with serving(app) as url:
        yield url
