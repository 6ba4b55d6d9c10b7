"""pledge.slo.windows: the SRE workbook burn-rate table, scaled to other periods, with per-SLA overrides."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pledge.slo.windows import AlertWindows, alert_windows, distinct_windows
from pledge.sla.tiers import period_seconds
from pledge.sla.model import Alerting, BurnTier, Window
from pledge.sla.units import DAY, HOUR, MINUTE

WORKBOOK_RATES = [Decimal("14.4"), Decimal(6), Decimal(3), Decimal(1)]
WORKBOOK_FRACTIONS = [Decimal("0.02"), Decimal("0.05"), Decimal("0.1"), Decimal("0.1")]
TIER_NAMES = ["page-fast", "page-slow", "ticket-fast", "ticket-slow"]


def _alerting(**fields: Any) -> Alerting:
    return Alerting.model_validate(fields)


def rolling(length: str) -> Window:
    """A rolling window as an SLA spells it: pydantic parses the duration, as it does for YAML."""
    return Window.model_validate({"rolling": length})


def _tiers(window: Window, **alerting: Any) -> list[AlertWindows]:
    return alert_windows(_alerting(**alerting), window)


def _table(tiers: list[AlertWindows]) -> list[tuple[str, str, int, int, Decimal]]:
    return [(t.name, t.severity, t.long, t.short, t.burn_rate) for t in tiers]


def test_thirty_days_reproduces_the_sre_workbook_table() -> None:
    tiers = _tiers(rolling("30d"))
    assert _table(tiers) == [
        ("page-fast", "page", HOUR, 5 * MINUTE, Decimal("14.4")),
        ("page-slow", "page", 6 * HOUR, 30 * MINUTE, Decimal(6)),
        ("ticket-fast", "ticket", DAY, 2 * HOUR, Decimal(3)),
        ("ticket-slow", "ticket", 3 * DAY, 6 * HOUR, Decimal(1)),
    ]
    assert [t.budget_fraction for t in tiers] == WORKBOOK_FRACTIONS
    assert str(tiers[0].burn_rate) == "14.4"  # exact decimal, no 14.399999...


@pytest.mark.parametrize(("window", "period", "page_fast_long"), [
    (rolling("7d"), 7 * DAY, 14 * MINUTE),
    (rolling("28d"), 28 * DAY, 56 * MINUTE),
    (rolling("90d"), 90 * DAY, 3 * HOUR),
    (Window(calendar="week"), 7 * DAY, 14 * MINUTE),
    (Window(calendar="month", timezone="Europe/Berlin"), 30 * DAY, HOUR),
    (Window(calendar="quarter"), 91 * DAY, 182 * MINUTE),
])
def test_other_periods_keep_the_burn_rates_and_scale_the_windows(window: Window, period: int, page_fast_long: int) -> None:
    assert period_seconds(window) == period
    tiers = _tiers(window)
    assert [t.name for t in tiers] == TIER_NAMES
    assert [t.severity for t in tiers] == ["page", "page", "ticket", "ticket"]
    assert [t.burn_rate for t in tiers] == WORKBOOK_RATES
    assert [t.budget_fraction for t in tiers] == WORKBOOK_FRACTIONS
    assert tiers[0].long == page_fast_long
    reference = [HOUR, 6 * HOUR, DAY, 3 * DAY]
    for tier, ref in zip(tiers, reference):
        assert tier.long % MINUTE == 0 and tier.short % MINUTE == 0
        assert tier.long == ref * period // (30 * DAY)  # these periods scale to whole minutes exactly
        assert tier.budget_fraction * period / tier.long == tier.burn_rate
        assert 5 * MINUTE <= tier.short < tier.long
        assert tier.short == max(5 * MINUTE, round(tier.long / 12 / MINUTE) * MINUTE)


def test_windows_grow_with_the_period() -> None:
    longs = [[t.long for t in _tiers(rolling(f"{days}d"))] for days in (7, 28, 30, 90)]
    for shorter, longer in zip(longs, longs[1:]):
        assert all(a < b for a, b in zip(shorter, longer))


@settings(max_examples=80)
@given(st.integers(min_value=24, max_value=400 * 24))
def test_any_rolling_period_gives_consistent_windows(hours: int) -> None:
    """Whatever the period, each tier's burn rate is exactly its budget share times period over long window."""
    window = rolling(f"{hours}h")
    tiers = _tiers(window)
    assert {t.name for t in tiers} == set(TIER_NAMES)
    for tier in tiers:
        assert tier.long % MINUTE == 0 and tier.short % MINUTE == 0
        assert 10 * MINUTE <= tier.long
        assert 5 * MINUTE <= tier.short < tier.long
        exact = tier.budget_fraction * Decimal(hours * HOUR) / Decimal(tier.long)
        assert abs(tier.burn_rate - exact) <= exact * Decimal("1e-11")
    assert [t.long for t in tiers] == sorted(t.long for t in tiers)


@pytest.mark.parametrize("period", ["1d", "2d", "3d"])
def test_short_periods_never_page_below_burn_rate_one(period: str) -> None:
    """The shortest periods the spec accepts (1d) still give burn rates of at least 1 once the long
    window is clamped to 10 minutes: no alert fires while the SLA is on course to be met."""
    tiers = _tiers(rolling(period))
    assert tiers, "a short period still gets alerts (or the spec should reject it)"
    assert all(t.burn_rate >= 1 for t in tiers), _table(tiers)


def test_override_a_default_tier_by_name() -> None:
    tiers = _tiers(rolling("30d"), tiers=[{"name": "page-fast", "longWindow": "2h"}])
    page_fast = next(t for t in tiers if t.name == "page-fast")
    assert (page_fast.severity, page_fast.long, page_fast.short) == ("page", 2 * HOUR, 10 * MINUTE)
    assert page_fast.budget_fraction == Decimal("0.02")
    assert page_fast.burn_rate == Decimal("7.2")  # 0.02 * 30d / 2h
    assert [t.name for t in tiers] == ["page-fast", "page-slow", "ticket-fast", "ticket-slow"]
    assert _table(tiers)[1:] == _table(_tiers(rolling("30d")))[1:]


def test_override_short_window_severity_and_budget() -> None:
    tiers = _tiers(rolling("30d"), tiers=[
        {"name": "ticket-fast", "shortWindow": "1h", "severity": "page", "budgetConsumed": "20"},
    ])
    tier = next(t for t in tiers if t.name == "ticket-fast")
    assert (tier.severity, tier.long, tier.short) == ("page", DAY, HOUR)
    assert tier.budget_fraction == Decimal("0.2")
    assert tier.burn_rate == Decimal(6)


def test_disable_a_tier() -> None:
    tiers = _tiers(rolling("28d"), tiers=[{"name": "ticket-slow", "enabled": False}])
    assert [t.name for t in tiers] == ["page-fast", "page-slow", "ticket-fast"]


def test_add_a_new_tier() -> None:
    tiers = _tiers(rolling("30d"), tiers=[
        {"name": "page-instant", "severity": "page", "longWindow": "30m", "budgetConsumed": "1"},
    ])
    assert [t.name for t in tiers] == ["page-instant", *TIER_NAMES]  # fastest first
    new = tiers[0]
    assert (new.severity, new.long, new.short) == ("page", 30 * MINUTE, 5 * MINUTE)
    assert new.budget_fraction == Decimal("0.01")
    assert new.burn_rate == Decimal("14.4")  # 0.01 * 720h / 0.5h


@pytest.mark.parametrize("budget", ["0", "0.0"])
def test_budget_consumed_of_zero_is_rejected(budget: str) -> None:
    """0 % of the budget gives a burn rate of 0, i.e. a threshold of `> 0`: an alert on any single error.
    Either the spec or alert_windows must refuse it."""
    tier = {"name": "custom", "severity": "page", "longWindow": "1h", "budgetConsumed": budget}
    with pytest.raises(ValueError):
        _tiers(rolling("30d"), tiers=[tier])


def test_policy_none() -> None:
    assert _tiers(rolling("30d"), policy="none") == []
    assert _tiers(Window(calendar="month"), policy="none") == []
    only = _tiers(rolling("30d"), policy="none",
                  tiers=[{"name": "mine", "severity": "ticket", "longWindow": "1d", "budgetConsumed": "10"}])
    assert _table(only) == [("mine", "ticket", DAY, 2 * HOUR, Decimal(3))]


def test_disabling_every_tier_leaves_no_alerts() -> None:
    assert _tiers(rolling("30d"), tiers=[{"name": n, "enabled": False} for n in TIER_NAMES]) == []


def test_distinct_windows() -> None:
    assert distinct_windows(_tiers(rolling("30d"))) == [
        5 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 6 * HOUR, DAY, 3 * DAY]
    assert distinct_windows([]) == []


def test_spec_round_trip_of_tiers() -> None:
    alerting = _alerting(tiers=[{"name": "page-fast", "longWindow": "90m", "shortWindow": "10m"}])
    tier = alerting.tiers[0]
    assert isinstance(tier, BurnTier) and int(tier.long_window or 0) == 90 * MINUTE
    assert alerting.model_dump(by_alias=True, mode="json")["tiers"][0]["longWindow"] == "1h30m"
