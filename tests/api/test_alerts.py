"""The alerts the API reports at ``at`` are those the raw counts call for then: each burn-rate tier
whose long and short windows both burn faster than its threshold, and no other.

The world's alerts were replayed up to its end (pledge.testing.history); that replay matches
Prometheus' own alerting within an evaluation (tests/integration/test_replayed_alerts.py).
"""

from __future__ import annotations

import pytest

from pledge.slo.exclusions import intervals
from pledge.slo.windows import alert_windows
from pledge.sla import ServiceLevelAgreement, budget_ratio
from tests.api import world
from tests.api.conftest import World
from tests.api.test_figures import detail

pytestmark = pytest.mark.integration
MARGIN = 0.1  # each expected alert is decided by ratios this far from the threshold: no coin flips


def expected_burns(loaded: World, at: float) -> set[tuple[str, str, str]]:
    """(sla, group, tier) of every burn-rate alert the raw counts call for at ``at``: both windows'
    error ratios (maintenance left out, as the rules do) above the tier's threshold."""
    expected = set()
    for name, sla in world.SLAS.items():
        [objective] = sla.spec.objectives
        for group in (world.CUSTOMERS if sla.spec.grouping else ("",)):
            truth = loaded.truth[group or name]
            for tier in alert_windows(sla.spec.alerting, sla.spec.window):
                threshold = float(tier.burn_rate * budget_ratio(objective.target))
                ratios = [burn_ratio(truth, sla, at, seconds) for seconds in (tier.long, tier.short)]
                clear = any(r < threshold * (1 - MARGIN) for r in ratios) or all(r > threshold * (1 + MARGIN) for r in ratios)
                assert clear, f"{name} {group!r} {tier.name}: {ratios} too close to {threshold} to call"
                if all(r > threshold for r in ratios):
                    expected.add((name, group, tier.name))
    return expected


def burn_ratio(truth: world.Truth, sla: ServiceLevelAgreement, at: float, seconds: int) -> float:
    excluded = world.masked(intervals(sla.spec.exclusions, at - seconds - 300, at))
    bad, valid = truth.events(at - seconds, at, excluded)
    return bad / valid if valid else 0.0



async def test_the_api_reports_the_burn_alerts_the_raw_counts_call_for(api: str, loaded: World) -> None:
    expected = expected_burns(loaded, world.AT)
    reported = set()
    for name in world.SLAS:
        for row in (await detail(api, name))["objectives"]:
            reported |= {(name, row["group"].get("customer", ""), a["labels"]["burn_tier"])
                         for a in row["alerts"] if a["name"] == "SLAErrorBudgetBurn"}
    assert {tier for sla, _, tier in expected if sla == "burning"} == {"page-slow", "ticket-fast", "ticket-slow"}
    assert reported == expected
