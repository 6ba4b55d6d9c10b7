"""Prometheus killed, slow or talking nonsense: the right status codes, no crash, recovery."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from pledge.api.server import running_api
from pledge.testing import LocalPrometheus
from tests.support import world
from tests.support.world import client, entries, until_snapshot

pytestmark = pytest.mark.integration
ROUTES = ["/v1/slas", f"/v1/slas/{world.NS}/bursty", f"/v1/slas/{world.NS}/monthly/report?period=2026-10",
          f"/v1/slas/{world.NS}/grouped/history?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&step=1h"]


async def statuses(http: httpx.AsyncClient) -> list[int]:
    return [(await http.get(route)).status_code for route in ROUTES]


@pytest.fixture
def prometheus() -> Iterator[LocalPrometheus]:
    with LocalPrometheus() as prom:
        yield prom


def assert_problem(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and "Traceback" not in response.text
    assert all(w in body["detail"] for w in words), body["detail"]


async def test_prometheus_killed_then_restarted(prometheus: LocalPrometheus) -> None:
    async with running_api(world.SLAS.values(), prometheus.url, entries(), prometheus_timeout=2.0,
                           snapshot_seconds=0) as url:
        async with client(url) as http:
            assert await statuses(http) == [200] * len(ROUTES)
            assert prometheus.pid is not None
            os.kill(prometheus.pid, signal.SIGKILL)
            await asyncio.sleep(0.2)
            for route in ROUTES:
                response = await http.get(route)
                assert_problem(response, 503, "Prometheus is unavailable", "cannot reach")
                assert response.headers["retry-after"] == "5"
            assert_problem(await http.get("/readyz"), 503, "not ready")
            assert (await http.get("/healthz")).status_code == 200
            prometheus.restart()
            assert (await http.get("/readyz")).status_code == 200
            assert await statuses(http) == [200] * len(ROUTES)


async def test_the_snapshot_bridges_a_dead_prometheus_for_two_refreshes(prometheus: LocalPrometheus) -> None:
    """Answers about now come from the last snapshot, with its Age, for two refresh intervals after
    Prometheus dies; then they are computed at request time again, and say Prometheus is down."""
    async with running_api(world.SLAS.values(), prometheus.url, entries(), prometheus_timeout=1.0,
                           snapshot_seconds=1.0) as url, client(url) as http:
        await until_snapshot(http)
        assert prometheus.pid is not None
        os.kill(prometheus.pid, signal.SIGKILL)
        served = await http.get(f"/v1/slas/{world.NS}/bursty")
        assert served.status_code == 200 and int(served.headers["age"]) <= 2
        await asyncio.sleep(2.5)
        for route in ROUTES[:2]:
            assert_problem(await http.get(route), 503, "cannot reach")


class SlowProxy:
    """A TCP proxy on loopback that holds each request ``delay`` seconds before passing it on."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream, self.delay = (host, int(port)), 0.0
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        await asyncio.gather(self._pump(reader, up_writer, delayed=True), self._pump(up_reader, writer, delayed=False),
                             return_exceptions=True)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delayed: bool) -> None:
        try:
            while data := await reader.read(65_536):
                if delayed and self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()


async def test_slow_prometheus_times_out_then_recovers(prometheus: LocalPrometheus) -> None:
    proxy = SlowProxy(prometheus.url)
    async with proxy as slow_url, running_api(world.SLAS.values(), slow_url, entries(),
                                              prometheus_timeout=0.5, prometheus_retries=0, snapshot_seconds=0) as url:
        async with client(url) as http:
            assert (await http.get("/v1/slas")).status_code == 200
            proxy.delay = 3.0
            started = asyncio.get_running_loop().time()
            assert_problem(await http.get(f"/v1/slas/{world.NS}/bursty"), 503, "cannot reach")
            assert asyncio.get_running_loop().time() - started < 2.5
            proxy.delay = 0.0
            assert (await http.get(f"/v1/slas/{world.NS}/bursty")).status_code == 200


GOOD_VECTOR = {"status": "success", "data": {"resultType": "vector", "result": []}}
GOOD_ALERTS = {"status": "success", "data": {"alerts": []}}
GOOD_MATRIX = {"status": "success", "data": {"resultType": "matrix", "result": []}}


def answer(status: int, body: object) -> Callable[[httpx.Request], httpx.Response]:
    text = body if isinstance(body, str) else json.dumps(body)
    return lambda request: httpx.Response(status, text=text)


GARBAGE = [
    (answer(200, "<html>proxy login</html>"), 502, "not JSON"),
    (answer(200, [1, 2, 3]), 502, "not a Prometheus API envelope"),
    (answer(200, {"status": "success", "data": {"resultType": "string", "result": "x"}}), 502, "expected a"),
    (answer(200, {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}}]}}), 502, "not its API"),
    (answer(200, {"status": "error", "errorType": "bad_data", "error": "parse error"}), 502, "rejected a query"),
    (answer(503, {"status": "error", "errorType": "timeout", "error": "query timed out"}), 503, "timeout"),
    (answer(500, "<html>bad gateway</html>"), 503, "HTTP 500"),
]



@pytest.fixture
async def mocked() -> AsyncIterator[tuple[str, list[Callable[[httpx.Request], httpx.Response]]]]:
    handlers: list[Callable[[httpx.Request], httpx.Response]] = []

    def route(request: httpx.Request) -> httpx.Response:
        if handlers:
            return handlers[-1](request)
        good = {"alerts": GOOD_ALERTS, "query_range": GOOD_MATRIX}.get(request.url.path.rsplit("/", 1)[-1], GOOD_VECTOR)
        return httpx.Response(200, json=good)

    async with running_api(world.SLAS.values(), "http://prometheus.invalid", entries(),
                           transport=httpx.MockTransport(route), prometheus_retries=1, snapshot_seconds=0) as url:
        yield url, handlers


@pytest.mark.parametrize(("handler", "status", "words"), GARBAGE, ids=[g[2] for g in GARBAGE])
async def test_garbage_from_prometheus(mocked: tuple[str, list[Callable[[httpx.Request], httpx.Response]]],
                                       handler: Callable[[httpx.Request], httpx.Response], status: int,
                                       words: str) -> None:
    url, handlers = mocked
    async with client(url) as http:
        handlers.append(handler)
        for route in ROUTES:
            assert_problem(await http.get(route), status, words)
        handlers.clear()
        assert await statuses(http) == [200] * len(ROUTES)
