"""Closed-period reports, the SLA list (constant queries, filters, pages) and history series."""

from __future__ import annotations

import pytest

from tests.support import api_checks as checks
from tests.support.world import World

pytestmark = pytest.mark.integration


async def test_closed_month_report_with_exclusions_and_capped_credit(api: str, loaded: World) -> None:
    await checks.closed_month_report_with_exclusions_and_capped_credit(api, loaded)


async def test_report_from_to_and_bad_parameters(api: str, loaded: World) -> None:
    await checks.report_from_to_and_bad_parameters(api, loaded)


async def test_list_uses_two_queries_and_filters(api: str, loaded: World) -> None:
    await checks.list_uses_two_queries_and_filters(api, loaded)


async def test_history_series(api: str, loaded: World) -> None:
    await checks.history_series(api, loaded)
