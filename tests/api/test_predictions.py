"""GET /v1/predictions and the breach gauge on a real Prometheus with backfilled history: what the
API serves equals forecast() run offline on the same recorded counts."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from pledge.api.server import running_api
from pledge.commands.forecast import forecast as forecast_command
from pledge.forecasting.fetch import fetch
from pledge.forecasting.forecast import Forecast, forecast
from pledge.forecasting.goal import goals_of
from pledge.predictions import HISTORY
from pledge.prom import PrometheusClient
from pledge.rules.queries import any_sla_matchers
from pledge.sla.units import DAY
from tests.support import world
from tests.support.world import World, client, entries

pytestmark = pytest.mark.integration


def unix(text: str | None) -> int | None:
    return None if text is None else int(dt.datetime.fromisoformat(text).timestamp())


async def offline(url: str, at: int, horizon: int | None) -> dict[tuple[str, str, str], Forecast]:
    """forecast() per series, one by one, on the counts Prometheus recorded up to ``at``."""
    async with PrometheusClient(url) as prom:
        counts, _ = await fetch(prom, at - HISTORY, at, any_sla_matchers([s.metadata.name for s in world.SLAS.values()]))
    found = {}
    for key, series in counts.items():
        labels = dict(key)
        sla = world.SLAS[labels["sla"]]
        goal = next(g for g in goals_of(sla) if g.objective.name == labels["objective"])
        found[(labels["sla"], labels["objective"], labels.get("customer", ""))] = forecast(series, goal, horizon)[0]
    return found


def assert_same(items: list[dict[str, Any]], expected: dict[tuple[str, str, str], Forecast]) -> None:
    assert {(i["name"], i["objective"], i["group"].get("customer", "")) for i in items} == set(expected)
    for item in items:
        f = expected[(item["name"], item["objective"], item["group"].get("customer", ""))]
        assert item["probability"] == pytest.approx(f.probability, abs=1e-9), item
        assert (unix(item["breach_at"]), unix(item["breach_earliest"]), unix(item["breach_latest"])) == \
            (f.breach_at, f.breach_earliest, f.breach_latest)
        assert item["projected_sli"] == pytest.approx(f.projected_sli, abs=1e-12)
        assert (item["sli"], item["state"], item["horizon_seconds"]) == (f.current.sli, f.current.state, f.horizon)


async def test_served_predictions_equal_offline_forecasts(api: str, loaded: World) -> None:
    async with client(api) as http:
        cached = (await http.get("/v1/predictions")).json()
        day = (await http.get("/v1/predictions", params={"horizon": "24h"})).json()
    for answer, horizon in ((cached, None), (day, DAY)):
        items = answer["items"]
        at = unix(items[0]["at"])
        assert at is not None and all(unix(i["at"]) == at for i in items)
        assert_same(items, await offline(loaded.prom.url, at, horizon))
        probabilities = [i["probability"] for i in items]
        assert probabilities == sorted(probabilities, reverse=True)
    assert {i["horizon_seconds"] for i in day["items"]} == {DAY}
    by_name = {(i["name"], i["group"].get("customer")): i for i in cached["items"]}
    assert by_name[("burning", None)]["probability"] > by_name[("quiet", None)]["probability"]
    for i in cached["items"]:
        words = "is already below" if i["state"] == "Breached" else f"{100 * i['probability']:.0f} % chance of falling"
        assert words in i["message"], i


def test_forecast_cli_prints_the_same(loaded: World, tmp_path: Path) -> None:
    files = tmp_path / "slas.yaml"
    files.write_text(yaml.safe_dump_all([s.model_dump(mode="json", by_alias=True, exclude_none=True)
                                         for s in world.SLAS.values()]))
    at = ["--at", str(world.AT)]  # the world's moment: without it the CLI forecasts from today's clock
    result = CliRunner().invoke(forecast_command, [str(files), "--prometheus", loaded.prom.url, "--horizon", "1d", "--json", *at])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows, "the world's SLAs have history at its moment: some prediction is expected"
    expected = asyncio.run(offline(loaded.prom.url, rows[0]["at"], DAY))
    assert {(r["sla"].split("/")[1], r["objective"], r["group"].get("customer", "")): (r["probability"], r["breach_at"])
            for r in rows} == {k: (round(f.probability, 3), f.breach_at) for k, f in expected.items()}
    table = CliRunner().invoke(forecast_command, [str(files), "--prometheus", loaded.prom.url, "--min-probability", "0.5", *at])
    assert table.exit_code == 0 and "SLAs at risk" in table.output


async def test_scopes_and_filters(api: str) -> None:
    async with client(api, "acme-token") as http:
        acme = (await http.get("/v1/predictions")).json()["items"]
        other = (await http.get("/v1/predictions", params={"customer": "globex", "horizon": "1d"})).json()["items"]
    assert [(i["name"], i["group"], i["customer"]) for i in acme] == [("grouped", {"customer": "acme"}, "acme")]
    assert other == []
    async with client(api) as http:
        everything = (await http.get("/v1/predictions")).json()["items"]
        globex = (await http.get("/v1/predictions", params={"customer": "globex"})).json()["items"]
        likely = (await http.get("/v1/predictions", params={"min_probability": 0.5})).json()["items"]
    assert [i["group"] for i in globex] == [{"customer": "globex"}]
    assert likely == [i for i in everything if i["probability"] >= 0.5]


@pytest.mark.parametrize("horizon", ["soon", "1m", "93d", "0s", ""])
async def test_bad_horizon_is_a_422_naming_it(api: str, horizon: str) -> None:
    async with client(api) as http:
        response = await http.get("/v1/predictions", params={"horizon": horizon})
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"].startswith("horizon: ")


async def test_breach_gauge_for_read_all_only(api: str) -> None:
    async with client(api) as http:
        items = (await http.get("/v1/predictions")).json()["items"]
        text = (await http.get("/metrics")).text
    async with client(api, "acme-token") as http:
        hidden = (await http.get("/metrics")).text
    samples = [x for family in text_string_to_metric_families(text) for x in family.samples
               if x.name == "pledge_breach_probability"]
    found = {tuple(sorted(x.labels.items())): x.value for x in samples}
    expected = {tuple(sorted({"sla": i["name"], "sla_namespace": i["namespace"], "objective": i["objective"],
                              **i["group"]}.items())): i["probability"] for i in items}
    assert found == pytest.approx(expected, abs=1e-12) and len(samples) == len(items)
    ident = {("sla", "burning"), ("sla_namespace", "api"), ("objective", "availability")}
    assert ident in [set(labels) for labels in found]
    assert {("sla", "grouped"), ("sla_namespace", "api"), ("objective", "availability"), ("customer", "acme")} in \
        [set(labels) for labels in found]
    assert "pledge_breach_probability{" not in hidden and "pledge_api_request_duration_seconds" in hidden


async def test_prometheus_down_is_a_503() -> None:
    async with running_api(world.SLAS.values(), "http://127.0.0.1:9", entries(), prometheus_retries=0) as url, \
            client(url) as http:
        cached, other = await http.get("/v1/predictions"), await http.get("/v1/predictions?horizon=1d")
    for response in (cached, other):
        assert response.status_code == 503 and response.headers["content-type"] == "application/problem+json"
        assert "Prometheus is unavailable" in response.json()["detail"] and "Traceback" not in response.text
