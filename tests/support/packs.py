"""A realistic review pack built by hand (issue 28), as of fixed instants: customer acme's November 2026
in Berlin time, with three SLAs: shop/checkout breached (an incident, a maintenance exclusion and an
approved correction, a credit owed), shop/search grouped by region with its eu row restated after the
period closed, and payments/gateway met; each row compared with the two months before."""

from __future__ import annotations

import datetime as dt

from pledge.review.pack import Adjustment, Earlier, Forecast, Incident, Pack, Row, Summary, Terms

BERLIN = dt.timezone(dt.timedelta(hours=1))  # November
ZONE = "Europe/Berlin"
START = dt.datetime(2026, 11, 1, tzinfo=BERLIN)
END = dt.datetime(2026, 12, 1, tzinfo=BERLIN)
EARLIER = ("2026-10", "2026-09")

# User input the HTML must escape, and the figures every rendering must show.
HOSTILE_REASON = '<b>"x"</b> & y'
SLI = {"checkout": 0.99812, "search-eu": 0.99953, "search-us": 0.99971, "gateway": 0.99987}
SLI_TEXT = {"checkout": "99.8120 %", "search-eu": "99.9530 %", "search-us": "99.9710 %", "gateway": "99.9870 %"}
PUBLISHED_SLI, PUBLISHED_SLI_TEXT = 0.99871, "99.8710 %"
CREDIT = "10"
CREDIT_AMOUNT, CREDIT_AMOUNT_TEXT = "1250.00", "1,250.00 EUR"  # 10 % of a 12,500 EUR monthly fee
FORECAST = "shop/checkout availability: 12 % chance of falling below 99.9 % by the end of December."
TRACK_RECORD = "Of the last 2 months we warned about, 1 breached; we missed 0 (6 months judged)."
COMPLETENESS, COMPLETENESS_TEXT = 0.9987, "99.87 %"
EARLIER_SLI = {"2026-10": 0.9995, "2026-09": 0.99991}


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


def _earlier(sli: float, state: str = "Met", credit: str | None = None) -> list[Earlier]:
    return [Earlier(period=p, sli=EARLIER_SLI[p], state=state if p == "2026-10" else "Met",
                    credit_percent=credit if p == "2026-10" else None, sli_change=sli - EARLIER_SLI[p])
            for p in EARLIER]


def _terms(target: str, revision: int | None) -> Terms:
    summer = dt.timezone(dt.timedelta(hours=2))  # Berlin in June
    accepted = dt.datetime(2026, 6, 1, 11, 30, tzinfo=summer) if revision is not None else None
    return Terms(target=target, revision=revision, revision_accepted_at=accepted,
                 words=f"{target} % of requests succeed over each calendar month (Europe/Berlin)")


def rows() -> list[Row]:
    checkout = Row(
        namespace="shop", name="checkout", service="checkout-api", customer="acme", objective="availability",
        group={}, terms=_terms("99.9", 3), events_total=4_200_000, events_bad=7_896, sli=SLI["checkout"],
        budget_used=1.88, state="Breached", met=False, breached_at=at(17, 11, 25), above_target_share=0.9625,
        longest_bad_seconds=5 * 3600, longest_bad_start=at(17, 9),
        incidents=[Incident(start=at(17, 9, 5), end=at(17, 13, 40), tier="page-fast", severity="critical"),
                   Incident(start=at(23, 2, 0), end=at(23, 3, 15), tier="ticket-slow", severity="warning")],
        adjustments=[
            Adjustment(kind="exclusion", start=at(8, 2), end=at(8, 4), effect="exclude", category="maintenance",
                       reason="database upgrade, announced 2026-10-25", ref="CHG-1234", approved_by=None),
            Adjustment(kind="correction", start=at(17, 9), end=at(17, 10), effect="good", category="monitoring",
                       reason=HOSTILE_REASON, ref="INC-77", approved_by="cs-lead", events_bad=-1_200,
                       budget_share=0.2857),
        ],
        restated=False, credit_tier="below 99.9", credit_percent=CREDIT, credit_amount=CREDIT_AMOUNT, currency="EUR",
        timezone=ZONE, earlier=_earlier(SLI["checkout"], "Breached", "5"))
    search_eu = Row(
        namespace="shop", name="search", service="search", customer="acme", objective="latency",
        group={"region": "eu"}, terms=_terms("99.9", 1), events_total=1_800_000, events_bad=846, sli=SLI["search-eu"],
        budget_used=0.47, state="Met", met=True, breached_at=None, above_target_share=0.9931,
        longest_bad_seconds=2 * 3600, longest_bad_start=at(12, 14), incidents=[],
        adjustments=[Adjustment(kind="correction", start=at(12, 14), end=at(12, 16), effect="good",
                                category="false-positive", reason="health checks counted as errors",
                                ref="INC-80", approved_by="sre-lead", events_bad=-1_480, budget_share=0.8222)],
        restated=True, sli_published=PUBLISHED_SLI, credit_percent_published="5", credit_tier=None,
        credit_percent=None, timezone=ZONE, earlier=_earlier(SLI["search-eu"]))
    search_us = Row(
        namespace="shop", name="search", service="search", customer="acme", objective="latency",
        group={"region": "us"}, terms=_terms("99.9", 1), events_total=900_000, events_bad=261, sli=SLI["search-us"],
        budget_used=0.29, state="Met", met=True, breached_at=None, above_target_share=1.0, longest_bad_seconds=0,
        longest_bad_start=None, incidents=[], adjustments=[], restated=False, credit_tier=None, credit_percent=None,
        timezone=ZONE, earlier=_earlier(SLI["search-us"]))
    gateway = Row(
        namespace="payments", name="gateway", service="gateway", customer="acme", objective="availability",
        group={}, terms=_terms("99.95", None), events_total=2_500_000, events_bad=325, sli=SLI["gateway"],
        budget_used=0.26, state="Met", met=True, breached_at=None, above_target_share=0.9986,
        longest_bad_seconds=3600, longest_bad_start=at(3, 22), incidents=[], adjustments=[], restated=False,
        credit_tier=None, credit_percent=None, timezone=ZONE, earlier=_earlier(SLI["gateway"]))
    return [checkout, search_eu, search_us, gateway]


def review_pack() -> Pack:
    """The sealed pack (its content hash set)."""
    return Pack(
        scope={"customer": "acme"}, period="2026-11", start=START, end=END, closed=True, computed_at=END,
        restated=True,
        summary=Summary(
            lines=["shop/checkout: availability 99.8120 % against 99.9 %: not met, credit 10 %",
                   "shop/search: latency met in both regions (eu restated)",
                   "payments/gateway: availability 99.9870 % against 99.95 %: met"],
            met=2, breached=1, worst="shop/checkout availability: 0.0880 points below its 99.9 % target",
            credits={"shop/checkout": CREDIT}, credit_totals={"EUR": CREDIT_AMOUNT}, completeness=COMPLETENESS,
            forecast=Forecast(as_of=END, probability=0.12, words=FORECAST, track_record=TRACK_RECORD,
                              periods_judged=6, warned=2, warned_breached=1, missed=0, brier=0.081)),
        rows=rows()).sealed()
