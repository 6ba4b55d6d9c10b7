"""The world's monthly SLA (tests.support.world: a 6-hour outage at 100 % errors on its previous month's
13th) kept in a real git repository and served from it as `pledge serve --sla-dir` does, and the counts
worked out by hand from the raw counters that the terms and review proofs (tests/api/test_terms_proof.py,
tests/api/test_review_proof.py) check the API against: the recorded 5 m tiles a period holds (those that
start in it, less those the maintenance windows mask), and the credits table applied by hand."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from pledge.api.app import create_app
from pledge.api.auth import TokenStore
from pledge.api.server import serving
from pledge.api.settings import Settings
from pledge.api.sources import DirectorySource
from pledge.clock import fixed
from pledge.prom import PrometheusClient
from pledge.sla.units import DAY
from pledge.slo.exclusions import intervals
from tests.support import events, world
from tests.support.api_checks import TILE
from tests.support.gitrepo import Repo
from tests.support.world import World, entries

MONTH = world.PREVIOUS_MONTH
OUTAGE = world.MONTH_OUTAGE
CAP = Decimal(20)  # the monthly SLA's creditCap

Tile = tuple[float, int, int]  # (start, bad, valid) of one recorded 5 m tile


def document(target: str, **spec: Any) -> str:
    """The world's monthly SLA (its namespace, name and series), with ``target`` and further spec fields."""
    body = world.SLAS["monthly"].model_dump(by_alias=True, mode="json", exclude_none=True)
    body["spec"]["objectives"][0]["target"] = target
    body["spec"].update(spec)
    return yaml.safe_dump(body, sort_keys=False)


def repo_of(tmp_path: Path, *versions: tuple[float, str]) -> Repo:
    """A git repository holding monthly.yaml: the first version committed by Alice, the later ones by Bob."""
    repo = Repo(tmp_path / "slas")
    for n, (at, text) in enumerate(versions, 1):
        repo.write("monthly.yaml", text)
        repo.commit(f"monthly, version {n}", world.iso(at), *(("Bob", "bob@example.com") if n > 1 else ()))
    return repo


@asynccontextmanager
async def served(repo: Repo, loaded: World) -> AsyncIterator[str]:
    """The API over the repository's SLA files (their git history), its clock at the world's end."""
    settings = Settings(prometheus_url=loaded.prom.url, snapshot_seconds=0)
    app = create_app(DirectorySource(repo.path), TokenStore(entries()), settings, clock=fixed(world.AT))
    async with serving(app) as url:
        yield url


async def recorded_tiles(loaded: World, start: float, end: float, read_at: float = math.inf) -> list[Tile]:
    """Each recorded 5 m tile by hand, with its raw counts: those that start in [start, end) and are
    recorded by ``read_at`` (a period is read at its end), each placed where the rule group's evaluations
    put it, less those a maintenance window masks (evaluated from its start to 5 minutes after its end).
    The world's first tile is one that starts at or after its raw counters' first sample (the tile that
    straddles it is not recorded): it matters to a period reaching back before the world, a quarter of
    the month-edge world."""
    async with PrometheusClient(loaded.prom.url) as prom:
        [sample] = await prom.query('max(timestamp(pledge:sli_requests:increase5m{sla="monthly"}))', at=MONTH[1])
    raw = loaded.truth["monthly"]
    counts = events.Truth(raw.stamps, raw.requests, raw.bad)
    masked = intervals(world.SLAS["monthly"].spec.exclusions, min(start, MONTH[0]) - DAY, max(end, MONTH[1]) + DAY)
    found: list[Tile] = []
    tile = start + (sample.value - start) % TILE
    while tile < end and tile + TILE <= read_at:
        if tile >= world.TIMELINE.start and not any(a <= tile + TILE < b + TILE for a, b in masked):
            b, v = counts.events(tile, tile + TILE)
            found.append((tile, b, v))
        tile += TILE
    return found


async def tiles(loaded: World, start: float, end: float, read_at: float = math.inf) -> tuple[int, int]:
    """(bad, valid) by hand: the raw counts of the recorded tiles that start in [start, end) and are
    recorded by ``read_at`` (recorded_tiles), summed."""
    found = await recorded_tiles(loaded, start, end, read_at)
    return sum(b for _, b, _ in found), sum(v for _, _, v in found)


def judged(bad: int, valid: int, target: Decimal) -> tuple[str, str | None]:
    """State and credit of a closed month by hand: Met at or above target, else Breached; the highest
    credit tier whose ``below`` the SLI is under, among those at or below the target, capped."""
    sli = Decimal(valid - bad) / Decimal(valid) * 100
    tiers = [(Decimal(c["below"]), Decimal(c["percent"])) for c in world.CREDITS if Decimal(c["below"]) <= target]
    owed = max((percent for below, percent in tiers if sli < below), default=Decimal(0))
    return ("Met" if sli >= target else "Breached"), (str(min(owed, CAP)) if tiers else None)
