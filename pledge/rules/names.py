"""Names of the series pledge records: the contract between rules, API, dashboards and forecaster.

Convention level:metric:operation. Every recorded series carries the identity labels of
pledge.sla.identity (``sla``, ``sla_namespace``, ``objective``) plus the SLA's grouping labels, so one
query serves every SLA.
"""

from __future__ import annotations

from pledge.sla.duration import format_duration
from pledge.sla.units import HOUR, MINUTE

BASE_WINDOW = 5 * MINUTE  # the shortest window, always recorded
# "Burn now": the one window every figure called the current burn rate reads (the API's `burn_now`, the
# console's list and detail, the overview dashboard). The base window: recorded for every SLA, whatever
# its period (a 7-day SLA records no 1h window), so all of them read the same recorded series.
BURN_NOW = BASE_WINDOW
RAW_WINDOW_LIMIT = HOUR  # windows up to this read raw counters; longer ones the recorded tiles
TILE = 5 * MINUTE  # a tile: the events between two evaluations of the tiles group
PERIOD_LABEL = "pledge_period"  # on a calendar SLA's hour tiles: its period's index modulo 3

ERRORS_TILE = "pledge:sli_errors:increase5m"
REQUESTS_TILE = "pledge:sli_requests:increase5m"
ERRORS_HOUR_TILE = "pledge:sli_errors:increase1h"
REQUESTS_HOUR_TILE = "pledge:sli_requests:increase1h"

ERROR_RATIO_PERIOD = "pledge:sli_error_ratio:period"
ERRORS_PERIOD = "pledge:sli_errors:period_increase"
REQUESTS_PERIOD = "pledge:sli_requests:period_increase"
BUDGET_REMAINING = "pledge:error_budget_remaining:ratio"
TARGET = "pledge:slo_target:ratio"
WARNING = "pledge:slo_warning:ratio"
BUDGET = "pledge:error_budget:ratio"
PERIOD = "pledge:slo_period:seconds"

ALERT_BURN = "SLAErrorBudgetBurn"
ALERT_AT_RISK = "SLABudgetAtRisk"
ALERT_EXHAUSTED = "SLABudgetExhausted"
ALERT_ABSENT = "SLAMetricAbsent"
ALERT_BREACH_PREDICTED = "SLABreachPredicted"

# Exported by the API, not recorded by rules: the forecast probability (0..1) that an objective breaches
# within the forecast horizon. Labels: sla, namespace (the SLA's), objective, then the grouping labels.
BREACH_PROBABILITY = "pledge_breach_probability"


# Series that rules read over long ranges: a backfill must cover the whole history for them.
LONG_HISTORY = frozenset({ERRORS_TILE, REQUESTS_TILE, ERRORS_HOUR_TILE, REQUESTS_HOUR_TILE})


def requests_rate(window: int) -> str:
    """Valid events per second over ``window``."""
    return f"pledge:sli_requests:rate{format_duration(window)}"


def error_ratio(window: int) -> str:
    """Bad / valid events over ``window``; absent (never NaN) when there were no valid events."""
    return f"pledge:sli_error_ratio:rate{format_duration(window)}"

