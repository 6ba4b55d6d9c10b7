"""Burn-rate windows: the SRE workbook policy, scaled to any period length, with per-SLA overrides.

Burn rate for "a fraction x of the budget spent in window w" is x * period / w. Windows scale with the
period (short = long / 12) so a 7-day SLA pages as fast, in budget terms, as a 30-day one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from pledge.sla.model import Alerting, BurnTier, Window
from pledge.sla.tiers import SRE_WORKBOOK, period_seconds, scale, short_window_for
from pledge.slo.numbers import clean_decimal
from pledge.sla.units import DAY, HOUR, MINUTE

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


def burn_rate(budget_fraction: Decimal, period: int, long: int) -> Decimal:
    return clean_decimal(budget_fraction * Decimal(period) / Decimal(long))


def _default_tiers(period: int) -> dict[str, AlertWindows]:
    tiers = {}
    for name, severity, reference_long, fraction in SRE_WORKBOOK:
        long = scale(reference_long, period)
        tiers[name] = AlertWindows(name, severity, long, short_window_for(long), fraction, burn_rate(fraction, period, long))
    return tiers


def _override(base: AlertWindows | None, tier: BurnTier, period: int) -> AlertWindows:
    """A tier from the SLA: fields it sets replace the default tier of the same name.

    The model has checked the tier (pledge.sla.model.Alerting and SLASpec): a new tier sets severity,
    longWindow and budgetConsumed, and its short window is shorter than its long one.
    """
    long, short = tier.windows(base.long if base else None)
    severity = tier.severity or (base.severity if base else None)
    fraction = tier.budget_consumed / 100 if tier.budget_consumed is not None else (base.budget_fraction if base else None)
    assert severity is not None and fraction is not None, f"tier {tier.name} was not validated"
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
