"""The /v1 routes for reading: thin, each a few lines over pledge.api.figures and listing."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import AfterValidator, WithJsonSchema

from pledge.sla.identity import Row, SLARef
from pledge.api.auth import Caller, Principal
from pledge.clock import utc
from pledge.api.deps import (
    At, LabelSelector, Limit, Moment, Offset, answer, find_sla, moment_of, selector_of, snapshot_for,
)
from pledge.api.bulk import Found, bulk_figures
from pledge.api.figures import (
    WINDOW_LABELS, Figures, Span, detail_figures, history_keys, objective_detail, objective_of, period_ratios,
    recorded_windows, span_at,
)
from pledge.api.listing import Filters, page_of, sla_page
from pledge.api.models import (
    DetailPage, History, HistoryPoint, HistorySeries, SLADetail, SLAPage, Source, State, window_fields,
)
from pledge.api.problems import PROBLEM_RESPONSES
from pledge.api.state import api_state
from pledge.prom import Alert
from pledge.rules import names, queries
from pledge.slo.budget import budget_remaining, burn_rate
from pledge.slo.periods import elapsed_share
from pledge.sla import ServiceLevelAgreement, format_duration, parse_duration
from pledge.status import Reading, readings_for

router = APIRouter(prefix="/v1", responses={**PROBLEM_RESPONSES, 404: {**PROBLEM_RESPONSES[422], "description": "Not Found"}})



def _burn_window(label: str) -> str:
    """One of the API's burn windows (pledge.slo.windows.BURN_WINDOWS); a 422 lists them otherwise."""
    if label not in WINDOW_LABELS:
        raise ValueError(f"must be one of {', '.join(WINDOW_LABELS)}")
    return label


BurnWindow = Annotated[str, AfterValidator(_burn_window), WithJsonSchema({"type": "string", "enum": list(WINDOW_LABELS)})]
MAX_POINTS = 11_000


@router.get("/slas", response_model=SLAPage, summary="Every SLA with its period SLI, state and budget left")
async def list_slas(
    request: Request, caller: Caller,
    namespace: str | None = None, service: str | None = None, customer: str | None = None,
    tier: str | None = None, state: State | None = None, selector: LabelSelector = None, at: At = None,
    limit: Limit = 100, offset: Offset = 0,
) -> SLAPage | Response:
    """Figures come from the recorded period series: two Prometheus queries however many SLAs,
    asked by the background snapshot unless ``at`` is given."""
    api = api_state(request)
    filters = Filters(namespace, service, customer, tier, state, selector=selector_of(selector))
    if (snapshot := snapshot_for(api, at)) is not None:
        return answer(api, snapshot, ("slas", caller.scope, filters, limit, offset),
                      lambda: page_of(snapshot.readings, api.in_force.slas(), caller, filters, limit, offset))
    return await sla_page(api.client, api.in_force.slas(), caller, filters, limit, offset, moment_of(api, at))


@router.get("/slas/{namespace}/{name}", response_model=SLADetail,
            summary="SLI, error budget, burn rates, alerts and excluded time of one SLA")
async def get_sla(request: Request, caller: Caller, namespace: str, name: str, at: At = None) -> SLADetail | Response:
    """Exact period figures at query time (also for calendar periods), per objective and group;
    without ``at``, those of the background snapshot's moment."""
    api = api_state(request)
    if (snapshot := snapshot_for(api, at)) is not None:
        sla = await find_sla(api, caller, namespace, name, snapshot.at, snapshot)
        return answer(api, snapshot, ("detail", sla.ref, caller.scope),
                      lambda: sla_detail(sla, snapshot.spans[sla.ref], *snapshot.details[sla.ref], caller))
    when = moment_of(api, at)
    sla = await find_sla(api, caller, namespace, name, when)
    span = span_at(sla, when)
    return sla_detail(sla, span, *await detail_figures(api.client, sla, caller, span), caller)


@router.get("/details", response_model=DetailPage,
            summary="Every SLA's detail figures (as GET /v1/slas/{ns}/{name}) from two Prometheus queries")
async def list_details(
    request: Request, caller: Caller,
    namespace: str | None = None, service: str | None = None, customer: str | None = None,
    tier: str | None = None, selector: LabelSelector = None, at: At = None,
    limit: Limit = 100, offset: Offset = 0,
) -> DetailPage | Response:
    """A full report in one request: filters and paging as GET /v1/slas (no state filter)."""
    api, filters = api_state(request), Filters(namespace, service, customer, tier, selector=selector_of(selector))
    slas = [s for s in api.in_force.slas() if caller.sees_sla(s) and filters.spec_matches(s)]
    if (snapshot := snapshot_for(api, at)) is not None:
        return answer(api, snapshot, ("details", caller.scope, filters, limit, offset),
                      lambda: details_page(slas, snapshot.spans, snapshot.details, caller, filters, limit, offset))
    when = moment_of(api, at)
    spans = {s.ref: span_at(s, when) for s in slas}
    return details_page(slas, spans, await bulk_figures(api.client, slas, spans, when), caller, filters, limit, offset)


def details_page(slas: list[ServiceLevelAgreement], spans: dict[SLARef, Span], found: Found,
                 caller: Principal, filters: Filters, limit: int, offset: int) -> DetailPage:
    details = [sla_detail(s, spans[s.ref], *found[s.ref], caller, filters) for s in slas]
    matching = [d for d in details if d.objectives]
    return DetailPage.of(matching, limit, offset)


def judged(sla: ServiceLevelAgreement, span: Span, figures: Figures, alerts: list[Alert], caller: Principal,
           filters: Filters = Filters()) -> list[Reading]:
    """The readings of ``span`` the caller sees: an open calendar period is judged so far (Behind
    while it can still end above target), a rolling window now."""
    elapsed = None if sla.spec.window.rolling is not None else elapsed_share(span.period, span.at)
    return [r for r in readings_for(sla, period_ratios(figures), alerts, elapsed=elapsed)
            if caller.sees_group(sla, r.group) and filters.row_matches(sla, r)]


def sla_detail(sla: ServiceLevelAgreement, span: Span, figures: Figures, alerts: list[Alert], source: Source,
               caller: Principal, filters: Filters = Filters()) -> SLADetail:
    spec, meta = sla.spec, sla.metadata
    objectives = [objective_detail(r, figures, span).model_copy(update={"won_back": r.compliance.won_back})
                  for r in judged(sla, span, figures, alerts, caller, filters)]
    return SLADetail(namespace=meta.namespace, name=meta.name, service=spec.service, customer=spec.customer,
                     tier=spec.tier, owner=spec.owner, **window_fields(spec.window), at=utc(span.at),
                     burn_now_window=format_duration(names.BURN_NOW),
                     period=span.out(), source=source, objectives=objectives)


@router.get("/slas/{namespace}/{name}/history", response_model=History,
            summary="SLI, budget remaining and burn rate as time series, for charts")
async def get_history(
    request: Request, caller: Caller, namespace: str, name: str,
    start: Annotated[Moment, Query(alias="from", description="RFC 3339 or unix seconds")],
    end: Annotated[Moment, Query(alias="to", description="RFC 3339 or unix seconds")],
    step: Annotated[str, Query(pattern=r"^([0-9]+[wdhms])+$", description="e.g. 5m")] = "5m",
    window: Annotated[BurnWindow, Query(description="burn-rate window")] = "1h",
) -> History:
    api = api_state(request)
    sla = await find_sla(api, caller, namespace, name, end.timestamp())
    step_seconds = _checked_range(start, end, step)
    selector = queries.sla_matchers(sla.ref, caller.matchers(sla))
    seconds = parse_duration(window)
    expr = queries.history(selector, seconds, sla.spec.grouping, seconds in recorded_windows(sla))
    found = history_keys(await api.client.query_range(expr, start.timestamp(), end.timestamp(), step_seconds), sla.spec.grouping)
    series = [_history_series(sla, key, figures, window) for key, figures in sorted(found.items())
              if caller.sees_group(sla, key.group_labels())]
    return History(namespace=namespace, name=name, burn_window=window, series=series)


def _checked_range(start: dt.datetime, end: dt.datetime, step: str) -> int:
    """422 naming the parameter: Prometheus would reject these, with a less helpful message."""
    try:
        seconds = parse_duration(step)
    except ValueError as exc:  # longer than pledge reads a duration ("99999999999999999999d")
        raise HTTPException(422, f"step: {exc}") from None
    if seconds <= 0:
        raise HTTPException(422, "step: must be positive")
    if end <= start:
        raise HTTPException(422, "to: must be after from")
    if (end - start).total_seconds() / seconds > MAX_POINTS:
        raise HTTPException(422, f"step: too small for this range (at most {MAX_POINTS} points per series)")
    return seconds


def _history_series(sla: ServiceLevelAgreement, key: Row,
                    figures: dict[str, dict[float, float]], window: str) -> HistorySeries:
    objective = objective_of(sla, key.objective)
    period, burn = figures.get(queries.PERIOD, {}), figures.get(window, {})
    points = [HistoryPoint(t=utc(t), sli=1 - period[t] if t in period else None,
                           budget_remaining=budget_remaining(period[t], objective) if t in period else None,
                           burn_rate=burn_rate(burn[t], objective) if t in burn else None)
              for t in sorted({*period, *burn})]
    return HistorySeries(objective=key.objective, group=key.group_labels(), points=points)
