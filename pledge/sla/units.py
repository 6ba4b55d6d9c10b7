"""Time units in seconds, declared once. In pledge.sla, the bottom layer, so durations and the
spec's own limits use them too (pledge.slo, pledge.rules and the edges may import pledge.sla,
never the other way round)."""

from __future__ import annotations

from typing import Final

MINUTE: Final = 60
HOUR: Final = 60 * MINUTE
DAY: Final = 24 * HOUR
WEEK: Final = 7 * DAY
