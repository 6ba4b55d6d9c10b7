"""A real Prometheus with the world's history and the generated rules, shared by the API tests,
and the API itself served on a free loopback port in each test's event loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Protocol

import httpx
import pytest

from pledge.api.auth import TokenEntry
from pledge.api.server import running_api
from pledge.clock import fixed
from pledge.testing import LocalPrometheus
from pledge.testing import backfill_rules
from pledge.testing.history import load_history, rules_path, write_passes
from pledge.rules import generate
from pledge.rules.model import RuleGroup
from pledge.sla.duration import format_duration
from tests.api import world

TOKENS = {"sre-token": ["read:all"], "acme-token": ["customer:acme"], "initech-token": ["customer:initech"],
          "nasty-token": [f"customer:{world.NASTY}"], "no-scope-token": ["write:nothing"]}


ALERTS_TAIL = 900  # the alerts of the world's end need only its last minutes (load_history's tail)


class Store(Protocol):
    """What the tests read from: a Prometheus, or VictoriaMetrics (tests/victoria)."""

    @property
    def url(self) -> str: ...


@dataclass(frozen=True)
class World:
    prom: Store
    truth: dict[str, world.Truth]
    rate_from_previous_sample: bool = False  # how the store's rate() reads a window: world.Truth.rate_window


async def _record_recent(prom: LocalPrometheus, groups: list[RuleGroup], seconds: int) -> None:
    """Recorded series over the last ``seconds`` only, as if the rules had just been deployed."""
    end = world.END + 1
    for one in write_passes(groups):
        start = one.start(end - seconds, end, ALERTS_TAIL if one.span == "alerts" else seconds, groups)
        say(f"recording {one.name} for the last {end - start:.0f} s")
        path = one.write(rules_path(prom))
        await backfill_rules(prom, [path], start, end, format_duration(min(g.interval for g in groups)))


def say(message: str, started: float = time.monotonic()) -> None:
    print(f"{time.monotonic() - started:6.1f} s  {message}")


def prometheus_world() -> Iterator[World]:
    """The world of the ``loaded`` fixture (tests/conftest.py: one build for the API and console tests)."""
    metrics, truth = world.build()
    with LocalPrometheus() as prom:
        for timeline, raw, groups in world.histories(metrics):
            asyncio.run(load_history(prom, timeline, raw, groups, step=say))
        asyncio.run(_record_recent(prom, generate(world.SLAS[world.FRESH]), world.FRESH_HOURS * 3600))
        yield World(prom, truth)  # no live rules: every answer is as of world.AT, alerts included


def entries() -> list[TokenEntry]:
    return [TokenEntry.from_token(token, token, scopes) for token, scopes in TOKENS.items()]


@pytest.fixture
async def api(loaded: World) -> AsyncIterator[str]:
    async with running_api(world.SLAS.values(), loaded.prom.url, entries(), clock=fixed(world.AT)) as url:
        yield url


def client(url: str, token: str | None = "sre-token") -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=url, headers=headers, timeout=30.0)


async def until_snapshot(http: httpx.AsyncClient, seconds: float = 20.0) -> None:
    """Wait for the API's first background snapshot: answers about now carry its Age from then on."""
    deadline = time.monotonic() + seconds
    while "age" not in (await http.get("/v1/slas")).headers:
        assert time.monotonic() < deadline, "no snapshot"
        await asyncio.sleep(0.1)
