"""Sums of the recorded 5m base rates: the one spelling of a long window's error ratio and of a
period's events, shared by the rules (pledge.rules.generate) and the API (pledge.rules.queries),
so what the API computes for a window or period is what the rules record for it.

Every range starts one base window late: the first 5m rate already covers the five minutes before it.
"""

from __future__ import annotations

from pledge.rules import names
from pledge.sla.duration import format_duration

SLI_INTERVAL = 30  # the sli group's evaluation interval: how often a base rate is sampled


def on_identity(grouping: list[str]) -> str:
    """``on(...)`` matching one objective and group value of one SLA."""
    return f"on({', '.join([*names.IDENTITY_LABELS, *grouping])})"


def _sums(selector: str, span: str, times: str = "") -> tuple[str, str]:
    base = names.BASE_WINDOW
    bad, valid = (f"sum_over_time({rate(base)}{{{selector}}}[{span}]){times}"
                  for rate in (names.errors_rate, names.requests_rate))
    return bad, valid


def summed_ratio(selector: str, window: int, grouping: list[str]) -> str:
    """Error ratio over ``window`` (longer than the base window): request-weighted, and absent
    instead of NaN without requests."""
    errors, requests = _sums(selector, format_duration(window - names.BASE_WINDOW))
    return f"{errors} / {on_identity(grouping)} ({requests} > 0)"


def summed_events(selector: str, span: float) -> tuple[str, str]:
    """(bad events, valid events) over the ``span`` seconds before the evaluation time."""
    window = format_duration(max(SLI_INTERVAL, int(span) - names.BASE_WINDOW))
    return _sums(selector, window, f" * {SLI_INTERVAL}")
