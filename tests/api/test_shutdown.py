"""A Prometheus that answers one byte at a time is cut at the call's deadline; SIGTERM ends
`pledge serve` within 2 s, requests still waiting on Prometheus answered 503."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from pledge.api.server import running_api
from tests.support import world
from tests.support.world import client, entries

pytestmark = pytest.mark.integration
EMPTY = json.dumps({"status": "success", "data": {"resultType": "vector", "result": []}}).encode()


@asynccontextmanager
async def dripping(pause: float) -> AsyncIterator[str]:
    """A real HTTP server on loopback answering every request with a valid, empty Prometheus
    answer, one byte every ``pause`` seconds: each read is quick, the whole answer is not."""
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            await reader.readexactly(length)
            answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(EMPTY), EMPTY)
            for i in range(len(answer)):
                writer.write(answer[i:i + 1])
                await writer.drain()
                await asyncio.sleep(pause)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client gave up, or the test ended
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


async def test_a_dripping_prometheus_is_cut_at_the_deadline() -> None:
    async with dripping(0.05) as prometheus, running_api(world.SLAS.values(), prometheus, entries(),
                                                          prometheus_timeout=1.0, prometheus_retries=0) as url:
        async with client(url) as http:
            started = time.monotonic()
            response = await http.get(f"/v1/slas/{world.NS}/bursty")
            elapsed = time.monotonic() - started
    assert response.status_code == 503 and "no complete answer within 1 s" in response.json()["detail"]
    assert elapsed < 3.0  # the whole answer takes over 10 s; each byte comes within 0.05 s


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_sigterm_ends_serve_within_two_seconds(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(yaml.safe_dump({"tokens": [e.model_dump() for e in entries()]}))
    port = free_port()
    async with dripping(0.2) as prometheus:
        serve = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "from pledge.commands.main import main; main()", "serve", "--prometheus-url", prometheus, "--tokens-file", str(tokens),
            "--port", str(port), "--prometheus-timeout", "60", env={**os.environ, "PYTHONPATH": os.getcwd()})
        url = f"http://127.0.0.1:{port}"
        async with client(url) as http:
            await started(http, serve)
            waiting = [asyncio.create_task(http.get(route)) for route in ("/v1/slas", "/v1/slas/shop/checkout") * 3]
            await asyncio.sleep(0.5)  # in flight: each waits on a 60 s Prometheus answer
            serve.send_signal(signal.SIGTERM)
            stopping = time.monotonic()
            await asyncio.wait_for(serve.wait(), 10)
            stopped = time.monotonic() - stopping
            answers = await asyncio.gather(*waiting)
    assert stopped < 2.0 and serve.returncode == -signal.SIGTERM  # uvicorn re-raises the signal once stopped
    for response in answers:
        assert response.status_code == 503 and response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "the server is shutting down; retry" and response.headers["retry-after"]


async def started(http: httpx.AsyncClient, serve: asyncio.subprocess.Process) -> None:
    for _ in range(300):
        assert serve.returncode is None, "pledge serve stopped during start-up"
        try:
            if (await http.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            await asyncio.sleep(0.1)
    raise TimeoutError("pledge serve did not start within 30 s")
