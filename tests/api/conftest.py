"""A real Prometheus with the world's history and the generated rules, shared by the API tests,
and the API itself served on a free loopback port in each test's event loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import httpx
import pytest

from pledge.api.auth import TokenEntry
from pledge.api.server import running_api
from pledge.prom import LocalPrometheus, PrometheusClient
from pledge.prom import backfill_rules
from pledge.prom.history import load_history, write_passes
from pledge.rules import generate
from pledge.rules.model import RuleGroup
from pledge.spec.duration import format_duration
from tests.api import world

TOKENS = {"sre-token": ["read:all"], "acme-token": ["customer:acme"], "initech-token": ["customer:initech"],
          "nasty-token": [f"customer:{world.NASTY}"], "no-scope-token": ["write:nothing"]}


class Store(Protocol):
    """What the tests read from: a Prometheus, or VictoriaMetrics (tests/victoria)."""

    @property
    def url(self) -> str: ...


@dataclass(frozen=True)
class World:
    prom: Store
    truth: dict[str, world.Truth]
    rate_from_previous_sample: bool = False  # how the store's rate() reads a window: world.Truth.rate_window


def _evaluated(groups: list[dict[str, object]], suffix: str) -> list[float]:
    """When each group named ``*suffix`` was last evaluated (0 for never)."""
    stamps = [str(g.get("lastEvaluation", "")) for g in groups if str(g["name"]).endswith(suffix)]
    return [datetime.fromisoformat(s).timestamp() if s and not s.startswith("0001") else 0.0 for s in stamps]


async def alerts_evaluated(url: str, after: float, timeout: float = 180.0) -> None:
    """Wait until every alert group ran after the SLI groups' first run after ``after``: by then
    the alerts read live windows, not the backfilled tail, which may have gone stale meanwhile."""
    async with PrometheusClient(url) as client:
        deadline, sli_done = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            groups = await client.rule_groups()
            sli, alerts = _evaluated(groups, "-sli"), _evaluated(groups, "-alerts")
            if sli_done is None and sli and min(sli) > after:
                sli_done = max(sli)
            if sli_done is not None and alerts and min(alerts) > sli_done:
                return
            await asyncio.sleep(0.5)
    raise TimeoutError("the store did not evaluate the SLI and then the alert rules in time")


async def _record_recent(prom: LocalPrometheus, groups: list[RuleGroup], seconds: int) -> None:
    """Recorded series over the last ``seconds`` only, as if the rules had just been deployed."""
    end = world.END + 1
    for path, _ in write_passes(groups, prom.workdir):
        say(f"recording {path.stem} for the last {seconds} s")
        await backfill_rules(prom, [path], end - seconds, end, format_duration(min(g.interval for g in groups)))


def say(message: str, started: float = time.monotonic()) -> None:
    print(f"{time.monotonic() - started:6.1f} s  {message}")


@pytest.fixture(scope="session")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    metrics, truth = world.build()
    rules = world.write_rules(Path(tmp_path_factory.mktemp("rules")))
    with LocalPrometheus() as prom:
        for timeline, raw, groups in world.histories(metrics):
            asyncio.run(load_history(prom, timeline, raw, groups, step=say))
        asyncio.run(_record_recent(prom, generate(world.SLAS[world.FRESH]), world.FRESH_HOURS * 3600))
        loaded_at = time.time()
        prom.reload([rules])
        asyncio.run(alerts_evaluated(prom.url, loaded_at))
        yield World(prom, truth)


def entries() -> list[TokenEntry]:
    return [TokenEntry.from_token(token, token, scopes) for token, scopes in TOKENS.items()]


@pytest.fixture
async def api(loaded: World) -> AsyncIterator[str]:
    async with running_api(world.SLAS.values(), loaded.prom.url, entries()) as url:
        yield url


def client(url: str, token: str | None = "sre-token") -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=url, headers=headers, timeout=30.0)
