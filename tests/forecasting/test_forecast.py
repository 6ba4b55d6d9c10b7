"""The pure forecast function, the batched Prometheus fetch, the CLI commands and NAB conversion."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
import pytest
from click.testing import CliRunner

from pledge.commands.forecast import backtest
from pledge.rules.queries import FIGURE_LABEL
from pledge.forecasting.fetch import fetch
from pledge.forecasting.forecast import default_horizon, forecast
from pledge.forecasting.goal import goal_for
from research.forecasting.scenarios import scenario
from pledge.forecasting.series import StepCounts
from pledge.predictions import predictions_from
from pledge.prom.client import PrometheusClient
from pledge.sla import parse_yaml
from pledge.sla.model import Window
from pledge.sla.units import DAY
from tests.support.slas import as_yaml
from decimal import Decimal

NAB = Path(__file__).resolve().parents[1] / "data" / "nab"  # one NAB series (MIT, LICENSE.txt) shipped for the test


def test_batch_equals_one_by_one() -> None:
    a, b = scenario("degradation", 5), scenario("steady", 5)
    batch = StepCounts(a.series.timestamps, np.stack([a.series.errors, b.series.errors]),
                   np.stack([a.series.total, b.series.total]), a.series.step)
    together = forecast(batch, a.goal, DAY)
    assert together == forecast(a.series, a.goal, DAY) + forecast(b.series, a.goal, DAY)


def test_a_horizon_longer_than_the_history_is_forecast() -> None:
    """The first evening of a month: the default horizon (to the month's end) outruns 30 days of
    history, so no analog fits in it; the forecast still answers, from the other features."""
    s = scenario("steady", 2)
    steps = s.series.errors.shape[-1]
    horizon = (steps + 60) * s.series.step
    f = forecast(s.series, s.goal, horizon)[0]
    assert 0.0 <= f.probability <= 1.0 and f.at == forecast(s.series, s.goal, DAY)[0].at


def test_forecast_fields() -> None:
    s = scenario("steady", 2)
    f = forecast(s.series, s.goal, DAY)[0]
    assert f.current.state == "Met" and f.probability < 0.1 and f.breach_at is None
    assert f.projected_sli is not None and f.projected_sli > 0.999
    assert f.exhaustion_at is not None and f.exhaustion_at > f.at + 10 * DAY


def test_default_horizon() -> None:
    month = goal_for(Decimal("99.9"), Window(calendar="month"))
    assert default_horizon(month, 1_767_225_600 + DAY) == 30 * DAY  # 2 Jan -> 1 Feb
    assert default_horizon(goal_for(Decimal("99"), Window.model_validate({"rolling": "30d"})), 0) == 7 * DAY


SLA = as_yaml("checkout", "shop", sli={"ratio": {"errors": 'x{code="500"}', "total": "x"}}, grouping=["customer"])


def prometheus(series: dict[str, StepCounts], calls: list[str]) -> httpx.MockTransport:
    """Answers the batched range query (the errors and requests tiles, each labelled with its figure as
    pledge.rules.queries.with_label does) from in-memory counts (events per 5 m tile)."""
    def answer(request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        calls.append(form["query"])
        assert form["query"].count(f'"{FIGURE_LABEL}"') == 2, form["query"]
        start, end = float(form["start"]), float(form["end"])
        result = []
        for figure in ("errors", "total"):
            for customer, s in series.items():
                keep = (s.timestamps >= start) & (s.timestamps <= end)
                values = (s.errors if figure == "errors" else s.total)[keep]
                result.append({"metric": {"sla": "checkout", "sla_namespace": "shop", "objective": "availability",
                                          "customer": customer, FIGURE_LABEL: figure},
                               "values": [[int(t), str(v)] for t, v in zip(s.timestamps[keep], values)]})
        return httpx.Response(200, json={"status": "success", "data": {"resultType": "matrix", "result": result}})
    return httpx.MockTransport(answer)


async def test_fetch_is_batched_and_forecasts_match_offline() -> None:
    data = {"acme": scenario("degradation", 6).series, "initech": scenario("steady", 6).series}
    calls: list[str] = []
    first, last = int(data["acme"].timestamps[0]), int(data["acme"].timestamps[-1])
    async with PrometheusClient("http://prom", transport=prometheus(data, calls)) as client:
        found, queries = await fetch(client, first - 300, last)
    assert queries == len(calls) == int(np.ceil(data["acme"].timestamps.size / 10_000))
    sla = parse_yaml(SLA, "sla.yaml")
    predictions = predictions_from(sla, found, DAY)
    goal = scenario("degradation", 6).goal
    offline = {c: forecast(s, goal, DAY)[0] for c, s in data.items()}
    assert {p.group["customer"]: p.forecast for p in predictions} == offline
    assert predictions[0].probability >= predictions[1].probability
    words = {p.group["customer"]: p.message for p in predictions}
    assert words["acme"].startswith("acme's checkout availability is already below 99.9 % over the last 30d: 99.8")
    assert words["initech"].startswith("initech's checkout availability: ") and "within the next 24 h (by " in words["initech"]
    assert "of 100 forecasts like this one" in words["initech"]


def test_backtest_cli(tmp_path: Path) -> None:
    s = scenario("degradation", 7)
    csv = tmp_path / "counts.csv"
    csv.write_text("timestamp,errors,total\n" + "".join(
        f"{t},{int(e)},{int(n)}\n" for t, e, n in zip(s.series.timestamps, s.series.errors, s.series.total)))
    runner = CliRunner()
    result = runner.invoke(backtest, [str(csv), "--horizons", "6h,24h", "--json", "--predictions", str(tmp_path / "p.csv"),
                                      "--plot", str(tmp_path / "p.png")])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert {(r["method"], r["horizon_s"]) for r in scores} == {(m, h) for m in ("pledge", "linear", "burnrate") for h in (21_600, DAY)}
    assert all({"warning_time_h", "foreseeable_lead_h", "false_alarms_per_month", "brier_skill"} <= r.keys() for r in scores)
    assert all(sum(b["decisions"] for b in r["reliability"]) == r["decisions"] > 0 for r in scores)
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0] == "timestamp,method,horizon_s,breach_probability,warning,predicted_breach" and len(lines) > 1000
    assert (tmp_path / "p.png").stat().st_size > 10_000
    table = runner.invoke(backtest, [str(csv), "--horizons", "24h", "--methods", "linear"])
    assert table.exit_code == 0 and "linear" in table.output and "precision" in table.output


@pytest.mark.parametrize("args, message", [
    (["--window", "calendar:fortnight"], "Invalid value"),
    (["--target", "100"], "between 0 and 100"),
    (["--horizons", "soon"], "duration"),
    (["--methods", "magic"], "unknown method"),
])
def test_backtest_cli_rejects_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    csv = tmp_path / "c.csv"
    csv.write_text("timestamp,errors,total\n0,0,1\n300,0,1\n")
    result = CliRunner().invoke(backtest, [str(csv), *args])
    assert result.exit_code != 0 and message in result.output


def test_backtest_cli_reports_bad_data(tmp_path: Path) -> None:
    csv = tmp_path / "c.csv"
    csv.write_text("timestamp,errors,total\n300,0,1\n0,0,1\n")
    result = CliRunner().invoke(backtest, [str(csv)])
    assert result.exit_code == 1 and "not sorted" in result.output


def test_nab_conversion() -> None:
    from research.forecasting.nab import convert

    series, goal, (low, high) = convert(NAB / "ec2_request_latency_system_failure.csv")
    assert series.step == 300 and low < high and 0 < series.errors.sum() < 0.1 * series.total.sum()
    assert str(goal.objective.target) == "99.5" and goal.window.rolling == DAY


def test_nab_coarser_step_averages_the_samples_first() -> None:
    from research.forecasting.nab import coarser, convert

    stamps = np.array([0, 300, 600, 900, 1_800, 2_100], dtype=np.int64)
    at, mean = coarser(stamps, np.array([1.0, 2.0, 3.0, 4.0, 10.0, 20.0]), 900)
    assert at.tolist() == [0, 900, 1_800] and mean.tolist() == [2.0, 4.0, 15.0]
    fine, hourly = (convert(NAB / "ec2_request_latency_system_failure.csv", step)[0] for step in (None, 3_600))
    assert hourly.step == 3_600 and abs(hourly.timestamps.size - fine.timestamps.size / 12) <= 1
