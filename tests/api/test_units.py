"""Pure parts of the API: period boundaries, settings precedence, the serve command's refusals,
and the PromQL the API reads with."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from pledge.sla.identity import SLARef
from pledge.commands.serve import serve
from pledge.api.settings import load_settings
from pledge.prom import PrometheusClient
from pledge.rules import queries
from pledge.slo.periods import calendar_period, current_period, named_period
from pledge.sla import Window, parse_sla

UTC = dt.timezone.utc


def unix(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()


def test_named_periods_follow_the_zone_and_its_daylight_saving() -> None:
    october = named_period("2026-10", "Europe/Berlin")
    assert (october.start, october.end) == (unix(2026, 9, 30, 22), unix(2026, 10, 31, 23))
    assert october.seconds == 745 * 3600  # the clocks go back on 25 October
    assert named_period("2026-W44", "UTC").start == unix(2026, 10, 26)
    assert named_period("2026-Q4", "UTC").seconds == 92 * 86_400
    for bad in ("2026-13", "2026-00", "26-10", "2026-W54", "2026-Q5", "october"):
        with pytest.raises(ValueError, match="expected a month"):
            named_period(bad, "UTC")


def test_current_period() -> None:
    at = unix(2026, 11, 3, 12)
    assert current_period(Window.model_validate({"rolling": "30d"}), at).start == at - 30 * 86_400
    month = current_period(Window(calendar="month", timezone="Europe/Berlin"), at)
    assert (month.label, month.start) == ("2026-11", unix(2026, 10, 31, 23))
    assert calendar_period("week", "UTC", at).start == unix(2026, 11, 2)


def test_settings_flags_beat_environment_beat_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "pledge.yaml"
    config.write_text("prometheus_url: http://file:9090\nport: 7000\nprometheus_timeout: 3\n")
    monkeypatch.setenv("PLEDGE_PORT", "7100")
    settings = load_settings(config, prometheus_url="http://flag:9090", host=None)
    assert (settings.prometheus_url, settings.port, settings.prometheus_timeout) == ("http://flag:9090", 7100, 3)


def test_cache_seconds_flag_sets_the_answer_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLEDGE_PROMETHEUS_CACHE_SECONDS", "5")
    assert load_settings(None, prometheus_cache_seconds=30.0).prometheus_cache_seconds == 30.0
    assert load_settings(None, prometheus_cache_seconds=None).prometheus_cache_seconds == 5.0
    result = CliRunner().invoke(serve, ["--cache-seconds", "301", "--tokens-file", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "--tokens-file" in result.output
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text("tokens: []\n")
    result = CliRunner().invoke(serve, ["--cache-seconds", "301", "--tokens-file", str(tokens)])
    assert result.exit_code == 2 and "prometheus_cache_seconds" in result.output and "300" in result.output


def test_serve_refuses_to_start_without_tokens_or_with_bad_slas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLEDGE_TOKENS_FILE", raising=False)
    result = CliRunner().invoke(serve, [])
    assert result.exit_code == 2 and "no tokens" in result.output
    (tmp_path / "bad.yaml").write_text("apiVersion: pledge.dev/v1alpha1\nkind: ServiceLevelAgreement\n"
                                       "metadata: {name: x}\nspec: {service: x, objectives: []}\n")
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text("tokens: []\n")
    result = CliRunner().invoke(serve, ["--sla-dir", str(tmp_path), "--tokens-file", str(tokens)])
    assert result.exit_code == 2 and "spec.objectives" in result.output


def test_label_values_are_escaped_in_every_query() -> None:
    selector = queries.sla_matchers(SLARef("ns", "name"), {"customer": 'a"} or vector(1) # \\\n'})
    assert 'customer="a\\"} or vector(1) # \\\\\\n"' in selector
    grouped = parse_sla({"apiVersion": "pledge.dev/v1alpha1", "kind": "ServiceLevelAgreement",
                         "metadata": {"name": "name", "namespace": "ns"},
                         "spec": {"service": "s", "grouping": ["customer"], "objectives": [
                             {"name": "availability", "target": "99", "sli": {"ratio": {"errors": "e", "total": "t"}}}]}})
    expr = queries.detail(grouped, selector, frozenset({300}), 86_400, 86_400)
    assert expr.count(selector) == 2 + 1 + 2 * 5 + 1  # events, recorded 5m window, five computed windows, coverage


@pytest.mark.parametrize(("cache_seconds", "sent"), [(0.0, 4), (30.0, 2)])
async def test_identical_calls_share_an_answer_only_with_a_cache(cache_seconds: float, sent: int) -> None:
    calls: list[bytes] = []

    def prometheus(request: httpx.Request) -> httpx.Response:
        calls.append(request.content)
        return httpx.Response(200, json={"status": "success", "data": {"resultType": "scalar", "result": [60, str(len(calls))]}})

    async with PrometheusClient("http://prometheus", transport=httpx.MockTransport(prometheus),
                                cache_seconds=cache_seconds) as client:
        answers = [(await client.query("up", at=at))[0].value for at in (60.0, 60.0, 90.0, 60.0)]
    assert len(calls) == sent
    assert answers == ([1, 2, 3, 4] if sent == 4 else [1, 1, 2, 1])


@pytest.mark.parametrize(("cache_seconds", "sent"), [(0.0, 50), (30.0, 1)])
async def test_identical_calls_in_flight_are_asked_once_with_a_cache(cache_seconds: float, sent: int) -> None:
    calls: list[bytes] = []

    async def prometheus(request: httpx.Request) -> httpx.Response:
        calls.append(request.content)
        n = len(calls)
        await asyncio.sleep(0.05)  # still in flight when the others ask
        return httpx.Response(200, json={"status": "success", "data": {"resultType": "scalar", "result": [60, str(n)]}})

    async with PrometheusClient("http://prometheus", transport=httpx.MockTransport(prometheus),
                                cache_seconds=cache_seconds, max_concurrency=50) as client:
        answers = await asyncio.gather(*(client.query("up", at=60.0) for _ in range(50)))
    assert len(calls) == sent and len({a[0].value for a in answers}) == sent
