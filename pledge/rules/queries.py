"""PromQL the API reads with (pure). Label values are escaped; no request text ever reaches here
except as a label value of a known SLA or a token's customer scope.

Period figures sum the recorded 5m base rates over an explicit range, as the period rules do, so
a calendar period is exact at query time instead of lagging by up to an hour; burn rates read the
recorded ``pledge:sli_error_ratio:rate<w>`` series and compute a window the SLA does not record
from the same base rates.
"""

from __future__ import annotations

import re

from pledge.rules import names
from pledge.rules.generate import SLI_INTERVAL
from pledge.rules.promql import escape_label_value, matchers
from pledge.spec.duration import format_duration

FIGURE_LABEL = "pledge_figure"
BURN_WINDOWS = (300, 1_800, 3_600, 6 * 3_600, 86_400, 3 * 86_400)  # 5m 30m 1h 6h 1d 3d
ERRORS, REQUESTS, PERIOD = "errors", "requests", "period"


def sla_matchers(namespace: str, name: str, extra: dict[str, str] | None = None) -> str:
    """Matchers for every recorded series of one SLA (plus e.g. a customer scope)."""
    return matchers({"sla": name, "sla_namespace": namespace, **(extra or {})})


def _tag(expr: str, figure: str) -> str:
    return f'label_replace({expr}, "{FIGURE_LABEL}", "{escape_label_value(figure)}", "", "")'


def _on(grouping: list[str]) -> str:
    return f"on({', '.join([*names.IDENTITY_LABELS, *grouping])})"


def events(selector: str, span: float) -> tuple[str, str]:
    """(bad events, valid events) over the ``span`` seconds before the evaluation time.

    Same convention as the period rules: the range starts one base window late, since the first
    5m rate already covers the five minutes before it.
    """
    base = names.BASE_WINDOW
    window = format_duration(max(SLI_INTERVAL, int(span) - base))
    bad, valid = (f"sum_over_time({series(base)}{{{selector}}}[{window}]) * {SLI_INTERVAL}"
                  for series in (names.errors_rate, names.requests_rate))
    return bad, valid


def window_ratio(selector: str, window: int, grouping: list[str], recorded: bool) -> str:
    """Error ratio over ``window``: the recorded series, or the sum of the recorded base rates when
    the SLA's rules do not record that window (a 7-day SLA has no 1h window)."""
    if recorded:
        return f"{names.error_ratio(window)}{{{selector}}}"
    base = names.BASE_WINDOW
    span = format_duration(window - base)
    errors, requests = (f"sum_over_time({series(base)}{{{selector}}}[{span}])"
                        for series in (names.errors_rate, names.requests_rate))
    return f"{errors} / {_on(grouping)} ({requests} > 0)"


def recorded_events(selector: str) -> tuple[str, str]:
    """(bad, valid) events in a rolling period as the period rules record them (every 5 m)."""
    return f"{names.ERRORS_PERIOD}{{{selector}}}", f"{names.REQUESTS_PERIOD}{{{selector}}}"


def detail(events_pair: tuple[str, str], selector: str, grouping: list[str], recorded: frozenset[int]) -> str:
    """One query for an SLA's page: period events and every burn window, told apart by a label.

    Each part reads one kind of series: ``a or b`` evaluates both sides, so a recorded window is
    never also computed.
    """
    parts = [_tag(events_pair[0], ERRORS), _tag(events_pair[1], REQUESTS)]
    parts += [_tag(window_ratio(selector, w, grouping, w in recorded), format_duration(w)) for w in BURN_WINDOWS]
    return " or ".join(parts)


def period_ratio(selector: str) -> str:
    """The recorded period error ratio of one SLA (history charts)."""
    return f"{names.ERROR_RATIO_PERIOD}{{{selector}}}"


def period_events(selector: str, span: float) -> str:
    """One query for a report: bad and valid events over ``span`` seconds, told apart by a label."""
    bad, valid = events(selector, span)
    return f"{_tag(bad, ERRORS)} or {_tag(valid, REQUESTS)}"


def history(selector: str, window: int, grouping: list[str], recorded: bool) -> str:
    """One range query for charts: the recorded period ratio and the ``window`` error ratio."""
    ratio = window_ratio(selector, window, grouping, recorded)
    return f"{_tag(period_ratio(selector), PERIOD)} or {_tag(ratio, format_duration(window))}"


def any_sla_matchers(sla_names: list[str]) -> str:
    """``{sla=~"a|b"}``: one selector for many SLAs, names regex- and string-escaped."""
    alternatives = "|".join(sorted({re.escape(n) for n in sla_names}))
    return f'{{sla=~"{escape_label_value(alternatives)}"}}'
