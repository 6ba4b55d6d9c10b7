"""Tokens and scopes: 401 without a token, customer scopes isolated on every route and filter,
label values that try to break PromQL escaped."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import pytest

from pledge.api.app import create_app
from pledge.api.auth import TokenEntry, TokenStore, hash_token
from pledge.api.settings import Settings
from pledge.api.sources import StaticSource
from pledge.sla.units import DAY
from tests.support import world
from tests.support.api_checks import changed, prometheus_calls
from tests.support.world import World, client, until_snapshot

pytestmark = pytest.mark.integration
REPORT = f"/report?from={world.END - 2 * DAY}&to={world.END - DAY}"
ROUTES = ["/v1/slas", f"/v1/slas/{world.NS}/grouped", f"/v1/slas/{world.NS}/grouped/report?period=2026-10",
          f"/v1/slas/{world.NS}/grouped/history?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z", "/metrics"]


def test_tokens_are_stored_hashed() -> None:
    entry = TokenEntry.from_token("sre", "s3cret", ["read:all"])
    assert "s3cret" not in entry.model_dump_json() and entry.sha256 == hash_token("s3cret")
    store = TokenStore([entry])
    assert store.find("s3cret") is not None and store.find("s3cret ") is None and store.find(entry.sha256) is None


@pytest.mark.parametrize("token", [None, "wrong", "Bearer sre-token", ""])
async def test_every_route_needs_a_valid_token(api: str, token: str | None) -> None:
    async with client(api, token) as http:
        for route in ROUTES:
            response = await http.get(route)
            assert response.status_code == 401, route
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert response.headers["content-type"] == "application/problem+json"
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/readyz")).status_code == 200


async def test_token_without_scope_is_forbidden(api: str) -> None:
    async with client(api, "no-scope-token") as http:
        assert (await http.get("/v1/slas")).status_code == 403


async def fetch_all(api: str, token: str, name: str) -> list[Any]:
    """Every route's answer about one SLA, and the list with every filter that could reveal others."""
    answers: list[Any] = []
    async with client(api, token) as http:
        for params in ({}, {"customer": "globex"}, {"customer": "acme"}, {"state": "Breached"}, {"namespace": world.NS}):
            answers.append((await http.get("/v1/slas", params={**params, "at": world.AT})).json())
        for route in ("", REPORT, f"/history?from={world.END - 900}&to={world.END}&step=1m"):
            response = await http.get(f"/v1/slas/{world.NS}/{name}{route}", params=None if route else {"at": world.AT})
            answers.append(response.json() if response.status_code == 200 else response.status_code)
        csv = await http.get(f"/v1/slas/{world.NS}/{name}{REPORT}", headers={"Accept": "text/csv"})
        answers.append(csv.text)
    return answers


def customers_in(answer: Any) -> set[str]:
    """Every customer a response mentions, wherever it sits."""
    found: set[str] = set()
    if isinstance(answer, dict):
        found |= {v for k, v in answer.items() if k == "customer" and isinstance(v, str)}
        for value in answer.values():
            found |= customers_in(value)
    elif isinstance(answer, list):
        for value in answer:
            found |= customers_in(value)
    elif isinstance(answer, str):
        found |= {c for c in world.CUSTOMERS + ("initech",) if f"customer={c}" in answer}
    return found


async def test_customer_scope_sees_only_its_own_groups(api: str) -> None:
    answers = await fetch_all(api, "acme-token", "grouped")
    assert set().union(*map(customers_in, answers)) == {"acme"}
    listing = answers[0]
    assert [(i["name"], [o["group"] for o in i["objectives"]]) for i in listing["items"]] == [("grouped", [{"customer": "acme"}])]
    assert answers[1]["items"] == []  # customer=globex: absent, not an error
    assert answers[5]["objectives"] and all(o["group"] == {"customer": "acme"} for o in answers[5]["objectives"])
    assert list(answers[6]["credits"]) == ["customer=acme"]
    assert [s["group"] for s in answers[7]["series"]] == [{"customer": "acme"}]


async def test_customer_scope_cannot_reach_other_customers_slas(api: str) -> None:
    answers = await fetch_all(api, "acme-token", "bursty")  # bursty is initech's SLA
    assert answers[5:8] == [404, 404, 404]
    assert "initech" not in str(answers)
    initech = await fetch_all(api, "initech-token", "bursty")
    assert [i["name"] for i in initech[0]["items"]] == ["bursty"]
    assert initech[5]["objectives"][0]["sli"] is not None


async def test_a_hidden_sla_answers_as_an_unknown_one(api: str) -> None:
    """initech has no group in grouped and monthly is nobody's: both read exactly as an SLA that does not
    exist, body and Prometheus work alike (the same timing class): the detail looks the customer's groups
    up in the background snapshot, the other routes with one index lookup each."""
    history = f"/history?from={world.END - 900}&to={world.END}&step=1m"
    lookup = {"/api/v1/series": 1}
    async with client(api, "initech-token") as http, client(api) as sre:
        await until_snapshot(sre)
        burndown = f"/burndown?points=3&at={world.END}"
        for route, work in (("", {}), (REPORT, lookup), (history, lookup), (burndown, lookup)):
            before = await prometheus_calls(sre)
            unknown = await http.get(f"/v1/slas/{world.NS}/nowhere{route}")
            calls = await prometheus_calls(sre)
            assert changed(before, calls) == work, route
            assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
            for name in ("grouped", "monthly"):
                before = calls
                hidden = await http.get(f"/v1/slas/{world.NS}/{name}{route}")
                calls = await prometheus_calls(sre)
                assert changed(before, calls) == work, (name, route)
                assert hidden.status_code == 404, (name, route)
                assert hidden.text.replace(name, "nowhere") == unknown.text
                assert hidden.headers["content-type"] == unknown.headers["content-type"]
    async with client(api, "acme-token") as http:
        assert (await http.get(f"/v1/slas/{world.NS}/grouped")).status_code == 200


async def test_api_description_is_public_and_holds_no_sla(api: str) -> None:
    """/docs, /redoc and /openapi.json answer without a token (README, "The API"): the description is
    the same for every installation, an app without SLAs or tokens gives the very same document."""
    empty = create_app(StaticSource([]), TokenStore([]), Settings()).openapi()
    async with client(api, None) as http:
        for route in ("/docs", "/redoc"):
            response = await http.get(route)
            assert response.status_code == 200 and "/openapi.json" in response.text, route
        assert (await http.get("/openapi.json")).json() == json.loads(json.dumps(empty))
        assert (await http.get("/v1/slas")).status_code == 401


async def test_label_values_that_try_to_break_promql_are_escaped(api: str, loaded: World) -> None:
    """The scope's customer goes into PromQL as a label value: escaped, it matches exactly one group."""
    answers = await fetch_all(api, "nasty-token", "grouped")
    assert set().union(*map(customers_in, answers[:8])) == {world.NASTY}
    [row] = answers[5]["objectives"]
    exact = 1 - loaded.truth[world.NASTY].ratio(world.AT - 7 * DAY, world.AT)
    assert row["group"] == {"customer": world.NASTY}
    assert row["sli"] == pytest.approx(exact, abs=1e-6)
    async with client(api) as http:
        for value in ('"}', 'x"} or vector(1) or {a="', "\\", "\n", '{__name__=~".+"}'):
            for params in ({"customer": value}, {"namespace": value}, {"service": value}, {"tier": value}):
                response = await http.get("/v1/slas", params=params)
                assert response.status_code == 200 and response.json()["items"] == [], params
            response = await http.get(f"/v1/slas/{world.NS}/{quote(value, safe='')}")
            assert response.status_code == 404, value
