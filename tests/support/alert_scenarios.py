"""The alert-timing scenarios: 14 hours of 30 s scrapes for several one-objective SLAs (99.9 % over
30 days), each its own story (an outage, slow burns, maintenance, vanished metrics, a grouped SLA).
tests/integration/test_alert_timing.py measures when Prometheus fires; test_replayed_alerts.py that
the replayed alerts are the same."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.promtool_unit import counter_values
from tests.support.slas import document

STEP = 30


RATE = 10.0  # requests per second


HOURS = 3_600


END = 14 * HOURS


OUTAGE = (6 * HOURS, 6 * HOURS + 30 * 60)


MAINTENANCE = (10 * HOURS, 12 * HOURS)


DAILY_MAINTENANCE = (20 * HOURS, 21 * HOURS)


VANISH = 8 * HOURS  # the "vanish" service's exporter disappears here


def traffic(labels: str, error_ratio: Callable[[float], float]) -> dict[str, str]:
    """Good and bad counters for RATE requests/s with ``error_ratio(t)`` of them failing."""
    steps = [STEP * (i + 1) for i in range(END // STEP)]
    bad = [RATE * STEP * error_ratio(t) for t in steps]
    good = [RATE * STEP - b for b in bad]
    return {
        f'http_requests_total{{{labels},code="200"}}': counter_values(good),
        f'http_requests_total{{{labels},code="500"}}': counter_values(bad),
    }


def during(interval: tuple[int, int], inside: float, outside: float = 0.0) -> Callable[[float], float]:
    return lambda t: inside if interval[0] < t <= interval[1] else outside


def vanishing(labels: str) -> dict[str, str]:
    """Healthy traffic until VANISH, then no samples at all (promtool's `_` means missing)."""
    steps = VANISH // STEP
    gone = (END - VANISH) // STEP
    return {f'http_requests_total{{{labels},code="200"}}': f"{counter_values([RATE * STEP] * steps)} _x{gone}",
            f'http_requests_total{{{labels},code="500"}}': f"0+0x{steps} _x{gone}"}


SCENARIOS = {
    "outage": (document("outage", "timing"), traffic('service="outage"', during(OUTAGE, 1.0))),
    "burn2x": (document("burn2x", "timing"), traffic('service="burn2x"', lambda t: 0.002)),
    "burn09x": (document("burn09x", "timing"), traffic('service="burn09x"', lambda t: 0.0009)),
    "maint": (
        document("maint", "timing", exclusions=[
            {"start": "1970-01-01T10:00:00Z", "end": "1970-01-01T12:00:00Z", "reason": "db upgrade"},
            {"schedule": "daily", "at": "20:00", "duration": "1h", "reason": "nightly batch"},
        ]),
        traffic('service="maint"', lambda t: 1.0 if during(MAINTENANCE, 1)(t) or during(DAILY_MAINTENANCE, 1)(t) else 0.0),
    ),
    "vanish": (document("vanish", "timing"), vanishing('service="vanish"')),
    "ghost": (document("ghost", "timing"), {}),  # its metrics never exist
    "grouped": (
        document("grouped", "timing", grouping=["customer"]),
        {**traffic('service="grouped",customer="acme"', during(OUTAGE, 1.0)),
         **traffic('service="grouped",customer="globex"', lambda t: 0.0)},
    ),
}
