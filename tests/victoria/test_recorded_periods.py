"""The calendar-period series the rules record, read from VictoriaMetrics, count every 5 m tile
since the month began once and every tile touching maintenance not at all (pledge.rules.tiles):
VictoriaMetrics' open ranges and lookback hold the same tiles as Prometheus'.
"""

from __future__ import annotations

import pytest

from pledge.prom import PrometheusClient
from pledge.slo.exclusions import intervals
from tests.support import world
from tests.support.api_checks import recorded_at
from tests.support.world import World

pytestmark = [pytest.mark.integration, pytest.mark.victoria]
TILE = 300
# The truth below masks whole maintenance windows and the tile after each, to the step: a tile before
# each window may differ (about 1e-5 of a month's events each); the ratio moves by less.
EVENTS_REL = 1e-4
RATIO_ABS = 1e-6


async def test_recorded_calendar_month_counts_each_tile_once(loaded: World) -> None:
    start, spec = world.month_start(world.END), world.SLAS["monthly"].spec
    evaluated = await recorded_at(loaded, "pledge:sli_requests:period_increase", "monthly")
    first = evaluated - (evaluated - start) // TILE * TILE  # where the first tile of the month starts
    excluded = world.masked(intervals(spec.exclusions, start, evaluated))
    bad, valid = loaded.truth["monthly"].events(first, evaluated, excluded)
    found = await recorded_values(loaded, "monthly")
    print(f"monthly recorded: {found['requests']} requests (exact {valid}), ratio {found['ratio']} "
          f"(exact {bad / valid if valid else None}), {len(excluded)} maintenance windows")
    assert found["requests"] == pytest.approx(valid, rel=EVENTS_REL)
    if valid == 0:  # no tile started in the month yet: no events, and no ratio (never NaN)
        assert found["ratio"] is None
    else:
        assert found["ratio"] == pytest.approx(bad / valid, abs=RATIO_ABS)


async def recorded_values(loaded: World, sla: str) -> dict[str, float | None]:
    async with PrometheusClient(loaded.prom.url) as prom:
        [requests] = await prom.query(f'pledge:sli_requests:period_increase{{sla="{sla}"}}', at=world.AT)
        ratio = await prom.query(f'pledge:sli_error_ratio:period{{sla="{sla}"}}', at=world.AT)
    return {"requests": requests.value, "ratio": ratio[0].value if ratio else None}
