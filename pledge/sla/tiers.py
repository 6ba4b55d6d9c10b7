"""The default burn-rate tiers (Google SRE workbook, table 5-8) and how their windows scale with the period.

In pledge.sla, so the model can check an SLA's tier overrides against the windows pledge.slo.windows
will give them: a tier that validates always yields an alert.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Final

from pledge.sla.units import DAY, HOUR, MINUTE

if TYPE_CHECKING:
    from pledge.sla.model import Window

REFERENCE_PERIOD: Final = 30 * DAY
# Nominal lengths that scale the burn tiers (the SRE Workbook's 30-day month), not the longest ones
# (pledge.sla.units.LONGEST_CALENDAR), which bound what a period can hold.
NOMINAL_CALENDAR: Final = {"week": 7 * DAY, "month": 30 * DAY, "quarter": 91 * DAY}
MIN_SHORT_WINDOW: Final = 5 * MINUTE  # the base rate window: shorter windows would read too few scrapes
MIN_LONG_WINDOW: Final = 10 * MINUTE
SHORT_WINDOW_DIVISOR: Final = 12

# name, severity, long window for a 30-day period, share of the budget it spends (SRE workbook 5-8)
SRE_WORKBOOK: tuple[tuple[str, str, int, Decimal], ...] = (
    ("page-fast", "page", HOUR, Decimal("0.02")),
    ("page-slow", "page", 6 * HOUR, Decimal("0.05")),
    ("ticket-fast", "ticket", DAY, Decimal("0.1")),
    ("ticket-slow", "ticket", 3 * DAY, Decimal("0.1")),
)
DEFAULT_TIER_NAMES: Final = tuple(name for name, *_ in SRE_WORKBOOK)
_REFERENCE_LONG: Final = {name: long for name, _, long, _ in SRE_WORKBOOK}


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


def default_long(name: str, period: int) -> int | None:
    """The long window of default tier ``name`` for ``period``; None for a tier of the SLA's own."""
    reference = _REFERENCE_LONG.get(name)
    return None if reference is None else scale(reference, period)
