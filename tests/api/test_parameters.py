"""Every query and path parameter of every route, from the app's own OpenAPI description, given extreme
values (huge durations, negative and overflowing numbers, NaN, empty and very long strings, impossible
and far-off dates): never a 500 or a 5xx from a query Prometheus refuses, only 2xx or 4xx, and a 422 is a
problem+json naming the parameter (issue 31, "every query parameter gets a 422 naming it")."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pledge.api.app import create_app
from pledge.api.auth import TokenStore
from pledge.api.settings import Settings
from pledge.api.sources import StaticSource
from tests.support import world
from tests.support.api_checks import month_label
from tests.support.world import client

pytestmark = pytest.mark.integration

EXTREMES = [
    "99999999999999999999d", "3651d", "0s", "-1", "-99999999999999999999", "99999999999999999999", "1e309", "-1e309",
    "NaN", "inf", "", " ", "x" * 4_000, "2026-13-45T99:99:99Z", "2026-10-01T00:00:00", "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-14:00", "-62135596800", "253402300800", "1e18", "9999-12",
    "0000-Q1", "2026-W99", "1", "0", "\u0663\u0660d", "%", "{}", 'x",y="',
]


def valid_values() -> dict[str, str]:
    """A value each parameter takes, so the others can be tried one at a time."""
    at = world.AT
    return {"namespace": world.NS, "name": "monthly", "from": str(int(at - 86_400)), "to": str(int(at)),
            "period": month_label(world.PREVIOUS_MONTH[0]), "service": "monthly", "number": "1", "at": str(at)}


def operations() -> list[tuple[str, list[dict[str, Any]]]]:
    """(path, parameters) of every GET route the app describes."""
    app = create_app(StaticSource([]), TokenStore([]), Settings(prometheus_url="http://prometheus.invalid"))
    return [(path, op.get("parameters", [])) for path, ops in app.openapi()["paths"].items()
            for method, op in ops.items() if method == "get"]


CASES = [(path, p["name"]) for path, params in operations() for p in params]


# Optional parameters a route needs one of (a report's period or its range, a review's scope)
EXTRA = {"/v1/slas/{namespace}/{name}/report": ("period",), "/v1/review": ("service",)}
# Parameters judged together: a 422 may name the other one (a range too long for its step names the step)
TOGETHER = [{"from", "to", "step", "period"}]


def request_for(path: str, params: list[dict[str, Any]], tried: str, value: str) -> tuple[str, dict[str, str]]:
    """The URL and query of ``path`` with ``tried`` set to ``value`` and every other parameter it needs valid."""
    valid = valid_values()
    needed = {p["name"] for p in params if p.get("required") or p["in"] == "path"} | set(EXTRA.get(path, ()))
    if tried in ("from", "to") and path.endswith("/report"):
        needed = needed - {"period"} | {"from", "to"}
    chosen = {name: valid[name] for name in needed}
    query = {k: v for k, v in chosen.items() if k != tried and any(p["name"] == k and p["in"] == "query" for p in params)}
    where = next(p["in"] for p in params if p["name"] == tried)
    if where == "query":
        query[tried] = value
    url = path
    for p in params:
        if p["in"] == "path":
            shown = value if p["name"] == tried else chosen[p["name"]]
            url = url.replace("{" + p["name"] + "}", httpx.URL("/" + shown.replace("/", "%2F")).raw_path.decode()[1:] or "%20")
    return url, query


def assert_answer(response: httpx.Response, tried: str, where: str) -> None:
    assert response.status_code < 500, (where, response.status_code, response.text[:500])
    assert 200 <= response.status_code < 300 or response.headers["content-type"] == "application/problem+json", \
        (where, response.headers["content-type"])
    assert "Traceback" not in response.text, where
    if response.status_code == 422:
        body = response.json()
        named = {p["name"] for p in body.get("invalid_params", [])} | {body["detail"].partition(":")[0]}
        allowed = {tried}.union(*(names for names in TOGETHER if tried in names))
        assert named & allowed, (where, body)


@pytest.mark.parametrize(("path", "tried"), CASES, ids=[f"{path} {name}" for path, name in CASES])
async def test_every_parameter_with_extreme_values(api: str, path: str, tried: str) -> None:
    params = dict(operations())[path]
    async with client(api) as http:
        for value in EXTREMES:
            url, query = request_for(path, params, tried, value)
            response = await http.get(url, params=query)
            assert_answer(response, tried, f"{url} {tried}={value[:40]!r}")


def test_every_route_with_parameters_is_walked() -> None:
    """The walk covers the routes it must (a route added later is walked without a change here)."""
    paths = {path for path, _ in CASES}
    assert {"/v1/slas", "/v1/slas/{namespace}/{name}", "/v1/details", "/v1/slas/{namespace}/{name}/history",
            "/v1/slas/{namespace}/{name}/report", "/v1/reports", "/v1/review", "/v1/slas/{namespace}/{name}/burndown",
            "/v1/predictions", "/v1/predictions/record"} <= paths
