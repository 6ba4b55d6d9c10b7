"""Shared, session-scoped backtests: the pledge model trains once per process (seconds)."""

from __future__ import annotations

import pytest

from pledge.forecasting.backtest import run
from pledge.forecasting.methods import BurnRate, Linear
from pledge.forecasting.analogs import Pledge
from research.forecasting.scenarios import Scenario, suite
from pledge.forecasting.scoring import Tally
from pledge.sla.units import DAY

TEST_SEEDS = range(10)  # the model trains on seeds 1000+: these are unseen


@pytest.fixture(scope="session")
def scenarios() -> list[Scenario]:
    return suite(TEST_SEEDS)


@pytest.fixture(scope="session")
def scores(scenarios: list[Scenario]) -> dict[tuple[str, int], Tally]:
    return run([(s.series, s.goal) for s in scenarios], [Pledge(), Linear(), BurnRate()], [DAY])
