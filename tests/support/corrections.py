"""The world's monthly SLA and its October outage as the correction tests use them (tests.support.world):
the forgotten maintenance over the outage, the raw counts a correction's interval holds worked out by
hand, and the credit the SLA's tiers give an SLI."""

from __future__ import annotations

from pledge.prom import PrometheusClient
from pledge.sla.percent import format_percent
from pledge.slo.budget import credit_percent
from tests.support import world
from tests.support.world import World

TILE = 300
MONTHLY = world.SLAS["monthly"]
OCTOBER = world.PREVIOUS_MONTH
OUTAGE = world.MONTH_OUTAGE  # 6 h of 100 % errors
FORGOTTEN = {"start": world.iso(OUTAGE[0]), "end": world.iso(OUTAGE[1]), "effect": "exclude", "category": "maintenance",
             "reason": "database upgrade, announced but left out of exclusions", "ref": "CHG-1234", "approvedBy": "cs-lead"}


async def held(loaded: World, interval: tuple[float, float]) -> tuple[int, int]:
    """The raw counts a correction's interval holds by hand: those of the tiles that start within it
    (as a period holds the tiles that start in it), placed where the recorded tiles of the time sit
    within each 5 minutes (the rule group's evaluation offset; the backfill passes set it)."""
    a, b = interval
    async with PrometheusClient(loaded.prom.url) as prom:
        [sample] = await prom.query('max(timestamp(pledge:sli_requests:increase5m{sla="monthly"}))', at=b)
    phase = sample.value % TILE
    first = a + (phase - a) % TILE
    last = b - 1 - (b - 1 - phase) % TILE
    return loaded.truth["monthly"].events(first, last + TILE)


def credit(sli: float) -> str | None:
    """The credit the monthly SLA's tiers and cap give ``sli`` (pledge.slo.budget, the hand's rule)."""
    objective = MONTHLY.spec.objectives[0]
    applies = [c for c in MONTHLY.spec.credits if c.below <= objective.target]
    found = credit_percent(sli, objective, applies, MONTHLY.spec.credit_cap)
    return format_percent(found) if found is not None else None
