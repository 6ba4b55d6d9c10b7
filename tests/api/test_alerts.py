"""The alerts the API reports at ``at`` are those the raw counts call for then: each burn-rate tier
whose long and short windows both burn faster than its threshold, and no other.

The world's alerts were replayed up to its end (pledge.testing.history); that replay matches
Prometheus' own alerting within an evaluation (tests/integration/test_replayed_alerts.py).
"""

from __future__ import annotations

import pytest

from tests.support import api_checks as checks
from tests.support.world import World

pytestmark = pytest.mark.integration


async def test_the_api_reports_the_burn_alerts_the_raw_counts_call_for(api: str, loaded: World) -> None:
    await checks.the_api_reports_the_burn_alerts_the_raw_counts_call_for(api, loaded)
