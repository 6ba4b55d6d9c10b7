"""tests/api's figure, alert and report checks (tests.support.api_checks), run against VictoriaMetrics:
every figure the API returns equals the same independent computation from the raw counts."""

from __future__ import annotations

import pytest

from tests.support import api_checks as checks
from tests.support.world import World

pytestmark = [pytest.mark.integration, pytest.mark.victoria]


async def test_the_api_reports_the_burn_alerts_the_raw_counts_call_for(api: str, loaded: World) -> None:
    await checks.the_api_reports_the_burn_alerts_the_raw_counts_call_for(api, loaded)


async def test_burning_sla_shows_its_firing_alerts(api: str) -> None:
    await checks.burning_sla_shows_its_firing_alerts(api)


async def test_rolling_period_sli_budget_and_burn_rates(api: str, loaded: World) -> None:
    await checks.rolling_period_sli_budget_and_burn_rates(api, loaded)


async def test_calendar_month_with_exclusions(api: str, loaded: World) -> None:
    await checks.calendar_month_with_exclusions(api, loaded)


async def test_grouped_sla_per_customer(api: str, loaded: World) -> None:
    await checks.grouped_sla_per_customer(api, loaded)


async def test_period_without_traffic_is_no_data(api: str) -> None:
    await checks.period_without_traffic_is_no_data(api)


async def test_closed_month_report_with_exclusions_and_capped_credit(api: str, loaded: World) -> None:
    await checks.closed_month_report_with_exclusions_and_capped_credit(api, loaded)


async def test_report_from_to_and_bad_parameters(api: str, loaded: World) -> None:
    await checks.report_from_to_and_bad_parameters(api, loaded)


async def test_list_uses_two_queries_and_filters(api: str, loaded: World) -> None:
    await checks.list_uses_two_queries_and_filters(api, loaded)


async def test_history_series(api: str, loaded: World) -> None:
    await checks.history_series(api, loaded)
