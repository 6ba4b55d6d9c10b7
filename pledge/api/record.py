"""GET /v1/predictions/record: pledge's predictions judged by their own record.

Every prediction the API serves is remembered in Prometheus (the gauge ``pledge_breach_probability``);
each closed calendar period's daily predictions are scored against how the period ended
(pledge.forecasting.record), per SLA row and for the whole fleet the caller may see.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from pledge.api.auth import Caller, Principal
from pledge.api.deps import At, moment_of
from pledge.api.problems import PROBLEM_RESPONSES
from pledge.api.state import api_state
from pledge.clock import utc
from pledge.forecasting.record import DAY, WARN_AT, Judged, Record, summarize
from pledge.forecasting.record_io import RowPeriod, judged_periods
from pledge.sla import ServiceLevelAgreement
from pledge.sla.identity import Group
from pledge.sla.percent import percent_to_ratio

router = APIRouter(prefix="/v1", responses=PROBLEM_RESPONSES)
MAX_PERIODS = 24


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class BinOut(_Out):
    low: float = Field(examples=[0.5])
    high: float = Field(examples=[0.6])
    decisions: int = Field(description="scored decisions whose prediction fell in [low, high) (the last bin: [0.9, 1])")
    predicted: float | None = Field(description="their mean prediction; null for an empty bin")
    observed: float | None = Field(description="the share of them whose period ended below target")


class PeriodOut(_Out):
    period: str = Field(examples=["2026-10"])
    start: dt.datetime
    end: dt.datetime
    breached: bool = Field(description="the period ended below target")
    breach_at: dt.datetime | None = Field(description="when it could no longer end above target (to the hour)")
    decisions: int = Field(description="daily decisions (00:00 UTC) pledge served during it")
    scored: int = Field(description="those before the breach moment")
    warned_at: dt.datetime | None = Field(description=f"the first scored decision >= {WARN_AT}")


class Summary(_Out):
    periods: int = Field(description="closed periods with at least one served prediction", examples=[6])
    breached: int = Field(examples=[1])
    decisions: int = Field(description="scored daily decisions")
    brier: float | None = Field(description="mean squared error of the scored decisions against the period's outcome")
    base_rate: float | None = Field(description="share of the periods that breached")
    brier_skill: float | None = Field(description="1 - brier / the base rate's Brier on the same decisions; "
                                                  "null when every period ended alike")
    reliability: list[BinOut] = Field(description="ten bins of predicted probability")
    warned: int = Field(description=f"periods with a scored decision >= {WARN_AT}")
    warned_breached: int = Field(description="of those, periods that breached")
    missed: int = Field(description="breached periods never warned about before the breach")
    median_warning_seconds: float | None = Field(description="median of breach moment - first warning, over the "
                                                             "warned periods that breached")
    median_warning_days: float | None
    words: str = Field(examples=["Of the last 2 months we warned about, 1 breached; we missed 1; median warning 4.5 days "
                                 "before the breach (9 months judged)."])


class RecordRow(Summary):
    namespace: str = Field(examples=["shop"])
    name: str = Field(examples=["checkout"])
    service: str
    customer: str | None
    objective: str = Field(examples=["availability"])
    group: dict[str, str]
    target: float = Field(examples=[0.999])
    window: str = Field(examples=["calendar month (Europe/Berlin)"])
    history: list[PeriodOut] = Field(description="the judged periods, oldest first")


class NotJudged(_Out):
    namespace: str
    name: str
    reason: str


class TrackRecord(_Out):
    at: dt.datetime = Field(description="the moment described: periods closed by then are judged")
    periods_back: int = Field(description="closed periods looked at per SLA")
    fleet: Summary = Field(description="every row below together")
    items: list[RecordRow] = Field(description="per SLA objective and group, most periods warned about first")
    not_judged: list[NotJudged] = Field(description="visible SLAs the record cannot judge (rolling windows)")
    how: str


HOW = ("Each closed calendar period's predictions, one per day at 00:00 UTC (the last one pledge_breach_probability "
       "recorded at or before it), against whether the period ended below target. Decisions from the breach moment on "
       "(bad time beyond the whole period's allowance) are not scored. A period is warned about when a scored "
       f"decision reached {WARN_AT}.")


def unit_of(slas: Sequence[ServiceLevelAgreement]) -> str:
    units = {s.spec.window.calendar for s in slas}
    return str(units.pop()) if len(units) == 1 else "period"


def _summary(r: Record) -> Summary:
    return Summary(
        periods=r.periods, breached=r.breached, decisions=r.decisions, brier=r.brier, base_rate=r.base_rate,
        brier_skill=r.brier_skill,
        reliability=[BinOut(low=b.low, high=b.high, decisions=b.count, predicted=b.predicted, observed=b.observed)
                     for b in r.reliability],
        warned=r.warned, warned_breached=r.warned_breached, missed=r.missed, median_warning_seconds=r.median_warning,
        median_warning_days=None if r.median_warning is None else r.median_warning / DAY, words=r.words)


def _history(r: Record) -> list[PeriodOut]:
    return [PeriodOut(period=p.label, start=utc(p.start), end=utc(p.end), breached=p.breached, breach_at=utc(p.breach_at),
                      decisions=p.decisions, scored=p.scored, warned_at=utc(p.first_warning)) for p in r.results]


def _row(sla: ServiceLevelAgreement, objective: str, group: Group, periods: list[Judged]) -> RecordRow:
    r = summarize(periods, unit_of([sla]))
    terms = next(o for o in sla.spec.objectives if o.name == objective)
    labels = dict(group)
    return RecordRow(namespace=sla.metadata.namespace, name=sla.metadata.name, service=sla.spec.service,
                     customer=labels.get("customer", sla.spec.customer), objective=objective, group=labels,
                     target=float(percent_to_ratio(terms.target)), window=sla.spec.window.describe(),
                     history=_history(r), **_summary(r).model_dump())


def _wanted(sla: ServiceLevelAgreement, caller: Principal, namespace: str | None, name: str | None) -> bool:
    return caller.sees_sla(sla) and namespace in (None, sla.metadata.namespace) and name in (None, sla.metadata.name)


def visible_row(row: RowPeriod, caller: Principal, customer: str | None) -> bool:
    group = dict(row.group)
    if not caller.sees_group(row.sla, group):
        return False
    return customer is None or customer in (row.sla.spec.customer, group.get("customer"))


@router.get("/predictions/record", response_model=TrackRecord,
            summary="How pledge's past predictions of closed calendar periods turned out (Brier, reliability, warned, missed)")
async def track_record(
    request: Request, caller: Caller,
    periods: Annotated[int, Query(ge=1, le=MAX_PERIODS, description="closed periods back per SLA")] = 6,
    namespace: Annotated[str | None, Query(description="only SLAs of this namespace")] = None,
    sla: Annotated[str | None, Query(description="only SLAs of this name")] = None,
    customer: Annotated[str | None, Query(description="only this customer's SLAs and groups")] = None,
    at: At = None,
) -> TrackRecord:
    """Per SLA objective (and group) and for the whole fleet the caller sees: how many periods pledge
    warned about and how many of them breached, the breaches it missed, the median warning time, the
    Brier score and skill of the daily predictions, and a reliability table."""
    api = api_state(request)
    moment = moment_of(api, at)
    slas = [s for s in api.in_force.slas() if _wanted(s, caller, namespace, sla)]
    if customer is not None:
        slas = [s for s in slas if s.spec.customer == customer or "customer" in s.spec.grouping]
    rows = [r for r in await judged_periods(api.client, slas, moment, periods) if visible_row(r, caller, customer)]
    by_row: dict[tuple[str, str, str, Group], list[RowPeriod]] = defaultdict(list)
    for r in rows:
        by_row[(r.sla.metadata.namespace, r.sla.metadata.name, r.objective, r.group)].append(r)
    items = [_row(found[0].sla, found[0].objective, found[0].group, [r.period for r in found]) for found in by_row.values()]
    items = [i for i in items if i.periods]
    items.sort(key=lambda i: (-i.warned, -i.missed, i.namespace, i.name, i.objective, sorted(i.group.items())))
    fleet = summarize([r.period for r in rows], unit_of([r.sla for r in rows]))
    not_judged = [NotJudged(namespace=s.metadata.namespace, name=s.metadata.name,
                            reason=f"rolling window ({s.spec.window.rolling}): its predictions are about the next 7 days, "
                                   "not a period that closes")
                  for s in slas if s.spec.window.calendar is None]
    return TrackRecord(at=utc(moment), periods_back=periods, fleet=_summary(fleet),
                       items=items, not_judged=not_judged, how=HOW)
