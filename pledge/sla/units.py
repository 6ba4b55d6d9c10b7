"""Time units in seconds, declared once. In pledge.sla, the bottom layer, so durations and the
spec's own limits use them too (pledge.slo, pledge.rules and the edges may import pledge.sla,
never the other way round)."""

from __future__ import annotations

from typing import Final

MINUTE: Final = 60
HOUR: Final = 60 * MINUTE
DAY: Final = 24 * HOUR
WEEK: Final = 7 * DAY
# The longest calendar periods: how far back a period's figures and a forecast's horizon can reach.
LONGEST_CALENDAR: Final = {"week": WEEK, "month": 31 * DAY, "quarter": 92 * DAY}
LONGEST_PERIOD: Final = LONGEST_CALENDAR["quarter"]
