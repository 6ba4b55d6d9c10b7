"""What the routes answer, computed from a constant number of Prometheus queries per request.

The math is pledge.slo's and pledge.status's (compliance, credits, burn rates); this module only
sorts query results by objective and group and applies the caller's scope.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from pledge.sla.identity import Row, SLARef
from pledge.clock import utc
from pledge.api.auth import Principal
from pledge.api.models import AlertOut, Budget, ObjectiveDetail, PeriodOut, Source
from pledge.prom import Alert, PrometheusClient, RangeSeries, Sample
from pledge.rules import names, queries
from pledge.slo.budget import Allowance, burn_rate, error_ratio, event_budget, minute_budget
from pledge.slo.corrections import NOTHING_HELD, Events, Held, touching
from pledge.slo.exclusions import excluded_seconds, intervals
from pledge.slo.periods import Period, current_period
from pledge.slo.windows import BURN_WINDOWS, alert_windows, distinct_windows
from pledge.sla import ServiceLevelAgreement, format_duration, format_percent
from pledge.sla.model import Objective
from pledge.sla.percent import percent_to_ratio
from pledge.status import COUNTS, Reading, checked_events, corrections_held, figure_value, firing_at, readings_for

Figures = dict[str, dict[Row, float]]
WINDOW_LABELS = tuple(format_duration(w) for w in BURN_WINDOWS)


def split(samples: Iterable[Sample], grouping: list[str]) -> Figures:
    """{figure: {row: value}} from one tagged query: every detail, report, bulk and burndown figure
    enters here, each value checked by its kind (pledge.status.figure_value: a NaN ratio, no traffic,
    is no figure) and each row's bad events against its valid ones (PrometheusBadValue otherwise)."""
    figures: Figures = defaultdict(dict)
    labels: dict[Row, dict[str, str]] = {}
    for s in samples:
        if figure := queries.figure_of(s.name, s.labels):
            value = figure_value(figure, s)
            if value is not None:
                row = Row.of_labels(s.labels, grouping)
                figures[figure][row] = value
                if figure in COUNTS:
                    labels.setdefault(row, s.labels)
    checked_events(figures[queries.ERRORS], figures[queries.REQUESTS], labels)
    return figures


def period_ratios(figures: Figures) -> dict[Row, float]:
    """Period error ratios from the period's events; no traffic gives no ratio (NoData)."""
    ratios = {key: error_ratio(figures[queries.ERRORS].get(key, 0.0), valid)
              for key, valid in figures[queries.REQUESTS].items()}
    return {key: ratio for key, ratio in ratios.items() if ratio is not None}


def scoped(sla: ServiceLevelAgreement, figures: Figures, alerts: list[Alert], caller: Principal) -> list[Reading]:
    return [r for r in readings_for(sla, period_ratios(figures), alerts) if caller.sees_group(sla, r.group)]


def objective_of(sla: ServiceLevelAgreement, name: str) -> Objective:
    return next(o for o in sla.spec.objectives if o.name == name)


def ratio_float(percent: Decimal) -> float:
    return float(percent_to_ratio(percent))


@dataclass(frozen=True)
class Span:
    """A period as seen at ``at``: excluded time so far and over the whole period."""

    period: Period
    at: float
    excluded: list[tuple[float, float]]
    excluded_whole: float

    @classmethod
    def of(cls, sla: ServiceLevelAgreement, period: Period, at: float) -> Span:
        exclusions = sla.spec.exclusions
        return cls(period, at, intervals(exclusions, period.start, min(period.end, at)),
                   excluded_seconds(exclusions, period.start, period.end))

    def out(self) -> PeriodOut:
        return PeriodOut(label=self.period.label, start=utc(self.period.start), end=utc(self.period.end),
                         excluded_seconds=sum(b - a for a, b in self.excluded),
                         excluded=[(utc(a), utc(b)) for a, b in self.excluded])


def span_at(sla: ServiceLevelAgreement, moment: float) -> Span:
    """The SLA's current period as of ``moment``."""
    return Span.of(sla, current_period(sla.spec.window, moment), moment)


def _minutes(ratio: float, objective: Objective, span: Span) -> Budget:
    """Time-equivalent budget of the whole period (maintenance excluded) and what the SLI spent."""
    elapsed = min(span.period.end, span.at) - span.period.start - sum(b - a for a, b in span.excluded)
    return _budget(minute_budget(ratio, objective, span.period.seconds - span.excluded_whole, elapsed))


def _budget(allowance: Allowance) -> Budget:
    return Budget(total=allowance.total, consumed=allowance.consumed, remaining=allowance.remaining)


def _alert(alert: Alert) -> AlertOut:
    return AlertOut(name=alert.labels.get("alertname", ""), severity=alert.labels.get("severity"),
                    labels=alert.labels, active_at=alert.active_at)


def objective_detail(reading: Reading, figures: Figures, span: Span) -> ObjectiveDetail:
    objective = objective_of(reading.sla, reading.objective)
    key = reading.row
    bad, valid = figures[queries.ERRORS].get(key, 0.0), figures[queries.REQUESTS].get(key, 0.0)
    ratio = 1.0 - reading.compliance.sli if reading.compliance.sli is not None else None
    burn = {w: burn_rate(figures[w][key], objective) if key in figures[w] else None for w in WINDOW_LABELS}
    burn["period"] = burn_rate(ratio, objective) if ratio is not None else None
    minutes = None if objective.sli.latency is not None else _minutes(ratio or 0.0, objective, span)
    return ObjectiveDetail(
        objective=reading.objective, group=reading.group, sli=reading.compliance.sli,
        target=ratio_float(objective.target),
        warning=ratio_float(objective.warning) if objective.warning is not None else None,
        state=reading.compliance.state, budget_remaining=reading.compliance.budget_remaining,
        events_total=valid, events_bad=bad, budget_events=_budget(event_budget(bad, valid, objective)),
        budget_minutes=minutes, burn_rates=burn, burn_now=burn[format_duration(names.BURN_NOW)],
        credit_percent=_credit(reading),
        alerts=[_alert(a) for a in reading.alerts])


def _credit(reading: Reading) -> str | None:
    return format_percent(reading.credit) if reading.credit is not None else None


def recorded_windows(sla: ServiceLevelAgreement) -> frozenset[int]:
    """The error-ratio windows the SLA's rules record (its alert windows and the base window)."""
    return frozenset({names.BASE_WINDOW, *distinct_windows(alert_windows(sla.spec.alerting, sla.spec.window))})


def objective_names(found: dict[Row, float]) -> set[str]:
    return {row.objective for row in found}


async def raw_reaches_further(client: PrometheusClient, sla: ServiceLevelAgreement, figures: Figures,
                              history: float, at: float) -> bool:
    """Whether some objective's raw counters reach back ``history`` seconds and its recorded series
    do not (rules deployed after the service). The raw counters are asked only in that case."""
    return (await raw_reach(client, [Reach(sla, figures, history, at)]))[sla.ref]


@dataclass(frozen=True)
class Reach:
    """One SLA's question to ``raw_reach``: its recorded figures, the history wanted, as of ``at``."""

    sla: ServiceLevelAgreement
    figures: Figures
    history: float
    at: float


REF_LABEL = "pledge_ref"  # tells apart the SLAs of one coverage query


async def raw_reach(client: PrometheusClient, asked: list[Reach]) -> dict[SLARef, bool]:
    """``raw_reaches_further`` of many SLAs: one query per moment for those whose recorded series fall
    short (none for the others), however many they are: a report of 1,000 SLAs asks once, not 1,000 times."""
    out: dict[SLARef, bool] = {}
    short: dict[float, list[tuple[Reach, set[str]]]] = defaultdict(list)
    for each in asked:
        recorded = objective_names(each.figures[queries.COVERED])
        if recorded >= {o.name for o in each.sla.spec.objectives}:
            out[each.sla.ref] = False
        else:
            short[each.at].append((each, recorded))

    async def one(at: float, group: list[tuple[Reach, set[str]]]) -> None:
        expr = " or ".join(queries.with_label(queries.raw_coverage(r.sla, r.history, at), REF_LABEL, str(r.sla.ref))
                           for r, _ in group)
        found: dict[str, set[str]] = defaultdict(set)
        for sample in await client.query(expr, at=at):
            if queries.figure_of(sample.name, sample.labels) == queries.RAW_COVERED:
                found[sample.labels.get(REF_LABEL, "")].add(sample.labels.get("objective", ""))
        for r, recorded in group:
            out[r.sla.ref] = bool(found[str(r.sla.ref)] - recorded)

    await asyncio.gather(*(one(at, group) for at, group in short.items()))
    return out


async def detail_figures(client: PrometheusClient, sla: ServiceLevelAgreement, caller: Principal,
                         span: Span) -> tuple[Figures, list[Alert], Source]:
    """Two queries at once, four at most: every period and window figure, and the alerts.

    A rolling period reads the recorded period events (cheap; up to 5 m old); a calendar period,
    or a rolling one whose period series is not recorded yet, sums the base rates over an exact
    range. When the recorded history is shorter than the period (rules deployed recently) and
    the raw counters go further back, every figure comes from the raw counters instead.
    """
    selector = queries.sla_matchers(sla.ref, caller.matchers(sla))
    grouping, recorded = sla.spec.grouping, recorded_windows(sla)
    exact = span.at - span.period.start
    history = queries.history_needed(exact)
    rolling = sla.spec.window.rolling is not None
    expr = queries.detail(sla, selector, recorded, None if rolling else exact, history)
    samples, alerts = await asyncio.gather(client.query(expr, at=span.at), firing_at(client, span.at, selector))
    figures = split(samples, grouping)
    if await raw_reaches_further(client, sla, figures, history, span.at):
        raw = queries.raw_detail(sla, span.period.start, span.at, BURN_WINDOWS)
        figures = split(await client.query(raw, at=span.at), grouping)
        return corrected(figures, await held_in(client, sla, span, raw=True)), alerts, "raw"
    if rolling and (not figures[queries.REQUESTS] or corrects(sla, span)):  # corrections: the exact events
        expr = queries.detail(sla, selector, recorded, exact, history)
        figures = split(await client.query(expr, at=span.at), grouping)
    return corrected(figures, await held_in(client, sla, span)), alerts, "recorded"


# --- corrections (pledge.slo.corrections): applied to the period's events when they are read -------------

UNCORRECTED_ERRORS, UNCORRECTED_REQUESTS = "errors_uncorrected", "requests_uncorrected"


def corrects(sla: ServiceLevelAgreement, span: Span) -> bool:
    """Whether the SLA's corrections touch the span's period so far."""
    return touching(sla.spec.corrections, span.period.start, span.at)


async def held_in(client: PrometheusClient, sla: ServiceLevelAgreement, span: Span, *, raw: bool = False) -> Held:
    """What the corrections' pieces of the span held, per row (no query when none touch it)."""
    if not corrects(sla, span):
        return NOTHING_HELD
    return await corrections_held(client, sla, queries.sla_matchers(sla.ref), span.period.start, span.at, raw=raw)


def corrected(figures: Figures, held: Held) -> Figures:
    """``figures`` with the period's events corrected (pledge.slo.corrections.apply), the events as
    recorded kept beside them; unchanged without corrections."""
    if not held:
        return figures
    out: Figures = defaultdict(dict, figures)
    fixed = {row: held.correct(row, Events(figures[queries.ERRORS].get(row, 0.0), valid))
             for row, valid in figures[queries.REQUESTS].items()}
    out[UNCORRECTED_ERRORS], out[UNCORRECTED_REQUESTS] = figures[queries.ERRORS], figures[queries.REQUESTS]
    out[queries.ERRORS] = {row: e.bad for row, e in fixed.items()}
    out[queries.REQUESTS] = {row: e.valid for row, e in fixed.items()}
    return out


def as_recorded(figures: Figures) -> Figures:
    """``figures`` before their corrections (what ``corrected`` was given)."""
    if UNCORRECTED_ERRORS not in figures:
        return figures
    out = {k: v for k, v in figures.items() if k not in (UNCORRECTED_ERRORS, UNCORRECTED_REQUESTS)}
    out[queries.ERRORS], out[queries.REQUESTS] = figures[UNCORRECTED_ERRORS], figures[UNCORRECTED_REQUESTS]
    return out


async def correct_details(client: PrometheusClient, slas: list[ServiceLevelAgreement],
                          found: dict[SLARef, tuple[Figures, list[Alert], Source]], spans: dict[SLARef, Span]) -> None:
    """``detail_figures``' corrections for the bulk figures (pledge.api.bulk): the SLAs whose
    corrections touch their period read their exact events (a rolling period's recorded events
    cannot be corrected) and what the pieces held, two queries each, all at once."""
    async def one(sla: ServiceLevelAgreement) -> None:
        span, (figures, alerts, source) = spans[sla.ref], found[sla.ref]
        if source == "recorded" and sla.spec.window.rolling is not None:
            expr = queries.period_events(queries.sla_matchers(sla.ref), span.at - span.period.start)
            exact = split(await client.query(expr, at=span.at), sla.spec.grouping)
            figures = defaultdict(dict, figures)
            figures[queries.ERRORS], figures[queries.REQUESTS] = exact[queries.ERRORS], exact[queries.REQUESTS]
        found[sla.ref] = corrected(figures, await held_in(client, sla, span, raw=source == "raw")), alerts, source

    await asyncio.gather(*(one(s) for s in slas if corrects(s, spans[s.ref])))


Read = tuple[Figures, Source, Held]


async def report_figures(client: PrometheusClient, sla: ServiceLevelAgreement, caller: Principal,
                         span: Span) -> tuple[Figures, Source]:
    """The period's events from the recorded base rates, or from the raw counters when only
    those go back that far; corrected (``report_read`` tells what each correction changed)."""
    figures, source, _ = await report_read(client, sla, caller, span)
    return figures, source


async def report_read(client: PrometheusClient, sla: ServiceLevelAgreement, caller: Principal, span: Span) -> Read:
    """``report_figures`` and what the corrections' pieces held."""
    selector = queries.sla_matchers(sla.ref, caller.matchers(sla))
    length = span.at - span.period.start
    figures = split(await client.query(queries.period_events(selector, length), at=span.at), sla.spec.grouping)
    return await report_fallback(client, sla, figures, span)


async def report_fallback(client: PrometheusClient, sla: ServiceLevelAgreement, figures: Figures,
                          span: Span, reaches: bool | None = None) -> Read:
    """A report's recorded ``figures``, or the raw counters' when only those go back over the span
    (no query when the recorded tiles cover it; ``reaches``: already asked, by ``raw_reach``); then
    corrected, from the same source."""
    length = span.at - span.period.start
    if reaches is None:
        reaches = await raw_reaches_further(client, sla, figures, length, span.at)
    if not reaches:
        held = await held_in(client, sla, span)
        return corrected(figures, held), "recorded", held
    raw = queries.raw_detail(sla, span.period.start, span.at, ())
    held = await held_in(client, sla, span, raw=True)
    return corrected(split(await client.query(raw, at=span.at), sla.spec.grouping), held), "raw", held


def history_keys(series: list[RangeSeries], grouping: list[str]) -> dict[Row, dict[str, dict[float, float]]]:
    """{row: {figure: {t: value}}} from one tagged range query, each point checked as ``split`` checks
    an instant's (a NaN ratio, a moment without traffic, is no point)."""
    found: dict[Row, dict[str, dict[float, float]]] = defaultdict(lambda: defaultdict(dict))
    for s in series:
        figure = s.labels.get(queries.FIGURE_LABEL, "")
        points = ((t, figure_value(figure, Sample(s.name, s.labels, v), at=t)) for t, v in s.values)
        found[Row.of_labels(s.labels, grouping)][figure].update((t, v) for t, v in points if v is not None)
    return found
