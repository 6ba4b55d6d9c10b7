"""The generated rules in vmalert: every example parses as MetricsQL, every rule of the API world
evaluates without error, and a burn-rate alert fires for an outage (and not for a healthy SLA)."""

from __future__ import annotations

import asyncio
import random
import subprocess
import time
from pathlib import Path

import pytest

import pledge
from pledge.prom import Alert, PrometheusClient
from pledge.rules import generate, rule_file, to_yaml
from pledge.spec import parse_yaml
from pledge.synthetic import HOUR, Metric, Timeline, http_counters, request_counts, split_errors, steady, window
from tests.api import world
from tests.api.conftest import World, alerts_evaluated
from tests.support.victoria import Victoria, binary, running_victoria

pytestmark = [pytest.mark.integration, pytest.mark.victoria]
EXAMPLES = sorted((Path(pledge.__file__).parent / "examples").glob("*.yaml"))


def dry_run(path: Path) -> subprocess.CompletedProcess[str]:
    """vmalert's own check: parse every file, validate expressions as MetricsQL and templates."""
    return subprocess.run([binary("vmalert"), "-dryRun", f"-rule={path}"], capture_output=True, text=True, check=False)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_rules_load_in_vmalert(path: Path, tmp_path: Path) -> None:
    for sla in parse_yaml(path.read_text(), str(path)):
        rules = tmp_path / f"{sla.metadata.name}.yaml"
        rules.write_text(to_yaml(rule_file(generate(sla))))
        result = dry_run(rules)
        assert result.returncode == 0, result.stdout + result.stderr


def test_vmalert_rejects_a_broken_rule(tmp_path: Path) -> None:
    """The check above can fail: a rule MetricsQL cannot parse is refused, named."""
    rules = tmp_path / "broken.yaml"
    rules.write_text("groups:\n- name: broken\n  rules:\n  - record: pledge:broken:rate5m\n    expr: sum(rate(x[5m]) by\n")
    result = dry_run(rules)
    assert result.returncode != 0 and "pledge:broken:rate5m" in result.stdout + result.stderr


async def test_every_world_rule_evaluates_without_error(loaded: World) -> None:
    async with PrometheusClient(loaded.prom.url) as client:  # VictoriaMetrics proxies /api/v1/rules
        groups = await client.rule_groups()
    expected = {g.name: len(g.rules) for sla in world.SLAS.values() for g in generate(sla)}
    assert {g["name"]: len(g["rules"]) for g in groups} == expected
    evaluated = [r for g in groups for r in g["rules"] if not str(r.get("lastEvaluation", "")).startswith("0001")]
    assert len(evaluated) >= sum(n for name, n in expected.items() if name.endswith("-alerts"))
    failed = {r["name"]: r["lastError"] for r in evaluated if r.get("health") != "ok" or r.get("lastError")}
    assert failed == {}


def outage_history() -> tuple[Timeline, list[Metric]]:
    """Two hours of traffic for two SLAs; "outage" fails every request in the last 15 minutes."""
    end = float(int(time.time()) // 60 * 60)
    timeline, rng = Timeline(end - 2 * HOUR, end, 60), random.Random(7)
    metrics: list[Metric] = []
    for name, errors in (("outage", window(end - 900, end + 1, 1.0)), ("healthy", steady(0.0))):
        requests = request_counts(timeline, 20.0, rng)
        metrics += http_counters({"service": name}, requests, split_errors(requests, timeline, errors, rng))
    return timeline, metrics


def test_burn_rate_alert_fires_in_vmalert_for_an_outage(tmp_path: Path) -> None:
    slas = [world.sla(name, {"rolling": "30d"}) for name in ("outage", "healthy")]
    groups = [g for sla in slas for g in generate(sla)]
    rules = tmp_path / "rules.yaml"
    rules.write_text(to_yaml(rule_file(groups)))
    timeline, metrics = outage_history()
    with running_victoria() as victoria:
        victoria.load_history(timeline, metrics, groups)
        started = time.time()
        victoria.start_vmalert([rules])
        asyncio.run(alerts_evaluated(victoria.url, started))
        alerts, recorded = asyncio.run(read_alerts(victoria))
    burning = {(a.labels["sla"], a.labels.get("burn_tier"), a.state) for a in alerts
               if a.labels.get("alertname") == "SLAErrorBudgetBurn"}
    assert ("outage", "page-fast", "firing") in burning, burning
    assert not [a.labels for a in alerts if a.labels.get("sla") == "healthy"]
    assert ("outage", "page-fast") in recorded  # vmalert also writes the ALERTS series back


async def read_alerts(victoria: Victoria, timeout: float = 30.0) -> tuple[list[Alert], set[tuple[str, str]]]:
    """Active alerts from vmalert (through VictoriaMetrics' proxy), and the firing burn alerts in
    the ALERTS series once vmalert's remote write (every 5 s) has delivered them."""
    query = 'ALERTS{alertname="SLAErrorBudgetBurn",alertstate="firing"}'
    async with PrometheusClient(victoria.url) as client:
        alerts = await client.alerts()
        deadline = time.monotonic() + timeout
        while not (found := await client.query(query)) and time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            await asyncio.to_thread(victoria.flush)
    return alerts, {(s.labels["sla"], s.labels["burn_tier"]) for s in found}
