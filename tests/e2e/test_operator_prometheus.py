"""Closing the loop: the PrometheusRule the operator wrote passes promtool and runs in a real Prometheus."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from pledge.operator import OperatorConfig
from pledge.prom import PrometheusClient
from pledge.testing import LocalPrometheus, check_rules
from pledge.rules import names
from tests.support.cluster import RULES, SLAS, Cluster, eventually, example, ready, running

pytestmark = pytest.mark.integration


async def test_operator_rules_pass_promtool_and_evaluate_in_prometheus(cluster: Cluster, tmp_path: Path) -> None:
    async with running(OperatorConfig(labels={"release": "kps"})):
        await cluster.create_sla(example("checkout-grouped.yaml"))
        await eventually(lambda: ready(cluster, "shop", "checkout"), what="Ready")

    rule = cluster.get(RULES, "shop", "pledge-checkout")
    counts = cluster.get(SLAS, "shop", "checkout")["status"]["rules"]
    path = tmp_path / "pledge-checkout.yaml"
    path.write_text(yaml.safe_dump(rule["spec"], sort_keys=False))
    assert check_rules(path) == counts["rules"]

    # Same rules, evaluated every second instead of every 30 s / 5 m, so the test needs no wait.
    fast = tmp_path / "fast.yaml"
    fast.write_text(yaml.safe_dump({"groups": [{**g, "interval": "1s"} for g in rule["spec"]["groups"]]}))
    with LocalPrometheus([fast], evaluation_interval="1s") as prometheus:
        async with PrometheusClient(prometheus.url) as client:
            for _ in range(100):
                groups = await client.rule_groups()
                evaluated = [r for g in groups for r in g["rules"] if r.get("lastEvaluation", "").startswith("20")]
                if len(evaluated) == counts["rules"]:
                    break
                await asyncio.sleep(0.2)
            targets = await client.query(f'{names.TARGET}{{sla="checkout",sla_namespace="shop"}}')

    assert sorted(g["name"] for g in groups) == sorted(g["name"] for g in rule["spec"]["groups"])
    assert len(evaluated) == counts["rules"]
    assert all(r["health"] == "ok" for g in groups for r in g["rules"]), [
        (r["name"], r.get("lastError")) for g in groups for r in g["rules"] if r["health"] != "ok"]
    assert sorted((s.labels["objective"], s.value) for s in targets) == [("availability", 0.999), ("latency", 0.99)]
