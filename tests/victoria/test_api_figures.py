"""tests/api's figure tests, run against VictoriaMetrics: every figure the API returns equals the
same independent computation from the raw counts."""

from __future__ import annotations

import pytest

from tests.api.test_alerts import test_the_api_reports_the_burn_alerts_the_raw_counts_call_for
from tests.api.test_figures import (
    test_burning_sla_shows_its_firing_alerts,
    test_calendar_month_with_exclusions,
    test_grouped_sla_per_customer,
    test_period_without_traffic_is_no_data,
    test_rolling_period_sli_budget_and_burn_rates,
)
from tests.api.test_reports import (
    test_closed_month_report_with_exclusions_and_capped_credit,
    test_history_series,
    test_list_uses_two_queries_and_filters,
    test_report_from_to_and_bad_parameters,
)

pytestmark = [pytest.mark.integration, pytest.mark.victoria]
__all__ = [
    "test_burning_sla_shows_its_firing_alerts",
    "test_calendar_month_with_exclusions",
    "test_closed_month_report_with_exclusions_and_capped_credit",
    "test_grouped_sla_per_customer",
    "test_history_series",
    "test_list_uses_two_queries_and_filters",
    "test_period_without_traffic_is_no_data",
    "test_report_from_to_and_bad_parameters",
    "test_rolling_period_sli_budget_and_burn_rates",
    "test_the_api_reports_the_burn_alerts_the_raw_counts_call_for",
]
