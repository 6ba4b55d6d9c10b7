"""Error budgets in events and in minutes (pledge.slo.budget), as the API's SLA page shows them."""

from __future__ import annotations

import pytest

from pledge.slo.budget import Allowance, event_budget, minute_budget
from pledge.sla.model import Objective
from pledge.sla.units import DAY, HOUR

OBJECTIVE = Objective.model_validate({"name": "availability", "target": "99.9",
                                      "sli": {"ratio": {"errors": 'http_requests_total{code=~"5.."}',
                                                        "total": "http_requests_total"}}})


def test_an_event_budget_is_the_budget_share_of_the_valid_events() -> None:
    budget = event_budget(bad=400, valid=1_000_000, objective=OBJECTIVE)
    assert budget.total == pytest.approx(1_000)
    assert budget.consumed == 400
    assert budget.remaining == pytest.approx(600)


def test_overspent_is_negative() -> None:
    assert Allowance(total=10, consumed=25).remaining == -15


def test_thirty_days_at_99_9_allow_43_minutes_of_outage() -> None:
    budget = minute_budget(0.0, OBJECTIVE, measured_period=30 * DAY, measured_so_far=DAY)
    assert budget.total == pytest.approx(43.2)
    assert budget.consumed == 0


def test_minutes_spent_are_the_error_ratio_times_the_time_so_far() -> None:
    budget = minute_budget(0.002, OBJECTIVE, measured_period=30 * DAY, measured_so_far=10 * DAY)
    assert budget.consumed == pytest.approx(28.8)  # twice the sustainable rate for a third of the period
    assert budget.remaining == pytest.approx(43.2 - 28.8)


def test_maintenance_left_out_of_the_period_shrinks_the_budget() -> None:
    whole = minute_budget(0.0, OBJECTIVE, 30 * DAY, 0).total
    assert minute_budget(0.0, OBJECTIVE, 30 * DAY - 4 * HOUR, 0).total == pytest.approx(whole * (1 - 4 * HOUR / (30 * DAY)))
