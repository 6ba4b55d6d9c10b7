"""Burn-rate windows: the SRE workbook policy, scaled to any period length, with per-SLA overrides.

Burn rate for "a fraction x of the budget spent in window w" is x * period / w. Windows scale with the
period (short = long / 12) so a 7-day SLA pages as fast, in budget terms, as a 30-day one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from pledge.sla.model import Alerting, BurnTier, Window
from pledge.slo.numbers import clean_decimal
from pledge.sla.units import DAY, HOUR, MINUTE

REFERENCE_PERIOD = 30 * DAY
NOMINAL_CALENDAR = {"week": 7 * DAY, "month": 30 * DAY, "quarter": 91 * DAY}
MIN_SHORT_WINDOW = 5 * MINUTE  # the base rate window: shorter windows would read too few scrapes
MIN_LONG_WINDOW = 10 * MINUTE
SHORT_WINDOW_DIVISOR = 12
# The burn-rate windows the API reports and charts (5m 30m 1h 6h 1d 3d), whatever an SLA alerts on,
# so every SLA's page reads alike; one the SLA does not record is summed from its base rates.
BURN_WINDOWS: Final = (5 * MINUTE, 30 * MINUTE, HOUR, 6 * HOUR, DAY, 3 * DAY)


@dataclass(frozen=True)
class AlertWindows:
    """One multiwindow burn-rate alert, fully resolved: windows in seconds, exact burn rate."""

    name: str
    severity: str
    long: int
    short: int
    budget_fraction: Decimal
    burn_rate: Decimal


# name, severity, long window for a 30-day period, share of the budget it spends (SRE workbook 5-8)
SRE_WORKBOOK: tuple[tuple[str, str, int, Decimal], ...] = (
    ("page-fast", "page", HOUR, Decimal("0.02")),
    ("page-slow", "page", 6 * HOUR, Decimal("0.05")),
    ("ticket-fast", "ticket", DAY, Decimal("0.1")),
    ("ticket-slow", "ticket", 3 * DAY, Decimal("0.1")),
)


def period_seconds(window: Window) -> int:
    """Nominal period length: the rolling window, or a typical calendar period (30 d for a month)."""
    if window.rolling is not None:
        return int(window.rolling)
    assert window.calendar is not None
    return NOMINAL_CALENDAR[window.calendar]


def scale(seconds: int, period: int) -> int:
    """A reference (30-day) window scaled to ``period``, in whole minutes, at least ten minutes."""
    scaled = round(seconds * period / REFERENCE_PERIOD / 60) * 60
    return max(MIN_LONG_WINDOW, scaled)


def short_window_for(long: int) -> int:
    return max(MIN_SHORT_WINDOW, round(long / SHORT_WINDOW_DIVISOR / 60) * 60)


def burn_rate(budget_fraction: Decimal, period: int, long: int) -> Decimal:
    return clean_decimal(budget_fraction * Decimal(period) / Decimal(long))


def _default_tiers(period: int) -> dict[str, AlertWindows]:
    tiers = {}
    for name, severity, reference_long, fraction in SRE_WORKBOOK:
        long = scale(reference_long, period)
        tiers[name] = AlertWindows(name, severity, long, short_window_for(long), fraction, burn_rate(fraction, period, long))
    return tiers


def _override(base: AlertWindows | None, tier: BurnTier, period: int) -> AlertWindows:
    """A tier from the SLA: fields it sets replace the default tier of the same name."""
    severity = tier.severity or (base.severity if base else None)
    long = int(tier.long_window) if tier.long_window else (base.long if base else None)
    fraction = tier.budget_consumed / 100 if tier.budget_consumed is not None else (base.budget_fraction if base else None)
    if severity is None or long is None or fraction is None:
        raise ValueError(
            f'alerting.tiers "{tier.name}": a new tier needs severity, longWindow and budgetConsumed '
            "(only the default tiers page-fast, page-slow, ticket-fast, ticket-slow can be partly overridden)"
        )
    short = int(tier.short_window) if tier.short_window else short_window_for(long)
    if short >= long:
        raise ValueError(f'alerting.tiers "{tier.name}": shortWindow must be shorter than longWindow')
    return AlertWindows(tier.name, severity, long, short, clean_decimal(fraction), burn_rate(fraction, period, long))


def alert_windows(alerting: Alerting, window: Window) -> list[AlertWindows]:
    """The burn-rate alerts an SLA gets, fastest first."""
    if alerting.policy == "none" and not alerting.tiers:
        return []
    period = period_seconds(window)
    tiers = _default_tiers(period) if alerting.policy == "sre-workbook" else {}
    for tier in alerting.tiers:
        if tier.enabled:
            tiers[tier.name] = _override(tiers.get(tier.name), tier, period)
        else:
            tiers.pop(tier.name, None)
    return sorted(tiers.values(), key=lambda t: (t.long, t.name))


def distinct_windows(tiers: list[AlertWindows]) -> list[int]:
    """Every window the alerts read, shortest first (each is recorded once)."""
    return sorted({w for t in tiers for w in (t.long, t.short)})
