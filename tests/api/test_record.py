"""GET /v1/predictions/record on a real Prometheus holding three closed months of served predictions.

The store holds what a running pledge leaves behind, backfilled: the API's gauge
``pledge_breach_probability`` scraped every 10 minutes (two API replicas for one SLA, with their job
and instance labels) and the period error ratio the calendar rules record every 5 minutes,
from 30 June 2026 22:00 UTC (Berlin's July) to the API's moment, 15 October 2026 12:00 UTC. The ratio
is written as the rules would have recorded it for steady traffic and the outages below (the rules
themselves are tested elsewhere); every expected figure is counted by hand from the daily decisions
at 00:00 UTC.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from pledge.api.server import running_api
from pledge.clock import fixed
from pledge.rules.names import BREACH_PROBABILITY, ERROR_RATIO_PERIOD
from pledge.sla import ServiceLevelAgreement
from pledge.slo.periods import current_period
from pledge.testing import LocalPrometheus
from pledge.testing.backfill import Series, backfill_openmetrics
from tests.support.slas import sla
from tests.support.world import client, entries

pytestmark = pytest.mark.integration

NS = "record"
HOUR, DAY = 3_600, 86_400


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC).timestamp()


FROM, AT = utc(2026, 6, 30, 22), utc(2026, 10, 15, 12)  # from the start of Berlin's July
BERLIN = {"calendar": "month", "timezone": "Europe/Berlin"}
SLAS = {
    "alpha": sla("alpha", NS, window={"calendar": "month", "timezone": "UTC"}),
    "beta": sla("beta", NS, window=BERLIN, grouping=["customer"]),
    "gamma": sla("gamma", NS, window={"rolling": "30d"}, customer="acme"),  # rolling: not judged
    "delta": sla("delta", NS, window={"calendar": "month", "timezone": "UTC"}, customer="initech"),  # nothing recorded
}
# outages (start, seconds) per row: 99.9 % of a 31-day month allows 2,678.4 s of bad time
ALPHA_OUTAGE = (utc(2026, 8, 20, 10), 2 * HOUR)  # over the allowance at 10:44:38: the breach moment reads 10:59:59
ACME_OUTAGE = (utc(2026, 7, 25, 10), 3 * HOUR)  # in Berlin's July (30 June 22:00 to 31 July 22:00 UTC)


def alpha(t: float) -> float:
    if t < utc(2026, 8, 1):
        return 0.15  # July: calm, and it stayed calm
    if t < utc(2026, 9, 1):
        return 0.25 if t < utc(2026, 8, 16) else 0.75  # warned from the 16th, breached on the 20th
    if t < utc(2026, 10, 1):
        return 0.65 if t < utc(2026, 9, 6) else 0.15  # a false alarm, 2nd to 5th September
    return 0.5  # October: open, not judged


def acme(t: float) -> float:
    return 0.35 if t < utc(2026, 7, 31, 22) else 0.15  # never warned of the July breach


ROWS: dict[tuple[str, str], tuple[Callable[[float], float], tuple[float, int] | None]] = {
    ("alpha", ""): (alpha, ALPHA_OUTAGE), ("beta", "acme"): (acme, ACME_OUTAGE), ("beta", "globex"): (lambda _: 0.05, None)}


def labels(name: str, customer: str) -> dict[str, str]:
    return {"sla": name, "sla_namespace": NS, "objective": "availability", **({"customer": customer} if customer else {})}


def period_ratio(s: ServiceLevelAgreement, outage: tuple[float, int] | None, t: float) -> float:
    """The period's bad time so far over its time so far (steady traffic, no error but the outage)."""
    period = current_period(s.spec.window, t)
    bad = 0.0 if outage is None else min(max(t - max(outage[0], period.start), 0.0), outage[0] + outage[1] - period.start)
    return bad / (t - period.start) if t > period.start else 0.0


def history() -> list[Series]:
    gauge_times = [FROM + k * 600 for k in range(int((AT - FROM) // 600) + 1)]
    ratio_times = [FROM + k * 300 for k in range(int((AT - FROM) // 300) + 1)]
    found = []
    for (name, customer), (p, outage) in ROWS.items():
        scraped = {**labels(name, customer), "job": "pledge-api", "instance": "api-0:8000"}
        found.append(Series(BREACH_PROBABILITY, scraped, [(t, p(t)) for t in gauge_times]))
        found.append(Series(ERROR_RATIO_PERIOD, labels(name, customer),
                            [(t, period_ratio(SLAS[name], outage, t)) for t in ratio_times]))
    # a second API replica exports a lower figure for alpha: the row reads the highest, as the alert does
    found.append(Series(BREACH_PROBABILITY, {**labels("alpha", ""), "job": "pledge-api", "instance": "api-1:8000"},
                        [(t, 0.05) for t in gauge_times]))
    found.append(Series(BREACH_PROBABILITY, {**labels("gamma", ""), "job": "pledge-api", "instance": "api-0:8000"},
                        [(t, 0.9) for t in gauge_times]))
    return found


@pytest.fixture(scope="module")
def store() -> Iterator[str]:
    with LocalPrometheus() as prom:
        asyncio.run(backfill_openmetrics(prom, history()))
        yield prom.url


@pytest.fixture
async def api(store: str) -> AsyncIterator[str]:
    async with running_api(SLAS.values(), store, entries(), clock=fixed(AT)) as url:
        yield url


def iso(unix: float) -> str:
    return dt.datetime.fromtimestamp(unix, dt.UTC).isoformat().replace("+00:00", "Z")


def brier(*decisions: tuple[int, float, int]) -> float:
    """(how many, predicted, outcome) groups of scored decisions."""
    return sum(n * (p - o) ** 2 for n, p, o in decisions) / sum(n for n, _, _ in decisions)


# scored decisions per row and month, counted at 00:00 UTC strictly inside each period
ALPHA = [(30, 0.15, 0), (14, 0.25, 1), (5, 0.75, 1), (4, 0.65, 0), (25, 0.15, 0)]  # July 2-31; August 2-20; September 2-30
ACME = [(25, 0.35, 1), (31, 0.15, 0), (30, 0.15, 0)]  # Berlin July: 1-25 (the breach on the 25th); August 1-31; September 1-30
GLOBEX = [(31 + 31 + 30, 0.05, 0)]
ALPHA_BREACH = utc(2026, 8, 20, 10, 59, 59)
LEAD = ALPHA_BREACH - utc(2026, 8, 16)  # 4 days 10:59:59


def row(answer: dict[str, Any], name: str, customer: str | None = None) -> dict[str, Any]:
    found = [i for i in answer["items"] if i["name"] == name and i["group"].get("customer") == customer]
    assert len(found) == 1, answer["items"]
    only: dict[str, Any] = found[0]
    return only


async def test_the_fleet_and_each_row_judged_by_their_record(api: str) -> None:
    async with client(api) as http:
        response = await http.get("/v1/predictions/record")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["at"] == "2026-10-15T12:00:00Z" and answer["periods_back"] == 6
    fleet = answer["fleet"]
    # six months back, but only July to September hold a recorded ratio: the others are unknown, not judged
    assert (fleet["periods"], fleet["breached"], fleet["decisions"]) == (9, 2, 78 + 86 + 92)
    assert (fleet["warned"], fleet["warned_breached"], fleet["missed"]) == (2, 1, 1)
    assert fleet["median_warning_seconds"] == LEAD == 4 * DAY + 39_599
    assert fleet["brier"] == pytest.approx(brier(*ALPHA, *ACME, *GLOBEX))
    assert fleet["base_rate"] == pytest.approx(2 / 9)
    assert fleet["words"] == ("Of the last 2 months we warned about, 1 breached; we missed 1; median warning 4.5 days "
                              "before the breach (9 months judged).")
    bins = {round(b["low"], 1): (b["decisions"], b["observed"]) for b in fleet["reliability"]}
    assert bins[0.0] == (92, 0.0) and bins[0.1] == (30 + 25 + 31 + 30, 0.0) and bins[0.7] == (5, 1.0)
    assert bins[0.2] == (14, 1.0) and bins[0.3] == (25, 1.0) and bins[0.6] == (4, 0.0)

    first = row(answer, "alpha")
    assert (first["periods"], first["breached"], first["warned"], first["warned_breached"], first["missed"]) == (3, 1, 2, 1, 0)
    assert first["brier"] == pytest.approx(brier(*ALPHA))
    assert (first["window"], first["target"]) == ("calendar month", 0.999)
    assert [(h["period"], h["breached"], h["breach_at"], h["decisions"], h["scored"], h["warned_at"]) for h in first["history"]] == [
        ("2026-07", False, None, 30, 30, None),
        ("2026-08", True, iso(ALPHA_BREACH), 30, 19, iso(utc(2026, 8, 16))),
        ("2026-09", False, None, 29, 29, iso(utc(2026, 9, 2)))]
    missed = row(answer, "beta", "acme")
    assert (missed["periods"], missed["breached"], missed["warned"], missed["missed"]) == (3, 1, 0, 1)
    assert missed["history"][0]["start"] == "2026-06-30T22:00:00Z" and missed["history"][0]["scored"] == 25
    assert missed["words"] == "We warned about none of the last 3 months; we missed 1 (3 months judged)."
    assert row(answer, "beta", "globex")["brier"] == pytest.approx(0.05 ** 2)
    assert [i["name"] for i in answer["items"]][0] == "alpha"  # most periods warned about first
    assert answer["not_judged"] == [{"namespace": NS, "name": "gamma", "reason": answer["not_judged"][0]["reason"]}]
    assert "rolling" in answer["not_judged"][0]["reason"]


async def test_periods_back_filters_scopes_and_the_moment(api: str) -> None:
    async with client(api) as http:
        two = (await http.get("/v1/predictions/record", params={"periods": 2})).json()
        globex = (await http.get("/v1/predictions/record", params={"customer": "globex"})).json()
        one_sla = (await http.get("/v1/predictions/record", params={"namespace": NS, "sla": "alpha"})).json()
        earlier = (await http.get("/v1/predictions/record", params={"at": "2026-09-10T00:00:00Z"})).json()
    assert (two["fleet"]["periods"], two["fleet"]["missed"], two["fleet"]["warned"]) == (6, 0, 2)  # August, September
    assert [(i["name"], i["group"]) for i in globex["items"]] == [("beta", {"customer": "globex"})]
    assert [i["name"] for i in one_sla["items"]] == ["alpha"] and one_sla["fleet"]["periods"] == 3
    # on 10 September only July and August had closed (Berlin's August closed on 31 August 22:00 UTC)
    assert earlier["at"] == "2026-09-10T00:00:00Z" and earlier["fleet"]["periods"] == 6
    assert [h["period"] for h in row(earlier, "alpha")["history"]] == ["2026-07", "2026-08"]
    async with client(api, "acme-token") as http:
        acme_only = (await http.get("/v1/predictions/record")).json()
    # the acme token sees beta's acme group (and its own rolling gamma, not judged), nothing of alpha or globex
    assert [(i["name"], i["group"]) for i in acme_only["items"]] == [("beta", {"customer": "acme"})]
    assert (acme_only["fleet"]["periods"], acme_only["fleet"]["missed"]) == (3, 1)
    assert [n["name"] for n in acme_only["not_judged"]] == ["gamma"]


@pytest.mark.parametrize("query", ["periods=0", "periods=25", "periods=six", "at=yesterday"])
async def test_bad_parameters_are_problems(api: str, query: str) -> None:
    async with client(api) as http:
        response = await http.get(f"/v1/predictions/record?{query}")
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"].startswith(query.split("=")[0])


async def test_without_a_token_it_is_a_401(api: str) -> None:
    async with client(api, None) as http:
        response = await http.get("/v1/predictions/record")
    assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"
