"""GET /v1/slas/{ns}/{name}/report: a period's compliance and the service credits owed, JSON or CSV."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import AwareDatetime

from pledge.api.auth import Caller
from pledge.api.figures import Span, objective_of, ratio_float, reading_key, report_figures, scoped
from pledge.api.models import Report, ReportRow
from pledge.api.problems import PROBLEM_RESPONSES
from pledge.api.routes import At, find_sla
from pledge.api.state import api_state
from pledge.rules import queries
from pledge.slo.periods import Period, named_period
from pledge.sla import ServiceLevelAgreement, format_percent

router = APIRouter(prefix="/v1", responses={**PROBLEM_RESPONSES, 404: {**PROBLEM_RESPONSES[422], "description": "Not Found"}})
CSV_COLUMNS = ("objective", "group", "sli", "target", "state", "breached", "events_total", "events_bad",
               "credit_percent")


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
        return Period(f"{start.isoformat()}/{end.isoformat()}", start.timestamp(), end.timestamp())
    raise HTTPException(422, "period: give either period (e.g. 2026-10) or both from and to")


@router.get("/slas/{namespace}/{name}/report", response_model=Report,
            responses={200: {"content": {"text/csv": {}}, "description": "the report; CSV with Accept: text/csv"}},
            summary="Compliance, breaches, excluded maintenance and service credits of a period")
async def get_report(
    request: Request, caller: Caller, namespace: str, name: str,
    period: Annotated[str | None, Query(description="2026-10, 2026-Q4 or 2026-W44, in the SLA's time zone")] = None,
    start: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    at: At = None,
) -> Report | Response:
    api = api_state(request)
    now = at.timestamp() if at is not None else api.clock()  # a period still open is reported so far
    sla = await find_sla(api, caller, namespace, name, now)
    chosen = _period(sla, period, start, end)
    span = Span.of(sla, chosen, min(chosen.end, now))
    figures, source = await report_figures(api.client, sla, caller, span)
    rows = [ReportRow(objective=r.objective, group=r.group, sli=r.compliance.sli,
                      target=ratio_float(objective_of(sla, r.objective).target), state=r.compliance.state,
                      breached=r.compliance.state == "Breached",
                      events_total=figures[queries.REQUESTS].get(reading_key(r), 0.0),
                      events_bad=figures[queries.ERRORS].get(reading_key(r), 0.0),
                      credit_percent=format_percent(r.credit) if r.credit is not None else None)
            for r in scoped(sla, figures, [], caller)]
    report = Report(namespace=namespace, name=name, service=sla.spec.service, customer=sla.spec.customer,
                    period=span.out(), closed=chosen.end <= now, source=source, rows=rows,
                    credits=_credits(rows))
    return _as_csv(report) if "text/csv" in request.headers.get("accept", "") else report


def _group_name(group: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(group.items()))


def _credits(rows: list[ReportRow]) -> dict[str, str]:
    """Per group, the highest credit over its objectives (each already capped by creditCap)."""
    owed: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.credit_percent is not None:
            name = _group_name(row.group)
            owed[name] = max(owed[name], Decimal(row.credit_percent))
    return {name: format_percent(value) for name, value in owed.items()}


def _as_csv(report: Report) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        writer.writerow([row.objective, _group_name(row.group), "" if row.sli is None else repr(row.sli), repr(row.target),
                         row.state, str(row.breached).lower(), repr(row.events_total), repr(row.events_bad),
                         row.credit_percent or ""])
    filename = f"{report.namespace}-{report.name}-{report.period.label}.csv".replace("/", "_").replace(":", "")
    return Response(buffer.getvalue(), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
