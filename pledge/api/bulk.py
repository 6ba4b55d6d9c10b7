"""Every SLA's detail figures from two Prometheus queries, however many SLAs: a full report of
1,000 SLAs without 1,000 round trips (GET /v1/details).

The figures query reads the recorded series of every SLA with one selector, and adds one part per
kind of computed figure shared by many SLAs (a burn window some SLAs do not record, the events of
a calendar period so far, the coverage of a history length), each for the SLAs that need it;
alerts come from the second. The SLAs whose recorded history is too short (``pledge.api.figures``
falls back to the raw counters then) share two more queries, and SLAs over the same counters and
period share one part of them (identical PromQL is asked once).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from pledge.api.figures import Figures, Span, correct_details, objective_names, recorded_windows, split
from pledge.api.models import Source
from pledge.prom import Alert, PrometheusClient, Sample
from pledge.rules import names, queries
from pledge.rules.tiles import summed_events, summed_ratio
from pledge.slo.windows import BURN_WINDOWS
from pledge.sla import ServiceLevelAgreement, format_duration
from pledge.sla.identity import IDENTITY_LABELS, SLARef
from pledge.status import firing_at

K = TypeVar("K", bound=Hashable)
PART_LABEL = "pledge_bulk"  # which part of the figures query a computed sample comes from
RECORDED = [*(names.error_ratio(w) for w in BURN_WINDOWS), names.ERRORS_PERIOD, names.REQUESTS_PERIOD]
Found = dict[SLARef, tuple[Figures, list[Alert], Source]]


@dataclass(frozen=True)
class Part:
    """One computed figure for some SLAs: its samples count only for those."""

    expr: str
    slas: frozenset[SLARef]


def _selector(slas: list[ServiceLevelAgreement]) -> str:
    """Every recorded series of these SLAs (names matched by regex, namespaces checked in Python)."""
    return queries.any_sla_matchers([s.metadata.name for s in slas])[1:-1]


def _grouping(slas: list[ServiceLevelAgreement]) -> list[str]:
    return sorted({label for s in slas for label in s.spec.grouping})


def _by(slas: Iterable[ServiceLevelAgreement], key: Callable[[ServiceLevelAgreement], K | None]
        ) -> dict[K, list[ServiceLevelAgreement]]:
    """SLAs sorted by ``key``; None leaves one out."""
    found: dict[K, list[ServiceLevelAgreement]] = defaultdict(list)
    for sla in slas:
        if (k := key(sla)) is not None:
            found[k].append(sla)
    return found


def _span(spans: dict[SLARef, Span], sla: ServiceLevelAgreement) -> float:
    return spans[sla.ref].at - spans[sla.ref].period.start


def events(slas: list[ServiceLevelAgreement], spans: dict[SLARef, Span]) -> list[Part]:
    """The exact events of each SLA's period so far, one pair of parts per period length."""
    found = []
    for exact, same in _by(slas, lambda s: _span(spans, s)).items():
        for expr, figure in zip(summed_events(_selector(same), exact), (queries.ERRORS, queries.REQUESTS)):
            found.append(Part(queries.with_label(expr, queries.FIGURE_LABEL, figure), frozenset(s.ref for s in same)))
    return found


def parts(slas: list[ServiceLevelAgreement], spans: dict[SLARef, Span]) -> list[Part]:
    """The computed figures: unrecorded burn windows, calendar period events, coverage."""
    found: list[Part] = []
    recorded = {s.ref: recorded_windows(s) for s in slas}
    for window in BURN_WINDOWS:
        for _, lacking in _by(slas, lambda s: window not in recorded[s.ref] or None).items():
            expr = summed_ratio(_selector(lacking), window, _grouping(lacking))
            found.append(Part(queries.with_label(expr, queries.FIGURE_LABEL, format_duration(window)),
                              frozenset(s.ref for s in lacking)))
    found += events([s for s in slas if not s.spec.window.rolling], spans)
    for history, group in _by(slas, lambda s: queries.history_needed(_span(spans, s))).items():
        found.append(Part(queries.coverage(_selector(group), history, IDENTITY_LABELS), frozenset(s.ref for s in group)))
    return found


def query(computed: list[Part], recorded: bool = True) -> str:
    """The parts, told apart by PART_LABEL, after every SLA's recorded series (``recorded``)."""
    tagged = [queries.with_label(p.expr, PART_LABEL, str(n)) for n, p in enumerate(computed)]
    return " or ".join([queries.any_name(RECORDED, 'sla!=""')] * recorded + tagged)


def by_sla(samples: list[Sample], computed: list[Part]) -> dict[SLARef, list[Sample]]:
    """Each SLA's samples; a computed one only where its part was meant for that SLA."""
    found: dict[SLARef, list[Sample]] = defaultdict(list)
    for s in samples:
        key = SLARef.of_labels(s.labels)
        part = s.labels.get(PART_LABEL)
        if part is None or key in computed[int(part)].slas:
            found[key].append(s)
    return found


def covers(sla: ServiceLevelAgreement, figures: Figures, figure: str) -> bool:
    """``figure`` is there for every objective."""
    return {row.objective for row in figures[figure]} >= {o.name for o in sla.spec.objectives}


def by_part(samples: list[Sample], shared: list[Part]) -> dict[SLARef, list[Sample]]:
    """Each SLA's samples of a query of parts without identity labels: every SLA of a part gets its samples."""
    found: dict[SLARef, list[Sample]] = defaultdict(list)
    for s in samples:
        for key in shared[int(s.labels[PART_LABEL])].slas:
            found[key].append(s)
    return found


def asked_once(slas: list[ServiceLevelAgreement], expr: Callable[[ServiceLevelAgreement], str]) -> list[Part]:
    """One part per distinct expression: SLAs over the same counters and period share its answer."""
    return [Part(e, frozenset(s.ref for s in same)) for e, same in _by(slas, expr).items()]


async def raw_figures(client: PrometheusClient, incomplete: list[ServiceLevelAgreement], found: Found,
                      spans: dict[SLARef, Span], at: float) -> None:
    """``pledge.api.figures.detail_figures``'s raw fallback for all SLAs whose recorded history is too
    short, in two queries: whether their raw counters reach further back, then those SLAs' figures."""
    reach = asked_once(incomplete, lambda s: queries.raw_coverage(s, queries.history_needed(_span(spans, s)), at))
    reached = by_part(await client.query(query(reach, recorded=False), at=at), reach)
    raw = [s for s in incomplete if objective_names(split(reached.get(s.ref, []), s.spec.grouping)[queries.RAW_COVERED])
           - objective_names(found[s.ref][0][queries.COVERED])]
    if not raw:
        return
    detail = asked_once(raw, lambda s: queries.raw_detail(s, spans[s.ref].period.start, at, BURN_WINDOWS))
    figures = by_part(await client.query(query(detail, recorded=False), at=at), detail)
    for sla in raw:
        found[sla.ref] = split(figures.get(sla.ref, []), sla.spec.grouping), found[sla.ref][1], "raw"


def lacks_events(sla: ServiceLevelAgreement, figures: Figures) -> bool:
    """Recorded period events missing where the per-SLA route sums them from the tiles instead."""
    if covers(sla, figures, queries.COVERED):
        return not covers(sla, figures, queries.REQUESTS)
    return sla.spec.window.rolling is not None and not figures[queries.REQUESTS]


async def summed_figures(client: PrometheusClient, short: list[ServiceLevelAgreement], found: Found,
                         spans: dict[SLARef, Span], at: float) -> None:
    """The period events of rolling periods not recorded yet, summed from the tiles: one query."""
    summed = events(short, spans)
    for key, more in by_sla(await client.query(query(summed, recorded=False), at=at), summed).items():
        sla = next(s for s in short if s.ref == key)
        for figure, values in split(more, sla.spec.grouping).items():
            found[key][0][figure].update(values)


async def bulk_figures(client: PrometheusClient, slas: list[ServiceLevelAgreement],
                       spans: dict[SLARef, Span], at: float) -> Found:
    """Every SLA's figures and alerts at ``at``, for any caller (scoped afterwards, as the per-SLA
    route's rows are): two queries; one more for the rolling periods not recorded yet, and two more
    for the SLAs whose recorded history is too short (the raw fallback), however many SLAs."""
    computed = parts(slas, spans)
    samples, alerts = await asyncio.gather(client.query(query(computed), at=at), firing_at(client, at))
    mine, firing = by_sla(samples, computed), defaultdict[SLARef, list[Alert]](list)
    for alert in alerts:
        firing[SLARef.of_labels(alert.labels)].append(alert)
    found: Found = {s.ref: (split(mine.get(s.ref, []), s.spec.grouping), firing[s.ref], "recorded")
                    for s in slas}
    if incomplete := [s for s in slas if not covers(s, found[s.ref][0], queries.COVERED)]:
        await raw_figures(client, incomplete, found, spans, at)
    if short := [s for s in slas if found[s.ref][2] == "recorded" and lacks_events(s, found[s.ref][0])]:
        await summed_figures(client, short, found, spans, at)
    await correct_details(client, slas, found, spans)  # no query without corrections in the periods
    return found


async def report_figures_bulk(client: PrometheusClient, slas: list[ServiceLevelAgreement],
                              spans: dict[SLARef, Span]) -> dict[SLARef, Figures]:
    """Each SLA's events over its span (a report's period so far, ending at the span's moment) and
    whether its recorded tiles cover the span, as ``pledge.api.figures.report_figures`` reads them for
    one SLA: one query per moment the spans end at (the SLAs' time zones), all at once."""
    moments = _by(slas, lambda s: spans[s.ref].at)

    async def ending_at(at: float, same: list[ServiceLevelAgreement]) -> dict[SLARef, list[Sample]]:
        computed = events(same, spans) + [
            Part(queries.coverage(_selector(group), length, IDENTITY_LABELS), frozenset(s.ref for s in group))
            for length, group in _by(same, lambda s: _span(spans, s)).items()]
        return by_sla(await client.query(query(computed, recorded=False), at=at), computed)

    found: dict[SLARef, list[Sample]] = {}
    for samples in await asyncio.gather(*(ending_at(at, same) for at, same in moments.items())):
        found.update(samples)
    return {s.ref: split(found.get(s.ref, []), s.spec.grouping) for s in slas}
