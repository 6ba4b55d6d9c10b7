"""GET /v1/review: a review pack (issue 28, pledge.review.pack) of one scope and period.

Every row's attainment, state, credit, terms, corrections and restatement are the period reports'
(pledge.api.reports.period_reports: the per-SLA report route's figures, in bulk). Beside them the
pack reads, for all the scope's SLAs at once: the period's hours (one range query of the 5 m tiles
summed per hour), the burn alerts' firing intervals (one range query of ``ALERTS``) and the tiles
present (one instant query). Prometheus queries per pack: one per time zone the periods end in (the
reports) + 3, then the reports' per-SLA fallbacks (raw counters, corrections, restatements) where an
SLA needs them, and ``compare`` x (one per time zone) for the earlier periods.

The hours read the tiles as recorded (maintenance left out), then the row's corrections are applied to
them as the report applies them (``corrected_hours``): ``breached_at`` is when the corrected errors
passed the period's allowed bad events (the report's corrected valid events x (1 - target)), to the
hour, and only on a breached row. Firing intervals are to the range
query's step (a minute; coarser for periods over ~7 days, so no series exceeds MAX_POINTS points).
The arithmetic on what those queries return is the pure functions at the end (tests/unit).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal, overload
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request, Response

from pledge.api.auth import Caller, Principal
from pledge.api.deps import At, LabelSelector, selector_of
from pledge.api.figures import Span, objective_of
from pledge.api.listing import Filters
from pledge.api.models import ReportRow, Restatement, TermsOut
from pledge.api.predictions import visible
from pledge.api.record import unit_of, visible_row
from pledge.api.problems import PROBLEM_RESPONSES
from pledge.api.reports import Judged, period_reports
from pledge.api.state import ApiState, api_state
from pledge.forecasting.record import summarize
from pledge.forecasting.record_io import judged_periods
from pledge.predictions import predict
from pledge.prom import PrometheusClient
from pledge.review import pdf, render
from pledge.review.pack import Adjustment, Earlier, Forecast, Incident, Pack, Row, Summary, Terms
from pledge.rules import names, queries
from pledge.rules.promql import escape_label_value
from pledge.sla import ServiceLevelAgreement, format_percent
from pledge.sla.duration import format_duration
from pledge.sla.identity import Row as Key
from pledge.sla.identity import SLARef
from pledge.sla.percent import percent_to_ratio
from pledge.sla.units import HOUR
from pledge.slo.budget import as_percent, credit_amount
from pledge.slo.exclusions import intervals
from pledge.slo.periods import earlier, named_period

TILE = names.TILE
FORECAST_CHUNK = 50  # SLAs per history fetch of a pack's forecast: 10x a background round's, bounded all the same
RECORD_PERIODS = 6  # closed periods the pack's track record judges per SLA
PART = "pledge_part"
MAX_POINTS = 10_000  # per series of a range query (Prometheus refuses more than 11,000)
FORMATS = {"html": "text/html; charset=utf-8", "csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}

router = APIRouter(prefix="/v1", responses={**PROBLEM_RESPONSES, 404: {**PROBLEM_RESPONSES[422], "description": "Not Found"}})


@router.get("/review", response_model=Pack,
            responses={200: {"content": {t: {} for t in FORMATS.values()},
                             "description": "the pack; format=html, csv or pdf for those"}},
            summary="A review pack: every SLA of a customer, service or owner over one period, with credits and reasons")
async def get_review(
    request: Request, caller: Caller,
    period: Annotated[str, Query(description="2026-11, 2026-Q4 or 2026-W48, in each SLA's time zone")],
    customer: str | None = None, service: str | None = None, owner: str | None = None,
    selector: LabelSelector = None,
    compare: Annotated[int, Query(ge=0, le=12, description="earlier periods of the same length to compare with")] = 0,
    format_: Annotated[Literal["json", "html", "csv", "pdf"], Query(alias="format")] = "json",
    at: At = None,
) -> Response:
    """A customer token gets its own customer's pack only: any other scope answers as an unknown one (404)."""
    api = api_state(request)
    scope = {k: v for k, v in (("customer", customer), ("service", service), ("owner", owner),
                                ("selector", selector)) if v is not None}
    if not scope:
        raise HTTPException(422, "customer: give a scope: customer, service, owner or selector (one at least)")
    selector_of(selector)  # a wrong selector is a 422 before anything is read
    try:
        named_period(period, "UTC")
    except ValueError as exc:
        raise HTTPException(422, f"period: {exc}") from None
    now = at.timestamp() if at is not None else api.clock()
    pack = (await build_pack(api, caller, scope, period, compare, now)).sealed()
    if format_ == "json":
        return Response(render.json_bytes(pack), media_type="application/json")
    return await _rendered(pack, format_)


async def _rendered(pack: Pack, kind: Literal["html", "csv", "pdf"]) -> Response:
    """The pack as HTML, CSV or PDF (pledge.review.render; the PDF printed by Chromium, in a thread)."""
    headers = {"Content-Disposition": f'attachment; filename="{render.filename(pack.scope, pack.period, kind)}"'}
    if kind == "html":
        return Response(render.html(pack), media_type=FORMATS[kind])
    if kind == "csv":
        return Response(render.csv_text(pack), media_type=FORMATS[kind], headers=headers)
    try:
        body = await asyncio.to_thread(pdf.to_pdf, render.html(pack))
    except (pdf.PdfUnavailable, pdf.PdfError) as exc:
        raise HTTPException(503, f"format=pdf: {exc}") from None
    return Response(body, media_type=FORMATS[kind], headers=headers)


def _no_scope(scope: dict[str, str]) -> HTTPException:
    """The one answer for a scope without SLAs and for one the caller may not see."""
    return HTTPException(404, "no SLAs in scope " + ", ".join(f"{k}={v}" for k, v in scope.items()))


async def build_pack(api: ApiState, caller: Principal, scope: dict[str, str], period: str, compare: int,
                     now: float) -> Pack:
    """The unsealed pack (404 for an empty or hidden scope)."""
    customer = scope.get("customer")
    if customer is not None and not caller.everything and customer not in caller.customers:
        raise _no_scope(scope)
    filters = Filters(service=scope.get("service"), customer=customer, owner=scope.get("owner"),
                      selector=selector_of(scope.get("selector")))
    slas = sorted((s for s in api.in_force.slas() if caller.sees_sla(s) and filters.spec_matches(s)),
                  key=lambda s: (s.metadata.namespace, s.metadata.name))
    if not slas:
        raise _no_scope(scope)
    judged = await period_reports(api, caller, slas, period, now, filters)
    judged = [j for j in judged if j[2].rows]
    if not judged:
        raise _no_scope(scope)
    spans = [span for _, span, _ in judged]
    mine = [sla for sla, _, _ in judged]
    labels = earlier(period, compare)
    hours, firing, present, before = await asyncio.gather(
        read_hours(api.client, mine, spans), read_incidents(api.client, mine, spans),
        read_present(api.client, mine, spans, now),
        asyncio.gather(*(period_reports(api, caller, slas, label, now, filters, restate=False) for label in labels)))
    past = [(label, _by_key(found)) for label, found in zip(labels, before)]
    rows = [_row(sla, span, report.terms, line, report.restatement, hours, firing, past)
            for sla, span, report in judged for line in report.rows]
    start, end = min(s.period.start for s in spans), max(s.period.end for s in spans)
    closed, moment = end <= now, min(now, end)
    forecast = await _forecast(api, caller, [s for s in mine if any(k[0] == s.ref for k in present)], customer, moment)
    summary = Summary(lines=_lines(mine, rows),
                      met=_count(mine, rows, True), breached=_count(mine, rows, False), worst=_worst(rows),
                      credits=_credits(judged), credit_totals=_credit_totals(judged),
                      completeness=_completeness(judged, present, now), forecast=forecast)
    zone = _shared_zone(mine)
    return Pack(scope=scope, period=period, start=_at(start, zone), end=_at(end, zone), closed=closed,
                computed_at=_at(moment, zone), restated=any(r.restated for r in rows), summary=summary, rows=rows)


def _zone(sla: ServiceLevelAgreement) -> ZoneInfo:
    return ZoneInfo(sla.spec.window.timezone)


def _shared_zone(slas: list[ServiceLevelAgreement]) -> ZoneInfo:
    """The scope's time zone when every SLA has the same one, else UTC."""
    zones = {s.spec.window.timezone for s in slas}
    return ZoneInfo(zones.pop() if len(zones) == 1 else "UTC")


@overload
def _at(unix: float, zone: ZoneInfo) -> dt.datetime: ...
@overload
def _at(unix: None, zone: ZoneInfo) -> None: ...
def _at(unix: float | None, zone: ZoneInfo) -> dt.datetime | None:
    """A moment written in ``zone`` (with its offset: the same instant as UTC, read as the SLA reads it)."""
    return None if unix is None else dt.datetime.fromtimestamp(unix, zone)


# --- rows -------------------------------------------------------------------------------------------------

HourKey = tuple[SLARef, Key]


def _row(sla: ServiceLevelAgreement, span: Span, terms: TermsOut | None, line: ReportRow,
         restatement: Restatement | None,
         hours: dict[HourKey, list[Hour]], firing: dict[HourKey, list[tuple[float, float, str, str]]],
         past: list[tuple[str, dict[tuple[SLARef, Key], ReportRow]]]) -> Row:
    key = Key.of(line.objective, line.group)
    objective = objective_of(sla, line.objective)
    allowed = line.events_total * (1 - line.target)
    pieces = [(c.start.timestamp(), c.end.timestamp(), c.effect) for c in line.corrections]
    figures = hour_figures(corrected_hours(hours.get((sla.ref, key), []), pieces), line.target, allowed)
    restated = next((r for r in (restatement.rows if restatement is not None else [])
                     if Key.of(r.objective, r.group) == key), None)
    known = terms is not None and terms.history_known
    last = terms.segments[-1] if terms is not None and known and terms.segments else None
    zone, fee = _zone(sla), sla.spec.fee
    return Row(
        namespace=sla.metadata.namespace, name=sla.metadata.name, service=sla.spec.service,
        customer=line.group.get("customer", sla.spec.customer), objective=line.objective, group=line.group,
        terms=Terms(target=format_percent(objective.target),
                    revision=terms.revision if terms is not None and known else None,
                    revision_accepted_at=last.accepted_at.astimezone(zone) if last and last.accepted_at else None,
                    words=terms.words if terms is not None else ""),
        events_total=line.events_total, events_bad=line.events_bad, sli=line.sli,
        budget_used=budget_used(line.events_bad, line.events_total, line.target), state=line.state,
        met=line.state in ("Met", "AtRisk"),
        breached_at=_at(figures.breached_at, zone) if line.breached else None,
        above_target_share=figures.above_target_share, longest_bad_seconds=figures.longest_bad_seconds,
        longest_bad_start=_at(figures.longest_bad_start, zone),
        incidents=[Incident(start=_at(a, zone), end=_at(b, zone), tier=tier, severity=severity)
                   for a, b, tier, severity in firing.get((sla.ref, key), [])],
        adjustments=_exclusions(sla, span) + [
            Adjustment(kind="correction", start=c.start.astimezone(zone), end=c.end.astimezone(zone),
                       effect=c.effect, category=c.category,
                       reason=c.reason, ref=c.ref, approved_by=c.approved_by, events_bad=c.events_bad,
                       budget_share=-c.events_bad / allowed if allowed > 0 else None)
            for c in line.corrections],
        restated=restated is not None,
        sli_published=restated.sli_published if restated is not None else None,
        credit_percent_published=restated.credit_percent_published if restated is not None else None,
        credit_tier=credit_tier(sla, line), credit_percent=line.credit_percent,
        credit_amount=None if fee is None or line.credit_percent is None else
        format(credit_amount(Decimal(line.credit_percent), fee), "f"),
        currency=None if fee is None else fee.currency, timezone=sla.spec.window.timezone,
        earlier=[_earlier(label, found.get((sla.ref, key)), line) for label, found in past])


def _exclusions(sla: ServiceLevelAgreement, span: Span) -> list[Adjustment]:
    """Each exclusion's occurrences within the period so far, with its reason (as the report lists them)."""
    found = [(a, b, e.reason) for e in sla.spec.exclusions
             for a, b in intervals([e], span.period.start, span.at)]
    zone = _zone(sla)
    return [Adjustment(kind="exclusion", start=_at(a, zone), end=_at(b, zone), effect="exclude", category="maintenance",
                       reason=reason or "planned maintenance") for a, b, reason in sorted(found)]


def _earlier(label: str, then: ReportRow | None, now: ReportRow) -> Earlier:
    if then is None:
        return Earlier(period=label, sli=None, state="NoData", credit_percent=None, sli_change=None)
    change = None if now.sli is None or then.sli is None else now.sli - then.sli
    return Earlier(period=label, sli=then.sli, state=then.state, credit_percent=then.credit_percent, sli_change=change)


def _by_key(found: list[Judged]) -> dict[tuple[SLARef, Key], ReportRow]:
    return {(sla.ref, Key.of(r.objective, r.group)): r for sla, _, report in found for r in report.rows}


def credit_tier(sla: ServiceLevelAgreement, line: ReportRow) -> str | None:
    """The credit tier the row's SLI falls in ("below 99"), as pledge.status picks the credit."""
    if line.sli is None:
        return None
    target = objective_of(sla, line.objective).target
    sli = as_percent(line.sli)
    below = [c.below for c in sla.spec.credits if c.below <= target and sli < c.below]
    return f"below {format_percent(min(below))}" if below else None


# --- summary ----------------------------------------------------------------------------------------------


def _ref(row: Row) -> str:
    group = ",".join(f"{k}={v}" for k, v in sorted(row.group.items()))
    return f"{row.namespace}/{row.name}" + (f" ({group})" if group else "")


def _lines(slas: list[ServiceLevelAgreement], rows: list[Row]) -> list[str]:
    """One line per SLA and group, by its worst objective: met, breached, or so far."""
    out, of_sla = [], _by_sla(rows)
    for sla in slas:
        by_group: dict[str, list[Row]] = defaultdict(list)
        for r in of_sla.get(sla.ref, []):
            by_group[_ref(r)].append(r)
        for ref, mine in by_group.items():
            worst = min(mine, key=_margin)
            if worst.state == "Breached":
                credit = max((Decimal(r.credit_percent) for r in mine if r.credit_percent), default=Decimal(0))
                out.append(f"{ref} breached: {render.sli_text(worst.sli)}, credit {format_percent(credit)} %")
            elif worst.met:
                out.append(f"{ref} met {worst.terms.target} % ({render.sli_text(worst.sli)})")
            else:
                out.append(f"{ref} {worst.state}: {render.sli_text(worst.sli)} against {worst.terms.target} %")
    return out


def _margin(row: Row) -> float:
    """SLI minus target (no data sorts first: nothing is known of it)."""
    return -math.inf if row.sli is None else row.sli - float(percent_to_ratio(Decimal(row.terms.target)))


def _count(slas: list[ServiceLevelAgreement], rows: list[Row], met: bool) -> int:
    """SLAs all of whose rows met their targets (``met``), or with a row breached."""
    found, of_sla = 0, _by_sla(rows)
    for sla in slas:
        mine = of_sla.get(sla.ref, [])
        found += bool(mine) and (all(r.met for r in mine) if met else any(r.state == "Breached" for r in mine))
    return found


def _by_sla(rows: list[Row]) -> dict[SLARef, list[Row]]:
    found: dict[SLARef, list[Row]] = defaultdict(list)
    for r in rows:
        found[SLARef(r.namespace, r.name)].append(r)
    return found


def _worst(rows: list[Row]) -> str | None:
    judged = [r for r in rows if r.sli is not None]
    if not judged:
        return None
    worst = min(judged, key=_margin)
    return f"{_ref(worst)} {worst.objective}: {render.sli_text(worst.sli)} against {worst.terms.target} %"


def _credits(judged: list[Judged]) -> dict[str, str]:
    """Credit owed (or so far) per SLA and group; none where nothing is owed."""
    return {f"{sla.ref}" + (f" {group}" if group else ""): percent
            for sla, _, report in judged for group, percent in sorted(report.credits.items()) if Decimal(percent) > 0}


def _credit_totals(judged: list[Judged]) -> dict[str, str]:
    """Per currency, the credits owed (or so far) in money: each SLA and group's credit of its fee."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for sla, _, report in judged:
        if (fee := sla.spec.fee) is not None:
            for percent in report.credits.values():
                totals[fee.currency] += credit_amount(Decimal(percent), fee)
    return {currency: format(total, "f") for currency, total in sorted(totals.items()) if total > 0}


def _completeness(judged: list[Judged], present: dict[HourKey, float], now: float) -> float | None:
    """Present 5 m tiles over those expected, over every row of the pack (each row's count at most
    what its period expects: late duplicates never hide a gap). Expected are the tiles surely recorded
    by ``now``: those that started in the period a whole tile before it (a tile is recorded some seconds
    into the next 5 minutes, so the newest one may not be there yet, and a closed period's last one is
    recorded after its end)."""
    have = want = 0.0
    for sla, span, report in judged:
        expected = expected_tiles(span.period.start, min(span.period.end, now - TILE + 1), span.excluded)
        for line in report.rows:
            want += expected
            have += min(present.get((sla.ref, Key.of(line.objective, line.group)), 0.0), expected)
    return have / want if want else None


async def _forecast(api: ApiState, caller: Principal, slas: list[ServiceLevelAgreement], customer: str | None,
                    moment: float) -> Forecast:
    """The scope's predictions as of ``moment`` (the pack's: a closed pack's end, so the same request gives
    the same figures whenever it is asked), computed here from the recorded history of the SLAs with
    data in the period, FORECAST_CHUNK a fetch; the track record of the served predictions of the
    scope's closed calendar periods by then (pledge.forecasting.record, as GET /v1/predictions/record)."""
    found, judged = await asyncio.gather(predict(api.client, slas, moment, chunk=FORECAST_CHUNK),
                                         judged_periods(api.client, slas, moment, RECORD_PERIODS))
    found = [p for p in found if visible(p, caller, customer, 0.0)]
    record = summarize([r.period for r in judged if visible_row(r, caller, customer)], unit_of(slas))
    if not found:
        words = "No forecast: no SLA of the scope has recorded history to forecast from."
    else:
        words = found[0].message + (f" ({len(found) - 1} other objectives forecast, each less likely to breach.)"
                                    if len(found) > 1 else "")
    return Forecast(as_of=_at(moment, _shared_zone(slas) if slas else ZoneInfo("UTC")),
                    probability=found[0].probability if found else None, words=words, track_record=record.words,
                    periods_judged=record.periods, warned=record.warned, warned_breached=record.warned_breached,
                    missed=record.missed, brier=record.brier)


# --- queries: one each for every SLA of the pack ----------------------------------------------------------

def _selector(slas: list[ServiceLevelAgreement]) -> str:
    """The SLAs' recorded series by name (namespaces checked in Python, as pledge.api.bulk)."""
    return queries.any_sla_matchers([s.metadata.name for s in slas])[1:-1]


def _mine(labels: dict[str, str], refs: dict[SLARef, ServiceLevelAgreement]) -> ServiceLevelAgreement | None:
    return refs.get(SLARef.of_labels(labels))


async def read_hours(client: PrometheusClient, slas: list[ServiceLevelAgreement],
                     spans: list[Span]) -> dict[HourKey, list[Hour]]:
    """Bad and valid events of each whole hour of each period so far: the 5 m tiles that started in
    the hour, summed, at a 1 h step; one range query per hour alignment of the periods' starts (one
    for zones a whole number of hours from UTC)."""
    out: dict[HourKey, list[Hour]] = defaultdict(list)
    aligned: dict[float, list[int]] = defaultdict(list)
    for n, span in enumerate(spans):
        aligned[span.period.start % HOUR].append(n)
    for ns in aligned.values():
        group, refs = [slas[n] for n in ns], {slas[n].ref: slas[n] for n in ns}
        first = min(spans[n].period.start for n in ns)
        last = max(spans[n].period.start + (spans[n].at - spans[n].period.start) // HOUR * HOUR for n in ns)
        if last <= first:
            continue
        shift = HOUR + TILE - 1  # a point holds the tiles that started in the hour before it, less 1 s
        selector = _selector(group)
        expr = " or ".join(queries.with_label(f"sum_over_time({name}{{{selector}}}[{format_duration(HOUR)}])",
                                              queries.FIGURE_LABEL, figure)
                           for name, figure in ((names.ERRORS_TILE, queries.ERRORS),
                                                (names.REQUESTS_TILE, queries.REQUESTS)))
        series = await client.query_range(expr, first + shift, last - HOUR + shift, HOUR)
        found: dict[HourKey, dict[str, dict[float, float]]] = defaultdict(lambda: defaultdict(dict))
        for s in series:
            if (sla := _mine(s.labels, refs)) is None:
                continue
            key = (sla.ref, Key.of_labels(s.labels, sla.spec.grouping))
            found[key][s.labels.get(queries.FIGURE_LABEL, "")].update(
                (float(t) - shift, float(v)) for t, v in zip(s.times, s.numbers))
        by_ref = {slas[n].ref: spans[n] for n in ns}
        for key, figures in found.items():
            span = by_ref[key[0]]
            bad = figures.get(queries.ERRORS, {})
            out[key] = [(t, bad.get(t, 0.0), valid) for t, valid in sorted(figures.get(queries.REQUESTS, {}).items())
                        if span.period.start <= t and t + HOUR <= min(span.period.end, span.at)]
    return out


async def read_incidents(client: PrometheusClient, slas: list[ServiceLevelAgreement],
                         spans: list[Span]) -> dict[HourKey, list[tuple[float, float, str, str]]]:
    """The burn alerts' firing intervals within each period (start, end, burn tier, severity), to the
    range query's step (a minute, or coarser so no series has more than MAX_POINTS points)."""
    start = min(s.period.start for s in spans)
    end = max(min(s.period.end, s.at) for s in spans)
    if end <= start:
        return {}
    step = max(60, math.ceil((end - start) / MAX_POINTS / 60) * 60)
    expr = (f'ALERTS{{alertname="{escape_label_value(names.ALERT_BURN)}",alertstate="firing",'
            f"{_selector(slas)}}}")
    refs = {s.ref: s for s in slas}
    by_ref = {s.ref: span for s, span in zip(slas, spans)}
    out: dict[HourKey, list[tuple[float, float, str, str]]] = defaultdict(list)
    for s in await client.query_range(expr, start, end, step):
        if (sla := _mine(s.labels, refs)) is None:
            continue
        span = by_ref[sla.ref]
        times = [float(t) for t in s.times if span.period.start <= t < span.period.end]
        until = min(span.period.end, span.at)
        final = start + math.floor((until - start) / step) * step  # the query's last moment in the period
        final -= step if final >= span.period.end else 0
        for a, b in firing_intervals(times, step, last=final, until=until):
            out[(sla.ref, Key.of_labels(s.labels, sla.spec.grouping))].append(
                (a, b, s.labels.get("burn_tier", ""), s.labels.get("severity", "")))
    for found in out.values():
        found.sort()
    return out


async def read_present(client: PrometheusClient, slas: list[ServiceLevelAgreement],
                       spans: list[Span], now: float) -> dict[HourKey, float]:
    """The 5 m request tiles present in each period so far, per row: those that started in it and were
    recorded by ``now``; one query, a part per distinct period (``@`` pins each to its end)."""
    periods: dict[tuple[float, float], list[ServiceLevelAgreement]] = defaultdict(list)
    for one, span in zip(slas, spans):
        periods[(span.period.start, min(queries.tiles_recorded(span.period.end), now))].append(one)
    parts: list[str] = []
    members: list[dict[SLARef, ServiceLevelAgreement]] = []
    for (start, until), group in sorted(periods.items(), key=lambda p: p[0]):
        if (length := int(until - (start + TILE - 1))) < 1:
            continue
        counted = f"count_over_time({names.REQUESTS_TILE}{{{_selector(group)}}}[{format_duration(length)}] @ {until:.3f})"
        parts.append(queries.with_label(counted, PART, str(len(members))))
        members.append({s.ref: s for s in group})
    if not parts:
        return {}
    out: dict[HourKey, float] = {}
    for sample in await client.query(" or ".join(parts), at=now):
        if (sla := _mine(sample.labels, members[int(sample.labels.get(PART, "0"))])) is not None:
            out[(sla.ref, Key.of_labels(sample.labels, sla.spec.grouping))] = sample.value
    return out


# --- the arithmetic (pure) --------------------------------------------------------------------------------

Hour = tuple[float, float, float]  # (start, bad events, valid events)


@dataclass(frozen=True)
class HourFigures:
    breached_at: float | None
    above_target_share: float | None
    longest_bad_seconds: float
    longest_bad_start: float | None


def budget_used(bad: float, valid: float, target: float) -> float | None:
    """Bad events over the allowed bad events (valid x (1 - target)); None without traffic or budget."""
    allowed = valid * (1 - target)
    return bad / allowed if allowed > 0 else None


def corrected_hours(hours: Iterable[Hour], pieces: Sequence[tuple[float, float, str]], hour: float = HOUR) -> list[Hour]:
    """The hours with the row's corrections applied as the report applies them (pledge.slo.corrections:
    exclude drops the events, good clears the bad ones, bad makes every one bad), each piece (start,
    end, effect) in the order given. An hour a piece covers in part is corrected in proportion to the
    part it covers: exact when corrections fall on whole hours, to the hour otherwise."""
    out: list[Hour] = []
    for start, bad, valid in hours:
        for a, b, effect in pieces:
            share = max(0.0, min(b, start + hour) - max(a, start)) / hour
            if share <= 0:
                continue
            if effect == "exclude":
                bad, valid = bad * (1 - share), valid * (1 - share)
            elif effect == "good":
                bad *= 1 - share
            else:
                bad += (valid - bad) * share
        out.append((start, bad, valid))
    return out


def hour_figures(hours: Iterable[Hour], target: float, allowed_bad: float, hour: float = HOUR) -> HourFigures:
    """From the period's hours: when the errors so far first exceeded ``allowed_bad`` (the end of that
    hour), the share of the hours with traffic whose SLI was at or above ``target``, and the longest
    run of consecutive hours below it (an hour without traffic, or missing, ends a run)."""
    breached_at, spent = None, 0.0
    judged = above = 0
    best, best_start = 0.0, None
    run, run_start, previous = 0.0, None, None
    for start, bad, valid in sorted(hours):
        spent += bad
        if breached_at is None and spent > allowed_bad:
            breached_at = start + hour
        if valid <= 0:
            run, run_start, previous = 0.0, None, None
            continue
        judged += 1
        if bad / valid <= 1 - target:
            above += 1
            run, run_start, previous = 0.0, None, None
            continue
        if previous is None or start != previous + hour:
            run, run_start = 0.0, start
        run, previous = run + hour, start
        if run > best:
            best, best_start = run, run_start
    return HourFigures(breached_at, above / judged if judged else None, best, best_start)


def firing_intervals(times: Sequence[float], step: float, last: float, until: float) -> list[tuple[float, float]]:
    """The intervals an alert fired over, from the moments a range query (``step`` apart, the last at
    ``last``) found it firing: consecutive moments form one, from its first to its last moment, or to
    ``until`` (the period's end, or the moment of an open one) when it still fired at the query's last
    moment."""
    out: list[tuple[float, float]] = []
    for t in sorted(times):
        if out and t - out[-1][1] <= step + 1e-6:
            out[-1] = (out[-1][0], t)
        else:
            out.append((t, t))
    return [(a, until if b >= last - 1e-6 else b) for a, b in out]


def expected_tiles(start: float, until: float, excluded: Sequence[tuple[float, float]], tile: float = TILE) -> int:
    """The 5 m tiles the rules record between ``start`` and ``until`` (each at the end of its 5
    minutes, ``start + k x tile``) outside maintenance: the rules drop a tile recorded from a window's
    start to a tile after its end (pledge.rules.generate: ``start <= time() < end + 5m``)."""
    last = math.floor((until - start) / tile + 1e-9)
    masked: list[tuple[float, float]] = []
    for a, b in sorted(excluded):
        if masked and a <= masked[-1][1]:
            masked[-1] = (masked[-1][0], max(masked[-1][1], b + tile))
        else:
            masked.append((a, b + tile))
    dropped = 0
    for a, b in masked:  # moments in [a, b + tile)
        low, high = max(1, math.ceil((a - start) / tile)), min(last, math.ceil((b - start) / tile) - 1)
        dropped += max(0, high - low + 1)
    return max(0, last) - dropped
