"""Response bodies. Ratios are 0..1 floats (SLI 0.9993 is 99.93 %); None where there is no data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal, Self, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from pledge.sla import format_duration
from pledge.sla.model import Window
from pledge.slo.budget import State as State  # re-exported: the routes read it here

Source = Literal["recorded", "raw"]
SOURCE_DESCRIPTION = ("recorded: read from the series pledge's rules record; raw: computed from the SLI's counters "
                      "because the recorded history is shorter than the period (rules deployed recently)")


class Out(BaseModel):
    model_config = ConfigDict(frozen=True)


WindowKind = Literal["rolling", "calendar"]
CalendarUnit = Literal["week", "month", "quarter"]
WINDOW_KIND_DESCRIPTION = "rolling: the last window_length, judged now; calendar: the current window_calendar in window_timezone"


class Page(Out):
    """One page of a list (``limit`` items from ``offset``), the same for every list route."""

    total: int = Field(description="SLAs matching the filters, across all pages")
    limit: int
    offset: int
    next_offset: int | None = Field(description="offset of the next page; null on the last one")

    @classmethod
    def of(cls, matching: Sequence[Out], limit: int, offset: int) -> Self:
        """The page of ``matching`` (every item that matches, in order) at ``offset``."""
        following = offset + limit if offset + limit < len(matching) else None
        return cls.model_validate({"items": matching[offset:offset + limit], "total": len(matching), "limit": limit,
                                   "offset": offset, "next_offset": following})


class WindowFields(Out):
    """The SLA's compliance window as fields (``window`` says the same in words, for people)."""

    window: str = Field(description="in words, for display", examples=["30d rolling"])
    window_kind: WindowKind = Field(description=WINDOW_KIND_DESCRIPTION, examples=["rolling"])
    window_length: str | None = Field(description="a rolling window's length; null for calendar windows", examples=["30d"])
    window_calendar: CalendarUnit | None = Field(description="a calendar window's unit; null for rolling windows",
                                                 examples=[None])
    window_timezone: str = Field(description="IANA zone of calendar boundaries (UTC by default)", examples=["UTC"])


class WindowArgs(TypedDict):
    window: str
    window_kind: WindowKind
    window_length: str | None
    window_calendar: CalendarUnit | None
    window_timezone: str


def window_fields(window: Window) -> WindowArgs:
    """WindowFields of an SLA's window, for ``SLASummary(**window_fields(...), ...)``."""
    rolling = window.rolling
    return WindowArgs(window=window.describe(), window_kind="rolling" if rolling is not None else "calendar",
                      window_length=format_duration(rolling) if rolling is not None else None,
                      window_calendar=window.calendar, window_timezone=window.timezone)


STATE_DESCRIPTION = (
    "Met at or above warning; AtRisk between warning and target; below target: Behind while an open calendar period "
    "can still end above target (below target so far), Breached when it can no longer (the errors so far exceed the "
    "whole period's budget) or for a rolling window; NoData without data (unknown, not good news)")
WON_BACK_DESCRIPTION = (
    "Behind only: the share of the whole period's error budget the rest of the period would have to win back to end "
    "at target, (error ratio - budget) x share of the period gone / budget; null in every other state")


class ObjectiveSummary(Out):
    objective: str = Field(examples=["availability"])
    group: dict[str, str] = Field(description="grouping label values; empty without grouping", examples=[{"customer": "acme"}])
    sli: float | None = Field(examples=[0.99963])
    target: float = Field(examples=[0.999])
    state: State = Field(description=STATE_DESCRIPTION)
    budget_remaining: float | None = Field(description="1 untouched, 0 spent, negative overspent", examples=[0.63])
    won_back: float | None = Field(None, description=WON_BACK_DESCRIPTION, examples=[None])


class SLASummary(WindowFields):
    namespace: str = Field(examples=["shop"])
    name: str = Field(examples=["checkout"])
    service: str = Field(examples=["checkout"])
    customer: str | None = Field(examples=[None])
    tier: str | None = Field(examples=["gold"])
    owner: str | None = Field(examples=["team-payments"])
    state: State = Field(description="the worst state of its objectives and groups")
    objectives: list[ObjectiveSummary]


class SLAPage(Page):
    items: list[SLASummary]


class Budget(Out):
    """Error budget in the period so far."""

    total: float = Field(examples=[1234.5])
    consumed: float = Field(examples=[456.0])
    remaining: float = Field(examples=[778.5])


class AlertOut(Out):
    name: str = Field(examples=["SLAErrorBudgetBurn"])
    severity: str | None = Field(examples=["page"])
    labels: dict[str, str]
    active_at: dt.datetime | None


class ObjectiveDetail(Out):
    objective: str = Field(examples=["availability"])
    group: dict[str, str] = Field(examples=[{"customer": "acme"}])
    sli: float | None = Field(examples=[0.99963])
    target: float = Field(examples=[0.999])
    warning: float | None = Field(examples=[0.9995])
    state: State = Field(description=STATE_DESCRIPTION)
    budget_remaining: float | None = Field(examples=[0.63])
    won_back: float | None = Field(None, description=WON_BACK_DESCRIPTION, examples=[None])
    events_total: float = Field(description="valid events in the period", examples=[1234567.0])
    events_bad: float = Field(examples=[456.0])
    budget_events: Budget
    budget_minutes: Budget | None = Field(description="time-equivalent budget of the whole period; not for latency")
    burn_rates: dict[str, float | None] = Field(
        description="error ratio / allowed error ratio over 5m, 30m, 1h, 6h, 1d, 3d and the period",
        examples=[{"5m": 0.4, "30m": 0.5, "1h": 0.6, "6h": 0.8, "1d": 1.1, "3d": 0.9, "period": 0.37}])
    burn_now: float | None = Field(description="the burn rate now: burn_rates over the SLA detail's burn_now_window",
                                   examples=[0.4])
    credit_percent: str | None = Field(description="service credit owed if the period ended now", examples=["10"])
    alerts: list[AlertOut]


class PeriodOut(Out):
    label: str = Field(examples=["2026-11"])
    start: dt.datetime
    end: dt.datetime
    excluded_seconds: float = Field(description="planned maintenance inside the period (up to now)")
    excluded: list[tuple[dt.datetime, dt.datetime]]


class SLADetail(WindowFields):
    namespace: str
    name: str
    service: str
    customer: str | None
    tier: str | None
    owner: str | None
    at: dt.datetime = Field(description="the moment the figures describe")
    burn_now_window: str = Field(description="the window of each objective's burn_now (pledge.rules.names.BURN_NOW), "
                                             "the same for every SLA", examples=["5m"])
    period: PeriodOut
    source: Source = Field(description=SOURCE_DESCRIPTION)
    objectives: list[ObjectiveDetail]


class DetailPage(Page):
    items: list[SLADetail] = Field(description="each as GET /v1/slas/{namespace}/{name} answers it")


class HistoryPoint(Out):
    t: dt.datetime
    sli: float | None
    budget_remaining: float | None
    burn_rate: float | None


class HistorySeries(Out):
    objective: str
    group: dict[str, str]
    points: list[HistoryPoint]


class History(Out):
    namespace: str
    name: str
    burn_window: str = Field(examples=["1h"])
    series: list[HistorySeries]


class BurnDownPoint(Out):
    t: dt.datetime = Field(description="the moment: the period so far is from its start to here")
    sli: float | None = Field(description="over the period so far", examples=[0.99931])
    budget_remaining: float | None = Field(description="over the period so far: 1 untouched, 0 spent", examples=[0.31])
    burn_rate: float | None = Field(description="error ratio between the previous point (the period's start for the "
                                                "first) and this one, over the allowed error ratio; null without events",
                                    examples=[1.8])
    events_total: float = Field(description="valid events in the period so far")
    events_bad: float


class BurnDownSeries(Out):
    objective: str
    group: dict[str, str]
    target: float
    points: list[BurnDownPoint]


class BurnDown(Out):
    namespace: str
    name: str
    at: dt.datetime = Field(description="the moment of the last point")
    period: PeriodOut
    source: Source = Field(description=SOURCE_DESCRIPTION + " (raw when any point was)")
    series: list[BurnDownSeries] = Field(description="one per objective and group the caller sees")


class CorrectionOut(Out):
    """One piece of a correction within the period: its interval as applied (widened to whole 5 m
    tiles when read from recorded tiles, exclusions cut out) and what it changed."""

    start: dt.datetime
    end: dt.datetime
    effect: Literal["exclude", "good", "bad"]
    category: str
    reason: str
    ref: str | None = None
    approved_by: str | None = None
    events_bad: float = Field(description="bad events it added (negative: removed), after the other corrections")
    events_total: float = Field(description="valid events it added (negative: removed)")
    sli_change: float | None = Field(
        None, description="the row's SLI with every correction minus without this one (positive: budget given back)")


class ReportRow(Out):
    objective: str
    group: dict[str, str]
    sli: float | None = Field(examples=[0.99871])
    target: float
    state: State = Field(description=STATE_DESCRIPTION + "; a closed period is Met, AtRisk, Breached or NoData")
    breached: bool = Field(description="state is Breached: the period closed below target, or can no longer end above it")
    events_total: float
    events_bad: float
    credit_percent: str | None = Field(
        description="credit for this objective (capped): owed once the period has closed (final); while it is open, the "
                    "credit so far (if the period ended now), not owed", examples=["10"])
    final: bool = Field(description="false while the period is open: state and credit are so far, not final",
                        examples=[True])
    won_back: float | None = Field(None, description=WON_BACK_DESCRIPTION, examples=[None])
    corrections: list[CorrectionOut] = Field(
        [], description="each correction applied to this row (spec.corrections), in time order, with what it changed")
    sli_uncorrected: float | None = Field(
        None, description="the SLI before the corrections (as recorded, maintenance left out); null without corrections")
    events_total_uncorrected: float | None = None
    events_bad_uncorrected: float | None = None
    credit_percent_uncorrected: str | None = Field(None, description="the credit the SLI before the corrections earns")


class SegmentOut(Out):
    revision: int = Field(description="the revision whose terms judge this part of the period")
    start: dt.datetime
    end: dt.datetime
    accepted_at: dt.datetime | None = Field(description="when the revision was accepted (null: unknown)")
    author: str | None
    reason: str | None
    targets: dict[str, str] = Field(description="objective -> target in percent under this revision")


class DeferredOut(Out):
    revision: int
    accepted_at: dt.datetime | None
    takes_effect: dt.datetime = Field(description="the next period's start: a budget-critical change under "
                                                  "changePolicy nextPeriod does not judge the period it was made in")
    changes: list[str]


class TermsOut(Out):
    """What judged the period: one segment, or several when an ``immediate`` change split it (the
    period's target is then the time-weighted one)."""

    revision: int = Field(description="the revision in force at the period's end (its credits and exclusions apply)")
    segments: list[SegmentOut]
    time_weighted: bool = Field(description="true when the period was split: targets are weighted by time in force")
    deferred: list[DeferredOut]
    history_known: bool = Field(description="false: no history (no git, or a source that keeps none): the current "
                                            "definition judges every period")
    what_if: bool = Field(description="true when the request asked for one revision to judge the whole period")
    words: str


class RestatedRow(Out):
    objective: str
    group: dict[str, str]
    sli_published: float | None = Field(description="the SLI as first published (the corrections at the period's close)")
    sli_restated: float | None = Field(description="the SLI now (the current corrections): this report's sli")
    attainment_change: float | None = Field(description="restated minus published SLI, as a ratio (0.0013 is 0.13 "
                                                        "percentage points)", examples=[0.0013626])
    credit_percent_published: str | None
    credit_percent_restated: str | None
    credit_change: str = Field(description="restated minus published credit, in percentage points", examples=["-20"])


class Restatement(Out):
    """A closed period whose corrections changed after it closed: its figures as first published beside
    the restated ones (this report's)."""

    published_revision: int = Field(description="the revision in force when the period closed")
    restated_by: list[int] = Field(description="the revisions after the close that changed the corrections")
    rows: list[RestatedRow] = Field(description="the rows whose SLI or credit changed")
    credits_published: dict[str, str] = Field(description="credit per group as first published (see credits)")
    words: str


class Report(Out):
    namespace: str
    name: str
    service: str
    customer: str | None
    period: PeriodOut
    closed: bool = Field(description="false while the period is still running: every figure is so far")
    source: Source = Field(description=SOURCE_DESCRIPTION)
    rows: list[ReportRow]
    credits: dict[str, str] = Field(
        description="credit per group (highest over objectives, capped); key '' without grouping: owed once the "
                    "period has closed, the credit so far while it is open (closed false)",
        examples=[{"customer=acme": "10"}])
    terms: TermsOut | None = Field(None, description="the revision(s) whose terms judged the period (issue 27); "
                                                     "null where the route does not read the SLA's history")
    restatement: Restatement | None = Field(
        None, description="set when the period closed and corrections changed since: the figures as first published "
                          "and the difference (null: never restated, open, a what-if, or no history)")


class ReportPage(Page):
    items: list[Report] = Field(description="each as GET /v1/slas/{namespace}/{name}/report answers it")
    total: int = Field(description="SLAs with rows in the period matching the filters, across all pages")


class Health(Out):
    status: Literal["ok"] = "ok"


class PredictionOut(Out):
    """One objective of one SLA (and group value): will it breach within the horizon, and when?"""

    namespace: str = Field(examples=["shop"])
    name: str = Field(examples=["checkout"])
    service: str = Field(examples=["checkout"])
    customer: str | None = Field(description="the SLA's customer, or its customer group value", examples=["acme"])
    objective: str = Field(examples=["availability"])
    group: dict[str, str] = Field(description="grouping label values; empty without grouping", examples=[{"customer": "acme"}])
    target: float = Field(examples=[0.999])
    state: State = Field(description="the state now")
    sli: float | None = Field(description="the window's SLI now", examples=[0.99921])
    projected_sli: float | None = Field(description="the window's SLI at the horizon if the median burn holds",
                                        examples=[0.99874])
    probability: float = Field(ge=0, le=1, description="probability of a breach within the horizon", examples=[0.82])
    breach_at: dt.datetime | None = Field(description="expected breach time; null when none is expected")
    breach_earliest: dt.datetime | None = Field(description="early end of the breach time interval")
    breach_latest: dt.datetime | None = Field(description="late end of the breach time interval")
    exhaustion_at: dt.datetime | None = Field(description="when the budget runs out at the last hour's burn")
    horizon_seconds: int = Field(examples=[604800])
    at: dt.datetime = Field(description="the moment the forecast was made (the last 5-minute step)")
    message: str = Field(examples=["At the current error rate, acme's checkout availability is likely to fall below "
                                   "99.9 % around 14 Nov 18:00 UTC (p=0.82)."])


class Predictions(Out):
    computed_at: dt.datetime = Field(description="when these predictions were computed (cached ones are refreshed "
                                                 "in the background)")
    items: list[PredictionOut] = Field(description="most likely breach first")
