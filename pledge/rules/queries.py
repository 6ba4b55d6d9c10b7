"""PromQL the API reads with (pure). Label values are escaped; no request text ever reaches here
except as a label value of a known SLA or a token's customer scope.

Period figures sum the recorded 5 m tiles over an explicit range, as the period rules do
(pledge.rules.tiles), so any period is exact to the tile at query time; burn rates read the
recorded ``pledge:sli_error_ratio:rate<w>`` series and compute a window the SLA does not record
from the same tiles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pledge.sla.identity import SLARef
from pledge.rules import names
from pledge.rules.promql import by, escape_label_value, matchers, sli_rates
from pledge.rules.tiles import TILE, summed_events, summed_ratio
from pledge.slo.exclusions import intervals
from pledge.slo.windows import BURN_WINDOWS
from pledge.sla import ServiceLevelAgreement
from pledge.sla.duration import format_duration
from pledge.sla.model import SLI

FIGURE_LABEL = "pledge_figure"
ERRORS, REQUESTS, PERIOD = "errors", "requests", "period"
COVERED, RAW_COVERED = "covered", "raw_covered"
PIECE_LABEL = "pledge_piece"
Interval = tuple[float, float]


def sla_matchers(sla: SLARef, extra: dict[str, str] | None = None) -> str:
    """Matchers for every recorded series of one SLA (plus e.g. a customer scope)."""
    return matchers({**sla.labels(), **(extra or {})})


def with_label(expr: str, label: str, value: str) -> str:
    """``expr`` with ``label`` set to ``value`` on every element (parts of one query told apart)."""
    return f'label_replace({expr}, "{label}", "{escape_label_value(value)}", "", "")'


def _tag(expr: str, figure: str) -> str:
    return with_label(expr, FIGURE_LABEL, figure)


def window_ratio(selector: str, window: int, grouping: list[str], recorded: bool) -> str:
    """Error ratio over ``window``: the recorded series, or the sum of the recorded 5 m tiles when
    the SLA's rules do not record that window (a 7-day SLA has no 1h window)."""
    if recorded:
        return f"{names.error_ratio(window)}{{{selector}}}"
    return summed_ratio(selector, window, grouping)


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


def coverage(selector: str, span: float, per: tuple[str, ...] = ("objective",)) -> str:
    """Per objective (``per``: of every SLA selected, with the identity labels), present when the
    SLA's recorded tiles reach back ``span`` seconds (to the tile that started then): recorded
    figures over that span are complete. One lookup of one series at
    one past moment, so it rides along with the figures' query."""
    back = format_duration(max(TILE, int(span) - TILE))
    base = f"{names.REQUESTS_TILE}{{{selector}}}"
    return _tag(f"count {by(per)}({base} offset {back})", COVERED)


def raw_coverage(sla: ServiceLevelAgreement, span: float, at: float) -> str:
    """Per objective, present when the SLI's raw counters have data ``span`` seconds before ``at``:
    falling back to them only pays when they reach further back than the recorded series (a new
    service has neither). One short range per objective, pinned with ``@``; asked on its own and
    only when ``coverage`` is missing (mixed into the figures' query, it changed the recorded
    period events Prometheus 2.42 returned there, in the API tests).
    """
    parts = []
    for objective in sla.spec.objectives:
        valid = sli_rates(objective.sli, names.BASE_WINDOW, [], end=at - span + names.BASE_WINDOW)[1]
        parts.append(_tag(with_label(f"count({valid})", "objective", objective.name), RAW_COVERED))
    return " or ".join(parts)


def history_needed(span: float) -> float:
    """Recorded history the detail figures read: the period so far, and at least the longest burn window."""
    return max(span, BURN_WINDOWS[-1])


def detail(sla: ServiceLevelAgreement, selector: str, recorded: frozenset[int], exact_span: float | None,
           history: float) -> str:
    """One query for an SLA's page: period events, every burn window, and whether the recorded
    series cover ``history`` seconds (``coverage``).

    Recorded series are read with one selector (told apart by name); what has to be computed, a
    window the SLA does not record or the exact events of the last ``exact_span`` seconds (None:
    read the recorded rolling-period events), is tagged with a label. Each part reads one kind of
    series: ``a or b`` evaluates both sides, so a recorded figure is never also computed.
    """
    grouping = sla.spec.grouping
    plain = [names.error_ratio(w) for w in BURN_WINDOWS if w in recorded]  # the base window at least
    tagged = [_tag(window_ratio(selector, w, grouping, False), format_duration(w))
              for w in BURN_WINDOWS if w not in recorded]
    if exact_span is None:
        plain += [names.ERRORS_PERIOD, names.REQUESTS_PERIOD]
    else:
        bad, valid = summed_events(selector, exact_span)
        tagged += [_tag(bad, ERRORS), _tag(valid, REQUESTS)]
    return " or ".join([any_name(plain, selector), *tagged, coverage(selector, history)])


def pieces(sla: ServiceLevelAgreement, start: float, end: float) -> list[Interval]:
    """[start, end) without the SLA's maintenance, in whole seconds (each becomes a range)."""
    found, cursor = [], start
    for a, b in [*intervals(sla.spec.exclusions, start, end), (end, end)]:
        if int(a - cursor) >= 1:
            found.append((cursor, cursor + int(a - cursor)))
        cursor = max(cursor, b)
    return found


def raw_events(sli: SLI, grouping: list[str], spans: list[Interval]) -> tuple[str, str]:
    """(bad, valid) events over ``spans`` straight from the SLI's counters: each span is one range
    of the rules' own SLI builder (pledge.rules.promql.sli_rates) pinned to its end with ``@``."""
    sums = []
    for which in (0, 1):
        parts = [with_label(f"{sli_rates(sli, int(b - a), grouping, end=b)[which]} * {int(b - a)}", PIECE_LABEL, str(n))
                 for n, (a, b) in enumerate(spans)]
        sums.append(f"sum {by(grouping)}({' or '.join(parts)})")
    return sums[0], sums[1]


def raw_detail(sla: ServiceLevelAgreement, start: float, at: float, windows: Iterable[int]) -> str:
    """The figures of ``detail`` (or of ``period_events`` without windows) from the raw counters,
    for when recorded history is shorter than what they need: exact, and as dear as the counters
    are long. Maintenance is left out piece by piece."""
    parts = []
    for objective in sla.spec.objectives:
        def tagged(expr: str, figure: str) -> str:
            return _tag(with_label(expr, "objective", objective.name), figure)

        if spans := pieces(sla, start, at):
            bad, valid = raw_events(objective.sli, sla.spec.grouping, spans)
            parts += [tagged(bad, ERRORS), tagged(valid, REQUESTS)]
        for window in windows:
            if spans := pieces(sla, at - window, at):
                bad, valid = raw_events(objective.sli, sla.spec.grouping, spans)
                parts.append(tagged(f"{bad} / ({valid} > 0)", format_duration(window)))
    return " or ".join(parts) or "vector(0) < 0"


def period_ratio(selector: str) -> str:
    """The recorded period error ratio of one SLA (history charts)."""
    return f"{names.ERROR_RATIO_PERIOD}{{{selector}}}"


def period_events(selector: str, span: float) -> str:
    """One query for a report: bad and valid events over ``span`` seconds, told apart by a label,
    and whether the recorded series cover that span."""
    bad, valid = summed_events(selector, span)
    return f"{_tag(bad, ERRORS)} or {_tag(valid, REQUESTS)} or {coverage(selector, span)}"


def history(selector: str, window: int, grouping: list[str], recorded: bool) -> str:
    """One range query for charts: the recorded period ratio and the ``window`` error ratio."""
    ratio = window_ratio(selector, window, grouping, recorded)
    return f"{_tag(period_ratio(selector), PERIOD)} or {_tag(ratio, format_duration(window))}"


def any_sla_matchers(sla_names: list[str]) -> str:
    """``{sla=~"a|b"}``: one selector for many SLAs, names regex- and string-escaped."""
    alternatives = "|".join(sorted({re.escape(n) for n in sla_names}))
    return f'{{sla=~"{escape_label_value(alternatives)}"}}'


ALERTS, ALERTS_FOR_STATE = "ALERTS", "ALERTS_FOR_STATE"


def firing_alerts(selector: str = "") -> str:
    """pledge's alerts firing at the query's moment, and since when, from the series the rule
    evaluator writes (``ALERTS``; ``ALERTS_FOR_STATE`` holds activeAt of alerts with a ``for``).

    Unlike /api/v1/alerts, which only knows now, this answers for any moment the store still holds,
    so an answer ``at`` a past moment shows the alerts of that moment."""
    extra = f",{selector}" if selector else ""
    return f'{{__name__=~"{ALERTS}|{ALERTS_FOR_STATE}",alertstate!="pending",sla!=""{extra}}}'


def piece_events(selector: str, spans: list[tuple[str, float, float]], at: float) -> str:
    """Bad and valid events in the recorded 5 m tiles that started within each span ``(tag, start,
    end)``, as a period holds the tiles that start in it (``period_events`` at ``at``, whose tiles
    these are a part of): the range ends a tile after the span, or at ``at``, pinned there with
    ``@`` (a span long past costs what a recent one does); each stops 1 s short of the span's tile
    boundary, as every range here (``held_tiles``, which the period rules read too). Told apart by
    ``PIECE_LABEL``. The corrections' pieces (pledge.slo.corrections) are read this way."""
    parts = []
    for tag, start, end in spans:
        for name, figure in ((names.ERRORS_TILE, ERRORS), (names.REQUESTS_TILE, REQUESTS)):
            if (expr := held_tiles(name, selector, start, end, at)) is not None:
                parts.append(with_label(_tag(expr, figure), PIECE_LABEL, tag))
    return " or ".join(parts) or "vector(0) < 0"


def tiles_recorded(end: float) -> float:
    """When the last 5 m tile that starts before ``end`` has been recorded (1 s short of the tile
    boundary, as every range here): the moment a span's tiles are all there to read."""
    return end + TILE - 1


def held_tiles(name: str, selector: str, start: float, end: float, at: float | None = None) -> str | None:
    """The one spelling of what a span [start, end) held: the recorded 5 m tiles ``name`` that
    started within it, summed per series, the range ending at ``tiles_recorded(end)`` (or at
    ``at`` if sooner) and pinned there with ``@``. None when the range holds no tile. Read by the
    API (``piece_events``) and by the period rules (pledge.rules.corrections)."""
    until = tiles_recorded(end) if at is None else min(tiles_recorded(end), at)
    if (length := int(until - (start + TILE - 1))) < 1:
        return None
    return f"sum_over_time({name}{{{selector}}}[{format_duration(length)}] @ {until:.3f})"


def raw_piece_events(sla: ServiceLevelAgreement, spans: list[tuple[str, str, float, float]]) -> str:
    """``piece_events`` from the SLI's raw counters, for when the report's figures come from them:
    ``(tag, objective, start, end)`` each, one range of the rules' SLI builder pinned to its end."""
    objectives = {o.name: o for o in sla.spec.objectives}
    parts = []
    for tag, objective, start, end in spans:
        bad, valid = raw_events(objectives[objective].sli, sla.spec.grouping, [(start, end)])
        for expr, figure in ((bad, ERRORS), (valid, REQUESTS)):
            parts.append(with_label(_tag(with_label(expr, "objective", objective), figure), PIECE_LABEL, tag))
    return " or ".join(parts) or "vector(0) < 0"
