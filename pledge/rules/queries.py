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


RECORDED_FIGURES = {names.ERRORS_PERIOD: ERRORS, names.REQUESTS_PERIOD: REQUESTS,
                    **{names.error_ratio(w): format_duration(w) for w in BURN_WINDOWS}}


def figure_of(name: str, labels: dict[str, str]) -> str:
    """Which figure a sample of a detail, report or history query is: its tag, or its recorded name."""
    return labels.get(FIGURE_LABEL) or RECORDED_FIGURES.get(name, "")


def any_name(series: list[str], selector: str) -> str:
    """``{__name__=~"a|b",...}``: several recorded series of one SLA in one selector, so Prometheus
    looks the SLA up in its index once instead of once per name (and nothing needs tagging)."""
    alternatives = "|".join(re.escape(s) for s in sorted(series))
    return f'{{__name__=~"{escape_label_value(alternatives)}",{selector}}}'


def detail(selector: str, grouping: list[str], recorded: frozenset[int], exact_span: float | None) -> str:
    """One query for an SLA's page: period events and every burn window.

    Recorded series are read with one selector (told apart by name); what has to be computed, a
    window the SLA does not record or the exact events of the last ``exact_span`` seconds (None:
    read the recorded rolling-period events), is tagged with a label. Each part reads one kind of
    series: ``a or b`` evaluates both sides, so a recorded figure is never also computed.
    """
    plain = [names.error_ratio(w) for w in BURN_WINDOWS if w in recorded]  # the base window at least
    tagged = [_tag(window_ratio(selector, w, grouping, False), format_duration(w))
              for w in BURN_WINDOWS if w not in recorded]
    if exact_span is None:
        plain += [names.ERRORS_PERIOD, names.REQUESTS_PERIOD]
    else:
        bad, valid = events(selector, exact_span)
        tagged += [_tag(bad, ERRORS), _tag(valid, REQUESTS)]
    return " or ".join([any_name(plain, selector), *tagged])


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
