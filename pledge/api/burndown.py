"""GET /v1/slas/{ns}/{name}/burndown: the current period so far at evenly spaced moments, for charts.

Each point is the report of the period from its start to that moment (pledge.api.figures.report_figures:
the recorded 5 m tiles, which cover the whole period with maintenance left out as the rules leave it
out, or the raw counters where only they reach back). Its SLI and budget left are the report's
compliance and the burn between two points is pledge.slo.budget's burn rate: no figure is computed here.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request

from pledge.sla.identity import Row
from pledge.clock import utc
from pledge.api.auth import Caller
from pledge.api.figures import Figures, Span, objective_of, ratio_float, report_figures, scoped, span_at
from pledge.api.models import BurnDown, BurnDownPoint, BurnDownSeries
from pledge.api.problems import PROBLEM_RESPONSES
from pledge.api.deps import At, find_sla, moment_of, snapshot_for
from pledge.api.state import api_state
from pledge.rules import queries
from pledge.slo.budget import burn_rate, error_ratio
from pledge.sla.model import Objective
from pledge.status import Reading

router = APIRouter(prefix="/v1", responses={**PROBLEM_RESPONSES, 404: {**PROBLEM_RESPONSES[422], "description": "Not Found"}})
MAX_POINTS = 96  # each point is one report (one to three Prometheus queries)
Moment = tuple[Figures, dict[Row, Reading]]


def spaced(start: float, end: float, count: int) -> list[float]:
    """Up to ``count`` moments after ``start``, evenly spaced in whole seconds, the last exactly ``end``
    (the detail's moment); none when the period has just begun."""
    inner = {round(start + (end - start) * i / count) for i in range(1, count)}
    return sorted(t for t in inner if start < t < end) + ([end] if end > start else [])


@router.get("/slas/{namespace}/{name}/burndown", response_model=BurnDown,
            summary="SLI, budget left and burn rate over the current period so far, at evenly spaced moments")
async def get_burndown(
    request: Request, caller: Caller, namespace: str, name: str,
    points: Annotated[int, Query(ge=1, le=MAX_POINTS, description="moments from the period's start to at")] = 24,
    at: At = None,
) -> BurnDown:
    """Without ``at``, as of the moment of GET /v1/slas/{ns}/{name} (the background snapshot's)."""
    api = api_state(request)
    snapshot = snapshot_for(api, at)
    when = snapshot.at if snapshot is not None else moment_of(api, at)
    sla = await find_sla(api, caller, namespace, name, when, snapshot)
    span = span_at(sla, when)
    moments = spaced(span.period.start, when, points)
    reports = await asyncio.gather(*(report_figures(api.client, sla, caller, Span.of(sla, span.period, t))
                                     for t in moments))
    found = [(figures, {r.row: r for r in scoped(sla, figures, [], caller)}) for figures, _ in reports]
    keys = list(found[-1][1]) if found else []
    series = [BurnDownSeries(objective=key.objective, group=key.group_labels(), target=ratio_float(objective_of(sla, key.objective).target),
                             points=_points(objective_of(sla, key.objective), key, moments, found)) for key in keys]
    return BurnDown(namespace=namespace, name=name, at=utc(when), period=span.out(),
                    source="raw" if any(source == "raw" for _, source in reports) else "recorded", series=series)


def _points(objective: Objective, key: Row, moments: list[float], found: list[Moment]) -> list[BurnDownPoint]:
    """One row of each moment's figures. A moment without that row keeps the events counted so far,
    so the burn between two points is never read from a gap."""
    points, bad, valid = [], 0.0, 0.0
    for t, (figures, readings) in zip(moments, found):
        before = bad, valid
        bad, valid = figures[queries.ERRORS].get(key, bad), figures[queries.REQUESTS].get(key, valid)
        ratio = error_ratio(bad - before[0], valid - before[1])
        reading = readings.get(key)
        points.append(BurnDownPoint(
            t=utc(t), sli=reading.compliance.sli if reading else None,
            budget_remaining=reading.compliance.budget_remaining if reading else None,
            burn_rate=burn_rate(ratio, objective) if ratio is not None else None, events_total=valid, events_bad=bad))
    return points
