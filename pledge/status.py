"""Current compliance of SLAs, read from the series the generated rules record.

One query per figure serves every SLA (no per-SLA fan-out); the math is pledge.slo.budget's.
Shared by the demo, the API and the operator's status timer.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from pledge.clock import utc
from pledge.prom import Alert, PrometheusBadValue, PrometheusClient, Sample, series_text
from pledge.rules import names, queries
from pledge.rules.promql import escape_label_value
from pledge.slo.budget import (
    Compliance, ImpossibleFigure, compliance, count_read, credit_percent, error_ratio, events_read, moment_read,
    ratio_read,
)
from pledge.slo.corrections import NOTHING_HELD, Events, Held, Piece, pieces, touching
from pledge.slo.periods import calendar_elapsed, current_period
from pledge.slo.windows import BURN_WINDOWS
from pledge.sla import ServiceLevelAgreement, format_duration
from pledge.sla.identity import Row, SLARef
from pledge.sla.model import Correction


@dataclass(frozen=True)
class OfRow:
    """What is known of one objective of one SLA, for one group value (``group`` is empty without
    grouping): a reading here, a prediction in pledge.predictions."""

    sla: ServiceLevelAgreement
    objective: str
    group: dict[str, str]

    @property
    def row(self) -> Row:
        return Row.of(self.objective, self.group)


@dataclass(frozen=True)
class Reading(OfRow):
    """The period's compliance, the credit it owes and the alerts firing."""

    compliance: Compliance
    credit: Decimal | None
    alerts: tuple[Alert, ...]


# --- every value read from Prometheus is checked here, by its kind, where it enters ------------------------

COUNTS = frozenset({queries.ERRORS, queries.REQUESTS})
RATIOS = frozenset({queries.PERIOD, *(format_duration(w) for w in BURN_WINDOWS)})  # the period's and each window's


def figure_value(figure: str, sample: Sample, at: float | None = None) -> float | None:
    """``sample``'s value as the ``figure`` it is (pledge.rules.queries.figure_of; queries.ALERTS_FOR_STATE
    for an alert's activeAt), checked by its kind (pledge.slo.budget's ``*_read``): event counts finite and
    0 or more, error ratios between 0 and 1 and None for NaN (0/0: no traffic, no data), moments within
    what a datetime holds. Other figures (coverage counts) pass as they are. A value that cannot be is
    PrometheusBadValue naming the series (and ``at``, a range query's moment): nothing is computed from
    it, the API answers 502 saying what was wrong. Infinities never get here (pledge.prom refuses them)."""
    try:
        if figure in COUNTS:
            return count_read(sample.value)
        if figure in RATIOS:
            return ratio_read(sample.value)
        if figure == queries.ALERTS_FOR_STATE:
            return moment_read(sample.value)
        return sample.value
    except ImpossibleFigure as exc:
        when = "" if at is None else f" at {utc(at).isoformat().replace('+00:00', 'Z')}"
        raise PrometheusBadValue(series_text(sample.name, sample.labels), f"{exc}{when}") from None


def checked_events(bad: dict[Row, float], valid: dict[Row, float], labels: dict[Row, dict[str, str]]) -> None:
    """Each row's bad events against its valid ones (pledge.slo.budget.events_read): more bad events than
    events is PrometheusBadValue naming the row's series (``labels``, as read), never an SLI below 0."""
    for row, total in valid.items():
        try:
            events_read(bad.get(row, 0.0), total)
        except ImpossibleFigure as exc:
            shown = {k: v for k, v in labels.get(row, {}).items() if k != queries.FIGURE_LABEL}
            raise PrometheusBadValue(series_text("", shown), str(exc)) from None


def period_ratios(sla: ServiceLevelAgreement, samples: list[Sample]) -> dict[Row, float]:
    """The SLA's rows of a recorded period error-ratio answer (every SLA's, from one query); a NaN ratio
    (no traffic) is no row (NoData)."""
    found = {Row.of_labels(s.labels, sla.spec.grouping): figure_value(queries.PERIOD, s)
             for s in samples if SLARef.of_labels(s.labels) == sla.ref}
    return {row: ratio for row, ratio in found.items() if ratio is not None}


def readings_for(sla: ServiceLevelAgreement, ratios: dict[Row, float], alerts: list[Alert], *,
                 elapsed: float | None = None) -> list[Reading]:
    """Every objective and group value of ``sla`` from its period error ratios; an objective
    without a ratio (no data, no traffic) reads NoData. ``elapsed``: the share of an open calendar
    period gone (pledge.slo.periods.calendar_elapsed), below target so far then reads Behind while
    the period can still end above target; None judges the ratios now (rolling, closed)."""
    found = []
    mine = [a for a in alerts if a.state == "firing" and SLARef.of_labels(a.labels) == sla.ref]
    for objective in sla.spec.objectives:
        rows: list[tuple[Row, float | None]] = [(row, ratio) for row, ratio in sorted(ratios.items())
                                                if row.objective == objective.name]
        for row, ratio in rows or [(Row(objective.name), None)]:
            result = compliance(ratio, objective, elapsed=elapsed)
            applies = [c for c in sla.spec.credits if c.below <= objective.target]
            credit = credit_percent(result.sli, objective, applies, sla.spec.credit_cap) \
                if applies and result.sli is not None else None
            firing = tuple(a for a in mine if row.matches(a.labels))
            found.append(Reading(sla, objective.name, row.group_labels(), result, credit, firing))
    return found


def alerts_of(samples: list[Sample]) -> list[Alert]:
    """Firing alerts from a ``queries.firing_alerts`` answer: each ALERTS sample, with its activeAt
    from the ALERTS_FOR_STATE sample of the same labels when the alert has a ``for``."""
    def key(labels: dict[str, str]) -> frozenset[tuple[str, str]]:
        return frozenset((k, v) for k, v in labels.items() if k != "alertstate")

    since = {key(s.labels): figure_value(queries.ALERTS_FOR_STATE, s) for s in samples if s.name == queries.ALERTS_FOR_STATE}
    return [Alert(labels=s.labels, annotations={}, state="firing", active_at=utc(since.get(key(s.labels))),
                  value=s.value)
            for s in samples if s.name == queries.ALERTS]


async def firing_at(client: PrometheusClient, at: float, selector: str = "") -> list[Alert]:
    """The alerts firing at ``at`` (one query): the moment's own, not today's."""
    return alerts_of(await client.query(queries.firing_alerts(selector), at=at))


async def read_status(client: PrometheusClient, slas: list[ServiceLevelAgreement], at: float) -> list[Reading]:
    """Period compliance and firing alerts of every objective of every SLA at ``at``: two queries in
    all, and two more per SLA whose corrections touch its current period (the recorded period ratio
    knows nothing of them: those SLAs' ratios are their corrected events, as the detail reads them)."""
    corrected = [s for s in slas if corrected_now(s, at)]
    (ratios, alerts), fixed = await asyncio.gather(
        asyncio.gather(client.query(names.ERROR_RATIO_PERIOD, at=at), firing_at(client, at)),
        asyncio.gather(*(corrected_ratios(client, s, at) for s in corrected)))
    by_sla: dict[SLARef, list[Sample]] = defaultdict(list)  # each SLA reads its own samples only
    for sample in ratios:
        by_sla[SLARef.of_labels(sample.labels)].append(sample)
    firing: dict[SLARef, list[Alert]] = defaultdict(list)
    for alert in alerts:
        firing[SLARef.of_labels(alert.labels)].append(alert)
    own = {s.ref: found for s, found in zip(corrected, fixed)}
    return [reading for sla in slas
            for reading in readings_for(sla, own[sla.ref] if sla.ref in own else period_ratios(sla, by_sla[sla.ref]), firing[sla.ref],
                                        elapsed=calendar_elapsed(sla.spec.window, at))]


# --- corrections (pledge.slo.corrections), applied when the period is read -----------------------------

def corrected_now(sla: ServiceLevelAgreement, at: float) -> bool:
    """Whether corrections touch the SLA's current period as of ``at``."""
    period = current_period(sla.spec.window, at)
    return touching(sla.spec.corrections, period.start, min(period.end, at))


def correction_pieces(sla: ServiceLevelAgreement, start: float, end: float, *,
                      corrections: list[Correction] | None = None) -> dict[str, list[Piece]]:
    """Per objective, the pieces of [start, end) that ``corrections`` (default: the spec's) change."""
    chosen = sla.spec.corrections if corrections is None else corrections
    return {o.name: pieces(chosen, sla.spec.exclusions, start, end, objective=o.name) for o in sla.spec.objectives}


async def corrections_held(client: PrometheusClient, sla: ServiceLevelAgreement, selector: str, start: float,
                           at: float, *, raw: bool = False, corrections: list[Correction] | None = None) -> Held:
    """What the events of each correction piece of [start, at) were, per row: one query (none
    without pieces). ``raw``: from the SLI's counters (a report whose figures come from them)."""
    found = correction_pieces(sla, start, at, corrections=corrections)
    if not any(found.values()):
        return NOTHING_HELD
    if raw:
        expr = queries.raw_piece_events(sla, [(f"{name}/{n}", name, p.start, p.end)
                                              for name, listed in found.items() for n, p in enumerate(listed)])
    else:
        expr = " or ".join(queries.piece_events(f'{selector},objective="{escape_label_value(name)}"',
                                                [(f"{name}/{n}", p.start, p.end) for n, p in enumerate(listed)], at)
                           for name, listed in found.items() if listed)
    bad: dict[tuple[Row, int], float] = defaultdict(float)
    valid: dict[tuple[Row, int], float] = defaultdict(float)
    for sample in await client.query(expr, at=at):
        tag = sample.labels.get(queries.PIECE_LABEL, "")
        key = (Row.of_labels(sample.labels, sla.spec.grouping), int(tag.rpartition("/")[2]))
        figure = queries.ERRORS if sample.labels.get(queries.FIGURE_LABEL) == queries.ERRORS else queries.REQUESTS
        (bad if figure == queries.ERRORS else valid)[key] += figure_value(figure, sample) or 0.0
    return Held(found, {key: Events(bad.get(key, 0.0), valid.get(key, 0.0)) for key in {*bad, *valid}})


async def corrected_ratios(client: PrometheusClient, sla: ServiceLevelAgreement, at: float) -> dict[Row, float]:
    """The current period's error ratios with the corrections applied, from its recorded tiles."""
    period = current_period(sla.spec.window, at)
    selector = queries.sla_matchers(sla.ref)
    length = min(period.end, at) - period.start
    samples, held = await asyncio.gather(client.query(queries.period_events(selector, length), at=at),
                                         corrections_held(client, sla, selector, period.start, at))
    bad: dict[Row, float] = defaultdict(float)
    valid: dict[Row, float] = defaultdict(float)
    labels: dict[Row, dict[str, str]] = {}
    for sample in samples:
        figure = queries.figure_of(sample.name, sample.labels)
        if figure in COUNTS:
            row = Row.of_labels(sample.labels, sla.spec.grouping)
            (bad if figure == queries.ERRORS else valid)[row] += figure_value(figure, sample) or 0.0
            labels.setdefault(row, sample.labels)
    checked_events(bad, valid, labels)
    events = {row: Events(bad.get(row, 0.0), total) for row, total in valid.items()}
    ratios = {row: error_ratio(fixed.bad, fixed.valid)
              for row, fixed in ((row, held.correct(row, e)) for row, e in events.items())}
    return {row: ratio for row, ratio in ratios.items() if ratio is not None}
