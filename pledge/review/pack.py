"""A review pack (issue 28): one document per scope (a customer, a service, an owner) and period that a
governance review reads, signs and keeps. Pure data: pledge.api.review builds it from Prometheus,
pledge.review.render writes it as HTML, CSV or JSON, and its content hash lets a signed copy be
checked later.

Figures are per SLA x objective x group, judged as the period reports judge them (the terms in force,
corrections applied, restatements marked). Percentages are text as the SLA writes them ("99.9");
ratios are 0..1 floats; counts are whole events (or seconds, for a time-slice SLI).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PACK_VERSION = "2"  # 2: forecast scored and as of the pack's moment, credit amounts, moments in each SLA's zone


class Data(BaseModel):
    model_config = ConfigDict(frozen=True)


class Terms(Data):
    """What the row was judged by (pledge.slo.terms)."""

    target: str = Field(description="the target in force, percent (time-weighted when a change split the period)")
    revision: int | None = Field(description="the revision in force at the period's end (null: no history)")
    revision_accepted_at: dt.datetime | None
    words: str = Field(description="the terms in words, as the report says them")


class Incident(Data):
    """A burn-rate alert's firing interval within the period."""

    start: dt.datetime
    end: dt.datetime = Field(description="when it stopped firing, or the period's end if it still was")
    tier: str = Field(description="the burn tier, e.g. page-fast")
    severity: str


class Adjustment(Data):
    """Time taken out of or set right in the figures: planned maintenance or a correction after the fact."""

    kind: Literal["exclusion", "correction"]
    start: dt.datetime
    end: dt.datetime
    effect: str = Field(description="exclude, good or bad (exclusions: exclude)")
    category: str = Field(description="maintenance for exclusions; a correction's category")
    reason: str
    ref: str | None = None
    approved_by: str | None = None
    events_bad: float | None = Field(None, description="bad events the correction added (negative: removed)")
    budget_share: float | None = Field(None, description="share of the period's error budget it gave back "
                                                         "(negative: spent); null for exclusions")


class Earlier(Data):
    """The same row in an earlier period (``compare=N``)."""

    period: str
    sli: float | None
    state: str
    credit_percent: str | None
    sli_change: float | None = Field(description="this period's SLI minus that period's (ratio)")


class Row(Data):
    namespace: str
    name: str
    service: str
    customer: str | None
    objective: str
    group: dict[str, str]
    terms: Terms
    events_total: float
    events_bad: float
    sli: float | None
    budget_used: float | None = Field(description="bad events / the period's allowed bad events (1 = all of it)")
    state: str
    met: bool
    breached_at: dt.datetime | None = Field(description="when the errors so far first exceeded the whole period's "
                                                        "budget (null: they did not)")
    above_target_share: float | None = Field(description="share of the period's hours whose SLI was at or above target")
    longest_bad_seconds: float = Field(description="the longest run of consecutive hours below target, in seconds")
    longest_bad_start: dt.datetime | None
    incidents: list[Incident]
    adjustments: list[Adjustment]
    restated: bool = Field(description="corrections changed after the period closed (sli_published: as first published)")
    sli_published: float | None = None
    credit_percent_published: str | None = None
    credit_tier: str | None = Field(description="the credit tier that applies: 'below 99.9'")
    credit_percent: str | None = Field(description="credit after the cap, percent")
    credit_amount: str | None = Field(None, description="credit_percent of the period's fee (spec.fee), to the cent; "
                                                        "null without a fee")
    currency: str | None = None
    timezone: str = Field("UTC", description="the SLA's time zone: every moment of the row is written in it")
    earlier: list[Earlier]


class Forecast(Data):
    """The breach probability ahead and how far such numbers have been right: as of the pack's moment (a
    closed pack's end, so its bytes never change), about each SLA's period then running (for a closed
    pack, the one after it; rolling windows: the next 7 days)."""

    as_of: dt.datetime
    probability: float | None = Field(description="the highest of the scope's objectives (null: none forecast)")
    words: str = Field(description="that objective's forecast in words, and how many others were forecast")
    track_record: str = Field(description="the forecaster's record on the scope's closed calendar periods, in words")
    periods_judged: int = Field(description="closed periods with served predictions the record judged")
    warned: int = Field(description="periods warned about (a served prediction >= 0.5 before the breach moment)")
    warned_breached: int
    missed: int = Field(description="breached periods never warned about")
    brier: float | None = Field(description="mean squared error of the daily predictions (0 is perfect; null: none)")


class Summary(Data):
    lines: list[str] = Field(description="one line per SLA: met or not, in words")
    met: int
    breached: int
    worst: str | None = Field(description="the objective furthest below (or least above) its target, in words")
    credits: dict[str, str] = Field(description="SLA (namespace/name, and group) -> credit percent owed")
    credit_totals: dict[str, str] = Field(description="currency -> the credits owed in money, summed over the SLAs "
                                                      "and groups with a fee (each its highest objective's credit)")
    completeness: float | None = Field(description="share of the expected 5 m tiles present over the period "
                                                   "(a gap in scraping is never 100 %)")
    forecast: Forecast | None


class Pack(Data):
    version: str = PACK_VERSION
    scope: dict[str, str] = Field(description="what the pack covers: customer=, service=, owner=, selector=")
    period: str
    start: dt.datetime
    end: dt.datetime
    closed: bool
    computed_at: dt.datetime = Field(description="the moment the figures are as of: the period's end once it has "
                                                 "closed, so the same request gives the same bytes")
    restated: bool = Field(description="a row's figures differ from those first published")
    summary: Summary
    rows: list[Row]
    content_hash: str = Field("", description="sha256 of the pack's canonical JSON without this field")

    def sealed(self) -> Pack:
        """The pack with its content hash set."""
        return self.model_copy(update={"content_hash": content_hash(self)})


def content_hash(pack: Pack) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of ``pack`` without its hash: a signed copy
    is checked by hashing it again."""
    body = pack.model_dump(mode="json", exclude={"content_hash"})
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
