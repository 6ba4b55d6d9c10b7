"""GET /v1/slas/{ns}/{name}/report: a period's compliance and the service credits owed, JSON or CSV."""

from __future__ import annotations

import asyncio
import csv
import io
from collections import defaultdict
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import AwareDatetime

from pledge.sla.identity import Row
from pledge.api.auth import Caller, Principal
from pledge.api.bulk import report_figures_bulk
from pledge.api.figures import (
    UNCORRECTED_ERRORS, UNCORRECTED_REQUESTS, Figures, Reach, Span, as_recorded, corrected, held_in, objective_of,
    period_ratios, ratio_float, raw_reach, report_fallback, report_read,
)
from pledge.api.listing import Filters
from pledge.api.models import CorrectionOut, Report, ReportPage, ReportRow, RestatedRow, Restatement, Source
from pledge.api.problems import PROBLEM_RESPONSES
from pledge.api.deps import At, LabelSelector, Limit, Moment, Offset, find_sla, selector_of
from pledge.api.state import ApiState, api_state
from pledge.api.terms import period_terms, terms_out
from pledge.clock import rfc3339, utc
from pledge.rules import queries
from pledge.slo.budget import error_ratio
from pledge.slo.corrections import NOTHING_HELD, Events, Held, apply, change, pieces
from pledge.slo.periods import Period, elapsed_share, named_period
from pledge.review.render import sli_text
from pledge.slo.terms import Terms, spec_of_revision
from pledge.sla import ServiceLevelAgreement, format_duration, format_percent
from pledge.sla.duration import MAX_DURATION
from pledge.status import Reading, readings_for

router = APIRouter(prefix="/v1", responses={**PROBLEM_RESPONSES, 404: {**PROBLEM_RESPONSES[422], "description": "Not Found"}})
# New columns go at the end: readers of the older CSV keep their column positions.
CSV_COLUMNS = ("objective", "group", "sli", "target", "state", "breached", "events_total", "events_bad",
               "credit_percent", "final", "won_back", "sli_uncorrected", "events_bad_uncorrected",
               "credit_percent_uncorrected", "corrections", "terms", "sli_published", "credit_percent_published")


def _period(sla: ServiceLevelAgreement, period: str | None, start: AwareDatetime | None,
            end: AwareDatetime | None) -> Period:
    """Either ``period`` (in the SLA's time zone) or both ``from`` and ``to``; 422 otherwise."""
    if period is not None and start is None and end is None:
        try:
            return named_period(period, sla.spec.window.timezone)
        except ValueError as exc:
            raise HTTPException(422, f"period: {exc}") from None
    if period is None and start is not None and end is not None:
        if end <= start:
            raise HTTPException(422, "to: must be after from")
        if (end - start).total_seconds() > MAX_DURATION:
            raise HTTPException(422, f"to: a report covers at most {format_duration(MAX_DURATION)} "
                                     "(10 years, the longest duration pledge accepts)")
        return Period(f"{start.isoformat()}/{end.isoformat()}", start.timestamp(), end.timestamp())
    raise HTTPException(422, "period: give either period (e.g. 2026-10) or both from and to")


@router.get("/slas/{namespace}/{name}/report", response_model=Report,
            responses={200: {"content": {"text/csv": {}}, "description": "the report; CSV with Accept: text/csv"}},
            summary="Compliance, breaches, excluded maintenance and service credits of a period")
async def get_report(
    request: Request, caller: Caller, namespace: str, name: str,
    period: Annotated[str | None, Query(description="2026-10, 2026-Q4 or 2026-W44, in the SLA's time zone")] = None,
    start: Annotated[Moment | None, Query(alias="from")] = None,
    end: Annotated[Moment | None, Query(alias="to")] = None,
    revision: Annotated[int | None, Query(ge=1, description="judge the whole period by this revision's terms "
                                                          "(what would this period have been under revision n)")] = None,
    at: At = None,
) -> Report | Response:
    api = api_state(request)
    now = at.timestamp() if at is not None else api.clock()  # a period still open is reported so far
    current = await find_sla(api, caller, namespace, name, now)
    chosen = _period(current, period, start, end)
    terms = await period_terms(api, current, chosen, revision)
    sla = terms.judging(current)  # the terms in force for the period, never today's spec
    span = Span.of(sla, chosen, min(chosen.end, now))
    figures, source, held = await report_read(api.client, sla, caller, span)
    report = _report(sla, span, figures, source, caller, now, held=held)
    restated = None if revision is not None else await _restatement(api, sla, span, figures, source, caller, now, terms, report)
    report = report.model_copy(update={"terms": terms_out(terms, what_if=revision is not None), "restatement": restated})
    return _as_csv(report) if "text/csv" in request.headers.get("accept", "") else report


def _report(sla: ServiceLevelAgreement, span: Span, figures: Figures, source: Source, caller: Principal,
            now: float, filters: Filters = Filters(), held: Held = NOTHING_HELD) -> Report:
    """The report's period is judged as a calendar period, whatever the SLA's window: while it is
    open, below target so far is Behind unless it can no longer end above target, and the credits
    are so far (``final`` false); once it has closed, they are owed. Each row names the corrections
    applied to it and what they changed (``held``: what their pieces held)."""
    elapsed = elapsed_share(span.period, now)
    readings = [r for r in readings_for(sla, period_ratios(figures), [], elapsed=elapsed)
                if caller.sees_group(sla, r.group) and filters.row_matches(sla, r)]
    before: dict[object, Reading] = {}
    if held:
        uncorrected: Figures = {queries.ERRORS: figures[UNCORRECTED_ERRORS], queries.REQUESTS: figures[UNCORRECTED_REQUESTS]}
        before = {r.row: r for r in readings_for(sla, period_ratios(uncorrected), [], elapsed=elapsed)}
    rows = [_corrected(ReportRow(objective=r.objective, group=r.group, sli=r.compliance.sli,
                      target=ratio_float(objective_of(sla, r.objective).target), state=r.compliance.state,
                      breached=r.compliance.state == "Breached",
                      events_total=figures[queries.REQUESTS].get(r.row, 0.0),
                      events_bad=figures[queries.ERRORS].get(r.row, 0.0),
                      credit_percent=_percent(r),
                      final=elapsed is None, won_back=r.compliance.won_back), r, figures, held, before)
            for r in readings]
    return Report(namespace=sla.metadata.namespace, name=sla.metadata.name, service=sla.spec.service,
                  customer=sla.spec.customer, period=span.out(), closed=span.period.end <= now, source=source,
                  rows=rows, credits=_credits(rows))


def _percent(reading: Reading | None) -> str | None:
    return format_percent(reading.credit) if reading is not None and reading.credit is not None else None


def _corrected(line: ReportRow, reading: Reading, figures: Figures, held: Held,
               before: dict[object, Reading]) -> ReportRow:
    """The row with its corrections (each piece, what it changed) and its figures before them."""
    pieces = held.of(reading.row)
    if not pieces:
        return line
    row = reading.row
    recorded = Events(figures[UNCORRECTED_ERRORS].get(row, 0.0), figures[UNCORRECTED_REQUESTS].get(row, 0.0))
    final = apply(recorded, pieces)
    out = []
    for n, (piece, events) in enumerate(pieces):
        without = apply(recorded, pieces[:n] + pieces[n + 1:])
        delta = change(piece.effect, events)
        c = piece.correction
        out.append(CorrectionOut(start=utc(piece.start), end=utc(piece.end), effect=c.effect, category=c.category,
                                 reason=c.reason, ref=c.ref, approved_by=c.approved_by, events_bad=delta.bad,
                                 events_total=delta.valid, sli_change=_sli_change(final, without)))
    old = before.get(row)
    return line.model_copy(update={
        "corrections": out, "sli_uncorrected": old.compliance.sli if old is not None else None,
        "events_total_uncorrected": recorded.valid, "events_bad_uncorrected": recorded.bad,
        "credit_percent_uncorrected": _percent(old)})


def _sli_change(final: Events, without: Events) -> float | None:
    now, then = error_ratio(final.bad, final.valid), error_ratio(without.bad, without.valid)
    return None if now is None or then is None else then - now


@router.get("/reports", response_model=ReportPage,
            summary="Every SLA's report of one period (each as GET /v1/slas/{ns}/{name}/report), in one request")
async def list_reports(
    request: Request, caller: Caller,
    period: Annotated[str, Query(description="2026-10, 2026-Q4 or 2026-W44, in each SLA's time zone")],
    namespace: str | None = None, service: str | None = None, customer: str | None = None,
    tier: str | None = None, selector: LabelSelector = None, at: At = None,
    limit: Limit = 100, offset: Offset = 0,
) -> ReportPage:
    """Filters and paging as GET /v1/details; ``customer`` keeps that customer's rows. One Prometheus
    query per moment the SLAs' periods end at (one per time zone for a closed period), however many SLAs;
    an SLA whose recorded tiles do not cover the period then takes the per-SLA route's raw fallback
    (whether its raw counters reach further back, and if so its figures from them)."""
    api, filters = api_state(request), Filters(namespace, service, customer, tier, selector=selector_of(selector))
    now = at.timestamp() if at is not None else api.clock()
    slas = [s for s in api.in_force.slas() if caller.sees_sla(s) and filters.spec_matches(s)]
    try:
        named_period(period, "UTC")  # the same 422 whether or not any SLA matches
    except ValueError as exc:
        raise HTTPException(422, f"period: {exc}") from None
    reports = [r for _, _, r in await period_reports(api, caller, slas, period, now, filters)]
    matching = [r for r in reports if r.rows]
    return ReportPage.of(matching, limit, offset)


Judged = tuple[ServiceLevelAgreement, Span, Report]


async def period_reports(api: ApiState, caller: Principal, slas: list[ServiceLevelAgreement], period: str, now: float,
                         filters: Filters = Filters(), *, restate: bool = True) -> list[Judged]:
    """Each SLA's report of the named ``period`` (in its time zone, judged by its terms in force, as the
    per-SLA route reports it), with the SLA as judged and its span: one Prometheus query per moment the
    periods end at, then the per-SLA raw fallbacks and the restatements of restated closed periods
    (``restate`` false: none, the figures as they stand). ``period`` must be a valid name."""
    periods = [_period(sla, period, None, None) for sla in slas]
    terms = await asyncio.gather(*(period_terms(api, sla, chosen, None) for sla, chosen in zip(slas, periods)))
    slas = [t.judging(sla) for t, sla in zip(terms, slas)]  # each period by its terms in force
    spans = {sla.ref: Span.of(sla, chosen, min(chosen.end, now)) for sla, chosen in zip(slas, periods)}
    recorded = await report_figures_bulk(api.client, slas, spans)
    reach = await raw_reach(api.client, [Reach(s, recorded[s.ref], spans[s.ref].at - spans[s.ref].period.start,
                                               spans[s.ref].at) for s in slas])  # one query, not one per SLA
    found = await asyncio.gather(*(report_fallback(api.client, s, recorded[s.ref], spans[s.ref], reach[s.ref])
                                   for s in slas))
    reports = [_report(s, spans[s.ref], figures, source, caller, now, filters, held).model_copy(
                   update={"terms": terms_out(t)})
               for s, t, (figures, source, held) in zip(slas, terms, found)]
    if restate:
        restated = await asyncio.gather(*(_restatement(api, s, spans[s.ref], figures, source, caller, now, t, r, filters)
                                          for s, t, (figures, source, _), r in zip(slas, terms, found, reports)))
        reports = [r.model_copy(update={"restatement": x}) for r, x in zip(reports, restated)]
    return [(s, spans[s.ref], r) for s, r in zip(slas, reports)]


async def _restatement(api: ApiState, sla: ServiceLevelAgreement, span: Span, figures: Figures, source: Source,
                       caller: Principal, now: float, terms: Terms, report: Report,
                       filters: Filters = Filters()) -> Restatement | None:
    """A closed period whose corrections changed since it closed is restated: its figures as first
    published (the corrections of the revision in force at its close, from the same recorded events)
    beside this report's. None when nothing it held changed, or there is no history to tell."""
    first = terms.published
    if first is None or span.period.end > now:
        return None
    spec = sla.spec.model_copy(update={"corrections": spec_of_revision(first).corrections})
    then = sla.model_copy(update={"spec": spec})
    if _occurrences(then, span) == _occurrences(sla, span):
        return None
    held = await held_in(api.client, then, span, raw=source == "raw")
    published = _report(then, span, corrected(as_recorded(figures), held), source, caller, now, filters, held)
    before = {(r.objective, Row.of(r.objective, r.group)): r for r in published.rows}
    rows = [RestatedRow(objective=r.objective, group=r.group, sli_published=old.sli, sli_restated=r.sli,
                        attainment_change=None if r.sli is None or old.sli is None else r.sli - old.sli,
                        credit_percent_published=old.credit_percent, credit_percent_restated=r.credit_percent,
                        credit_change=format_percent(_credit(r) - _credit(old)))
            for r in report.rows if (old := before.get((r.objective, Row.of(r.objective, r.group)))) is not None
            and (old.sli, old.credit_percent) != (r.sli, r.credit_percent)]
    return Restatement(published_revision=first.number, restated_by=[r.number for r in terms.restated_by], rows=rows,
                       credits_published=published.credits, words=_restated_words(first.number, terms, rows))


def _occurrences(sla: ServiceLevelAgreement, span: Span) -> list[tuple[str, float, float, str]]:
    """The corrections' pieces within the span, per objective: equal lists hold the same events the same way."""
    return [(o.name, p.start, p.end, p.effect) for o in sla.spec.objectives
            for p in pieces(sla.spec.corrections, sla.spec.exclusions, span.period.start, span.at, objective=o.name)]


def _credit(row: ReportRow | RestatedRow) -> Decimal:
    value = row.credit_percent if isinstance(row, ReportRow) else row.credit_percent_restated
    return Decimal(value or "0")


def _restated_words(published: int, terms: Terms, rows: list[RestatedRow]) -> str:
    """"Restated: first published under revision 1; revision 3 (accepted 20 Oct 2026 by Bob) changed its corrections: ..."""
    by = ", ".join(f"revision {r.number}" + (f" (accepted {r.accepted_at:%d %b %Y}" + (f" by {r.author})" if r.author else ")")
                                               if r.accepted_at else "") for r in terms.restated_by) or "a later revision"
    changed = "; ".join(
        f"{Row.of(r.objective, r.group)}: {sli_text(r.sli_published)} -> {sli_text(r.sli_restated)}, credit "
        f"{r.credit_percent_published or '0'} % -> {r.credit_percent_restated or '0'} %" for r in rows)
    return (f"Restated: first published under revision {published}; {by} changed its corrections since"
            + (f": {changed}." if changed else ", with no figure changed."))



def _credits(rows: list[ReportRow]) -> dict[str, str]:
    """Per group, the highest credit over its objectives (each already capped by creditCap)."""
    owed: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.credit_percent is not None:
            name = Row.of(row.objective, row.group).group_text()
            owed[name] = max(owed[name], Decimal(row.credit_percent))
    return {name: format_percent(value) for name, value in owed.items()}


def _described(correction: CorrectionOut) -> str:
    """One correction in a CSV cell: interval, effect, category, reason, ref, approver, bad events changed."""
    extra = "".join(f" {k}={v}" for k, v in (("ref", correction.ref), ("approvedBy", correction.approved_by)) if v)
    return (f"{rfc3339(correction.start.timestamp())}/{rfc3339(correction.end.timestamp())} {correction.effect} "
            f"{correction.category}: {correction.reason}{extra} (bad events {correction.events_bad:+g})")


def _as_csv(report: Report) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    restated = {(r.objective, Row.of(r.objective, r.group)): r for r in (report.restatement.rows if report.restatement else [])}
    for row in report.rows:
        first = restated.get((row.objective, Row.of(row.objective, row.group)))
        writer.writerow([row.objective, Row.of(row.objective, row.group).group_text(), "" if row.sli is None else repr(row.sli), repr(row.target),
                         row.state, str(row.breached).lower(), repr(row.events_total), repr(row.events_bad),
                         row.credit_percent or "", str(row.final).lower(), "" if row.won_back is None else repr(row.won_back),
                         "" if row.sli_uncorrected is None else repr(row.sli_uncorrected),
                         "" if row.events_bad_uncorrected is None else repr(row.events_bad_uncorrected),
                         row.credit_percent_uncorrected or "", "; ".join(_described(c) for c in row.corrections),
                         report.terms.words if report.terms else "",
                         "" if first is None or first.sli_published is None else repr(first.sli_published),
                         "" if first is None else first.credit_percent_published or ""])
    filename = f"{report.namespace}-{report.name}-{report.period.label}.csv".replace("/", "_").replace(":", "")
    return Response(buffer.getvalue(), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
