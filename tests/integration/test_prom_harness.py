"""pledge.prom against a real Prometheus 2.42: process lifecycle, backfill, client errors."""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import pytest

from pledge.clock import parse_moment
from pledge.prom import MissingComponent, PrometheusBadResponse, PrometheusBadValue, PrometheusClient, PrometheusError, PrometheusQueryError, PrometheusUnavailable, PromtoolError
from pledge.testing import LocalPrometheus, Series, backfill_openmetrics, backfill_rules, check_rules
from pledge.tsdb.promtool import find_binary
from pledge.sla.units import HOUR

pytestmark = pytest.mark.integration

STEP = 30
StartPrometheus = Callable[..., LocalPrometheus]
WriteRules = Callable[..., Path]


def history_end() -> int:
    """A fixed hour boundary: the harness works the same for any moment."""
    return int(parse_moment("2026-10-14T00:00:00Z"))


def requests(per_second: float, start: int, end: int, **labels: str) -> Series:
    """`requests_total` growing at a constant rate from 0, one sample every STEP seconds."""
    samples = [(t, per_second * (t - start)) for t in range(start, end + 1, STEP)]
    return Series("requests_total", labels, samples, "counter")


def test_start_stop_leaves_no_process(local_prometheus: StartPrometheus) -> None:
    prom = local_prometheus()
    pid, workdir, url = prom.pid, prom.workdir, prom.url
    assert pid is not None
    assert httpx.get(f"{url}/-/ready").status_code == 200

    prom.stop()
    prom.stop()

    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not workdir.exists()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/-/ready")


def test_failed_start_reports_log_and_cleans_up(write_rules: WriteRules) -> None:
    broken = write_rules("broken.yml", {"record": "r", "expr": "sum("})
    prom = LocalPrometheus([broken])

    with pytest.raises(PrometheusUnavailable, match="parse error"):
        prom.start()

    assert prom.pid is None
    with pytest.raises(PrometheusError, match="not started"):
        _ = prom.workdir


def test_missing_binary_names_the_debian_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(MissingComponent, match=r"apt-get install -y prometheus"):
        find_binary("promtool")
    with pytest.raises(
        MissingComponent, match=r"'prometheus'.*apt-get install -y prometheus"
    ):
        LocalPrometheus().start()


async def test_backfilled_counter_gives_expected_increase(
    local_prometheus: StartPrometheus,
) -> None:
    end = history_end()
    start = end - 6 * HOUR
    odd = {"path": 'say "hi"\\now\nplease'}
    prom = local_prometheus()

    await backfill_openmetrics(
        prom,
        [
            requests(2.0, start, end, service="a"),
            requests(0.5, start, end, **odd),
            Series("queue_depth", {}, [(t, 7.0) for t in range(end, start - 1, -STEP)]),
        ],
    )

    async with PrometheusClient(prom.url) as client:
        increases = await client.query("increase(requests_total[1h])", at=end)
        depth = await client.query("queue_depth", at=end)
    by_labels = {tuple(sorted(s.labels.items())): s.value for s in increases}
    assert by_labels == {
        (("service", "a"),): pytest.approx(7200.0),
        (("path", odd["path"]),): pytest.approx(1800.0),
    }
    assert [(s.name, s.labels, s.value) for s in depth] == [("queue_depth", {}, 7.0)]


async def test_old_history_survives_newer_blocks(
    local_prometheus: StartPrometheus,
) -> None:
    """Time retention counts back from the newest block: 15d (the default) would drop this."""
    now = history_end()
    prom = local_prometheus()

    await backfill_openmetrics(prom, [Series("old", {}, [(now - 40 * 24 * HOUR, 1.0)])])
    await backfill_openmetrics(prom, [Series("recent", {}, [(now - HOUR, 2.0)])])

    async with PrometheusClient(prom.url) as client:
        old = await client.query("old", at=now - 40 * 24 * HOUR)
    assert [s.value for s in old] == [1.0]


async def test_two_level_rule_backfill(
    local_prometheus: StartPrometheus, write_rules: WriteRules
) -> None:
    end = history_end()
    start = end - 6 * HOUR
    level0 = write_rules(
        "level0.yml",
        {"record": "job:requests:rate5m", "expr": "sum(rate(requests_total[5m]))"},
    )
    level1 = write_rules(
        "level1.yml",
        {
            "record": "job:requests:rate5m_avg1h",
            "expr": "avg_over_time(job:requests:rate5m[1h])",
        },
    )
    prom = local_prometheus()
    history = [
        requests(1.0, start, end, instance="a"),
        requests(3.0, start, end, instance="b"),
    ]
    await backfill_openmetrics(prom, history)

    await backfill_rules(prom, [level0, level1], start, end)

    async with PrometheusClient(prom.url) as client:
        series = await client.query_range(
            "job:requests:rate5m_avg1h", start + 2 * HOUR, end, step=600
        )
    assert [(s.name, s.labels) for s in series] == [("job:requests:rate5m_avg1h", {})]
    assert [value for _, value in series[0].values] == pytest.approx([4.0] * 25)


async def test_scalars_parse_special_values(local_prometheus: StartPrometheus) -> None:
    """NaN (0/0: no traffic) decodes; an infinity, which no query of pledge's gives, is refused where it
    enters, naming the series (issue 31: nothing may be computed from it, nor written in JSON)."""
    async with PrometheusClient(local_prometheus().url) as client:
        assert math.isnan((await client.query("0/0"))[0].value)
        for expr, shown in (("1/0", "+inf"), ("-1/0", "-inf"), ('label_replace(vector(1/0), "sla", "x", "", "")', "+inf")):
            with pytest.raises(PrometheusBadValue, match="an infinity") as refused:
                await client.query(expr)
            assert refused.value.reason.startswith(shown)
        assert refused.value.series == '{sla="x"}'


async def test_range_queries_parse_special_values(local_prometheus: StartPrometheus) -> None:
    """Range answers decode as floats where the decoder can and as text where it cannot ("+Inf"); NaN
    points pass, an infinite point is refused with its series and moment."""
    async with PrometheusClient(local_prometheus().url) as client:
        found = [(await client.query_range(f"vector({expr})", 1_000_000, 1_000_120, 60))[0] for expr in ("0/0", "0.25")]
        assert [s.times.tolist() for s in found] == [[1_000_000, 1_000_060, 1_000_120]] * 2
        assert np.isnan(found[0].numbers).all() and found[1].values == [(1_000_000.0, 0.25), (1_000_060.0, 0.25), (1_000_120.0, 0.25)]
        for expr, shown in (("vector(1/0)", "+inf"), ("vector(-1/0)", "-inf"), ("vector(time() > bool 1000050) / 0", "+inf")):
            with pytest.raises(PrometheusBadValue, match="an infinity") as refused:
                await client.query_range(expr, 1_000_000, 1_000_120, 60)
            assert refused.value.reason.startswith(shown)
        assert " at 1970-01-12T13:47:40Z" in refused.value.reason  # the first infinite point, 1_000_060


async def test_reload_loads_rules_and_alerts_fire(
    local_prometheus: StartPrometheus, write_rules: WriteRules
) -> None:
    always = {
        "alert": "AlwaysFiring",
        "expr": "vector(1)",
        "labels": {"severity": "page"},
        "annotations": {"summary": "always"},
    }
    rules = write_rules("always.yml", always)
    prom = local_prometheus(evaluation_interval="1s")
    async with PrometheusClient(prom.url) as client:
        assert await client.rule_groups() == []

        prom.reload([rules])
        deadline = time.monotonic() + 10
        while not (alerts := await client.alerts()) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        groups = await client.rule_groups()

    assert [group["name"] for group in groups] == ["always"]
    assert len(alerts) == 1
    assert alerts[0].labels == {"alertname": "AlwaysFiring", "severity": "page"}
    assert alerts[0].annotations == {"summary": "always"}
    assert (alerts[0].state, alerts[0].value) == ("firing", 1.0)
    assert alerts[0].active_at is not None


async def test_query_syntax_error(local_prometheus: StartPrometheus) -> None:
    async with PrometheusClient(local_prometheus().url) as client:
        with pytest.raises(PrometheusQueryError) as caught:
            await client.query("sum(")
    assert caught.value.error_type == "bad_data"
    assert "parse error" in caught.value.error


async def test_stopped_server_is_unavailable(local_prometheus: StartPrometheus) -> None:
    prom = local_prometheus()
    url = prom.url
    prom.stop()

    async with PrometheusClient(url, retries=1) as client:
        assert not await client.ready()
        with pytest.raises(PrometheusUnavailable) as caught:
            await client.query("1")
    assert isinstance(caught.value.cause, httpx.ConnectError)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b"<html>not prometheus</html>"),
        (200, b'{"unexpected": "shape"}'),
        (200, b'{"status": "success", "data": {"resultType": "matrix", "result": []}}'),
        (
            200,
            b'{"status": "success", "data": {"resultType": "vector", "result": [{}]}}',
        ),
        (400, b"bad request"),
        (200, b'{"status": "success", "data": {"resultType": "vector", "result": [{"metric": {"a": "\xff"}}]}}'),
    ],
)
async def test_malformed_responses_are_bad_responses(status: int, body: bytes) -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(status, content=body)
    )
    async with PrometheusClient(
        "http://prometheus.invalid", transport=transport
    ) as client:
        with pytest.raises(PrometheusBadResponse):
            await client.query("up")


async def test_null_envelope_fields_are_read_as_absent() -> None:
    """A null ``warnings``, ``errorType`` or ``error`` is an answer, not a malformed one."""
    bodies = iter([b'{"status": "success", "warnings": null, "data": {"resultType": "vector", "result": []}}',
                   b'{"status": "error", "errorType": null, "error": "query timed out"}'])
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=next(bodies)))
    async with PrometheusClient("http://prometheus.invalid", transport=transport) as client:
        assert await client.query("up") == []
        with pytest.raises(PrometheusQueryError, match="query timed out"):
            await client.query("up")


def test_check_rules(write_rules: WriteRules) -> None:
    rule = {"record": "job:up:sum", "expr": "sum(up)"}
    assert check_rules(write_rules("ok.yml", rule)) == 1

    with pytest.raises(PromtoolError, match="parse error"):
        check_rules(write_rules("bad.yml", {**rule, "expr": "sum("}))
    with pytest.raises(PromtoolError, match="duplicate rule"):
        check_rules(write_rules("dup.yml", rule, rule))
