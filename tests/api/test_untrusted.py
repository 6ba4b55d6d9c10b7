"""Never trust an answer (issue 31): the API's Prometheus answers, from the real world's Prometheus, pass
through a transport (the client's httpx seam) that turns some of their values into NaN, infinities,
negative counts or more bad events than events: values no real Prometheus gives over pledge's recorded
series, but a broken exporter, a relabelling or a proxy can. Every route then answers what it can, with
the reason for what it cannot: a problem+json 502 naming the series and what is wrong with it, never a
500, a traceback, a closed connection or a credit computed from garbage. NaN error ratios (0/0: no
traffic) are no data, not an error: the routes answer 200 with those figures unknown."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from pledge.api.server import running_api
from pledge.clock import fixed
from pledge.rules import names, queries
from pledge.prom import PrometheusBadValue, Sample
from pledge.slo.budget import ImpossibleFigure, budget_remaining, count_read, events_read, moment_read, ratio_read
from pledge.status import COUNTS, RATIOS, alerts_of
from tests.support import world
from tests.support.api_checks import month_label
from tests.support.world import World, client, entries

pytestmark = pytest.mark.integration

Value = Callable[[str], str | None]  # a sample's value (as Prometheus writes it) -> the value sent, None: unchanged
Fault = Callable[[str, dict[str, str]], Value | None]  # (figure, labels) -> how its values change, None: they don't

TILES = {names.ERRORS_TILE: queries.ERRORS, names.REQUESTS_TILE: queries.REQUESTS}  # the forecaster's counts


def figure(metric: dict[str, str]) -> str:
    """What a sample of any of pledge's queries is: a tagged or recorded figure, a tile, the period ratio."""
    name = metric.get("__name__", "")
    if name == names.ERROR_RATIO_PERIOD:
        return queries.PERIOD
    if metric.get(queries.FIGURE_LABEL) == "total":  # the forecaster's tiles, tagged (pledge.forecasting.fetch)
        return queries.REQUESTS
    return TILES.get(name) or queries.figure_of(name, metric)


class Tampering(httpx.AsyncBaseTransport):
    """The real Prometheus behind it; ``fault`` rewrites the values of the samples it picks."""

    def __init__(self) -> None:
        self.real = httpx.AsyncHTTPTransport()
        self.fault: Fault | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.real.handle_async_request(request)
        content = await response.aread()
        await response.aclose()
        fault = self.fault
        if fault is None or response.status_code != 200:
            return httpx.Response(response.status_code, headers=response.headers, content=content)
        body = json.loads(content)
        data = body.get("data")
        if isinstance(data, dict) and data.get("resultType") in ("vector", "matrix"):
            for item in data["result"]:
                change = fault(figure(item["metric"]), item["metric"])
                if change is None:
                    continue
                points = [item["value"]] if "value" in item else item["values"]
                for point in points:
                    point[1] = change(point[1]) or point[1]
        return httpx.Response(200, json=body)

    async def aclose(self) -> None:
        await self.real.aclose()


@pytest.fixture
async def tampered(loaded: World) -> AsyncIterator[tuple[str, Tampering]]:
    transport = Tampering()
    async with running_api(world.SLAS.values(), loaded.prom.url, entries(), transport=transport,
                           clock=fixed(world.AT), snapshot_seconds=0, prometheus_retries=0) as url:
        yield url, transport


def routes() -> dict[str, str]:
    """Every route that reads figures from Prometheus, each asked as of the world's end."""
    at, month = world.AT, month_label(world.PREVIOUS_MONTH[0])
    ns = world.NS
    return {
        "list": f"/v1/slas?at={at}",
        "detail": f"/v1/slas/{ns}/bursty?at={at}",
        "detail calendar": f"/v1/slas/{ns}/monthly?at={at}",
        "detail grouped": f"/v1/slas/{ns}/grouped?at={at}",
        "bulk details": f"/v1/details?at={at}",
        "report": f"/v1/slas/{ns}/monthly/report?period={month}&at={at}",
        "bulk reports": f"/v1/reports?period={month}&at={at}",
        "history": f"/v1/slas/{ns}/grouped/history?from={at - 86_400}&to={at}&step=1h",
        "burndown": f"/v1/slas/{ns}/monthly/burndown?points=4&at={at}",
        "predictions": f"/v1/predictions?at={at}",
        "review": f"/v1/review?service=monthly&period={month}&at={at}",
    }


def counts(value: Value) -> Fault:
    return lambda kind, labels: value if kind in COUNTS else None


def every(value: Value) -> Fault:
    return lambda kind, labels: value


def more_bad_than_valid(kind: str, labels: dict[str, str]) -> Value | None:
    """Errors a billion times what they are, and error ratios with them: series of the wrong shape."""
    if kind == queries.ERRORS:
        return lambda v: repr(float(v) * 1e9 + 1e6)
    if kind in RATIOS:
        return lambda v: repr(float(v) * 1e9 + 5)
    return None


def always(text: str) -> Value:
    return lambda v: text


def negative(kind: str, labels: dict[str, str]) -> Value | None:
    """Negative counts, and negative error ratios with them (a budget left may be negative, a ratio not)."""
    return always("-42") if kind in COUNTS else always("-0.5") if kind in RATIOS else None


# (fault, words the 502 says) for values no figure may be computed from; "a|b": either
GARBAGE: dict[str, tuple[Fault, tuple[str, ...]]] = {
    "+Inf": (every(always("+Inf")), ("+inf", "an infinity")),
    "-Inf": (every(always("-Inf")), ("-inf", "an infinity")),
    "NaN count": (counts(always("NaN")), ("nan events", "a count of events is a finite number of 0 or more")),
    "negative": (negative, ("-", "is a finite number of 0 or more|is between 0 and 1")),
    "more bad than valid": (more_bad_than_valid, ("cannot be",)),
}


def assert_no_crash(name: str, response: httpx.Response) -> None:
    assert response.status_code != 500, (name, response.text)
    assert "Traceback" not in response.text and "InvalidOperation" not in response.text, (name, response.text)


def credits_owed(body: Any) -> list[str]:
    """Every credit percent above 0 anywhere in an answer."""
    if isinstance(body, dict):
        return [v for k, v in body.items() if k.startswith("credit_percent") and isinstance(v, str) and v != "0"] + \
            [c for v in body.values() for c in credits_owed(v)]
    if isinstance(body, list):
        return [c for v in body for c in credits_owed(v)]
    return []


@pytest.mark.parametrize("fault", list(GARBAGE), ids=list(GARBAGE))
async def test_garbage_values_are_a_502_naming_them_on_every_route(tampered: tuple[str, Tampering], fault: str) -> None:
    url, transport = tampered
    change, words = GARBAGE[fault]
    async with client(url) as http:
        transport.fault = change
        for name, route in routes().items():
            response = await http.get(route)
            assert_no_crash(name, response)
            if fault == "NaN count" and name in ("list", "history"):  # they read error ratios, no count
                assert response.status_code == 200 and "NaN" not in response.text, response.text
                continue
            assert response.status_code == 502, (name, response.text)
            assert response.headers["content-type"] == "application/problem+json", name
            body = response.json()
            assert body["status"] == 502 and "credit" not in json.dumps(body), (name, body)
            assert body["detail"].startswith("Prometheus answered a value pledge cannot use: "), (name, body)
            assert all(any(w in body["detail"] for w in alternatives.split("|")) for alternatives in words), \
                (name, body["detail"])
            assert 'sla="' in body["detail"] or "{" in body["detail"], (name, body["detail"])  # the series is named
        transport.fault = None  # and every route answers again once Prometheus does
        for name, route in routes().items():
            assert (await http.get(route)).status_code == 200, name


async def test_nan_error_ratios_are_no_data_not_an_error(tampered: tuple[str, Tampering]) -> None:
    """0/0 (a window without traffic) is no figure: the list reads NoData and owes no credit, the detail's
    burn rates and the history's points are unknown; nothing fails."""
    url, transport = tampered
    async with client(url) as http:
        before = (await http.get(routes()["list"])).json()
        assert any(o["state"] != "NoData" for s in before["items"] for o in s["objectives"])
        transport.fault = lambda kind, labels: always("NaN") if kind in RATIOS else None
        for name, route in routes().items():
            response = await http.get(route)
            assert_no_crash(name, response)
            assert response.status_code == 200, (name, response.text)
        listed = (await http.get(routes()["list"])).json()
        assert {o["state"] for s in listed["items"] for o in s["objectives"]} == {"NoData"}
        assert all(o["sli"] is None for s in listed["items"] for o in s["objectives"])
        assert not credits_owed(listed)
        detail = (await http.get(routes()["detail"])).json()
        assert all(rate is None for o in detail["objectives"] for w, rate in o["burn_rates"].items() if w != "period")
        assert detail["objectives"] and all(o["sli"] is not None for o in detail["objectives"])  # from the counts
        history = (await http.get(routes()["history"])).json()
        assert history["series"] == [] or all(p["sli"] is None and p["burn_rate"] is None
                                              for s in history["series"] for p in s["points"])


async def test_more_bad_than_valid_owes_no_credit(tampered: tuple[str, Tampering]) -> None:
    """The finding: errors above requests gave an SLI of -1.8e9 and the full credit; now the report says
    which series cannot be, and owes nothing."""
    url, transport = tampered
    async with client(url) as http:
        report = routes()["report"]
        assert credits_owed((await http.get(report)).json())  # the monthly SLA owes a credit for its outage
        transport.fault = more_bad_than_valid
        response = await http.get(report)
        assert response.status_code == 502 and not credits_owed(response.json())
        assert "more bad events than events cannot be" in response.json()["detail"]
        assert 'sla="monthly"' in response.json()["detail"]
        csv = await http.get(report, headers={"Accept": "text/csv"})
        assert csv.status_code == 502 and csv.headers["content-type"] == "application/problem+json"


async def test_slightly_more_errors_than_requests_is_still_read(tampered: tuple[str, Tampering]) -> None:
    """increase() extrapolates each counter on its own: a hair more errors than requests is no fault."""
    url, transport = tampered

    def hair(kind: str, labels: dict[str, str]) -> Value | None:
        return None if kind != queries.ERRORS else (lambda v: repr(float(v) * 1.005 + 0.5))

    async with client(url) as http:
        transport.fault = hair
        for name in ("detail", "report", "list"):
            assert (await http.get(routes()[name])).status_code == 200, name


def test_each_kind_of_figure_is_checked_by_its_own_rule() -> None:
    """pledge.slo.budget's rules, one per kind: what is legitimate stays so (NaN ratio: no data; a hair of
    extrapolation above 1), what cannot be is ImpossibleFigure saying why."""
    assert ratio_read(math.nan) is None and ratio_read(0.0) == 0.0 and ratio_read(1.005) == 1.005
    for ratio, words in ((-0.1, "between 0 and 1"), (1.02, "more bad events than events"), (math.inf, "more bad")):
        with pytest.raises(ImpossibleFigure, match=words):
            ratio_read(ratio)
    assert count_read(0.0) == 0.0 and count_read(1e12) == 1e12
    for count in (math.nan, -1.0, -math.inf, math.inf):
        with pytest.raises(ImpossibleFigure, match="a count of events is a finite number of 0 or more"):
            count_read(count)
    events_read(100.5, 100.0)  # within SLACK: increase() extrapolates each counter on its own
    events_read(1.0, 0.0)
    with pytest.raises(ImpossibleFigure, match="5e\\+09 bad events out of 3 events"):
        events_read(5e9, 3.0)
    assert moment_read(world.AT) == world.AT
    for moment in (math.nan, -1.0, 1e18):
        with pytest.raises(ImpossibleFigure, match="not a moment"):
            moment_read(moment)
    assert budget_remaining(0.01, world.SLAS["bursty"].spec.objectives[0]) < 0  # negative budget left is legitimate


def test_an_alert_since_no_moment_is_named() -> None:
    labels = {"alertname": "SLAErrorBudgetBurn", "sla": "bursty", "sla_namespace": world.NS, "alertstate": "firing"}
    since = Sample(queries.ALERTS_FOR_STATE, labels, math.nan)
    with pytest.raises(PrometheusBadValue, match="not a moment") as refused:
        alerts_of([Sample(queries.ALERTS, labels, 1.0), since])
    assert 'sla="bursty"' in refused.value.series
