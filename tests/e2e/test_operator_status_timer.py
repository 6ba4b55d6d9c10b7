"""The status timer: SLI, budget remaining and state from a real Prometheus into each SLA's status."""

from __future__ import annotations

import time
from typing import Any

import pytest

from pledge.operator import OperatorConfig
from pledge.prom import LocalPrometheus, Series, backfill_openmetrics
from pledge.rules import names
from tests.e2e.conftest import SLAS, Cluster, eventually, running
from tests.e2e.test_operator_e2e import example

pytestmark = pytest.mark.integration


def recorded(sla: str, objective: str, ratio: float, **group: str) -> Series:
    """The period error ratio as the generated rules record it, for the last ten minutes."""
    now = time.time()
    labels = {"sla": sla, "sla_namespace": {"api-availability": "platform"}.get(sla, "shop"),
              "objective": objective, **group}
    return Series(names.ERROR_RATIO_PERIOD, labels, [(now - 600 + 30 * i, ratio) for i in range(20)])


def status_of(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    status: dict[str, Any] = cluster.get(SLAS, namespace, name).get("status", {})
    return status


async def test_timer_writes_objective_readings(cluster: Cluster) -> None:
    with LocalPrometheus() as prometheus:
        await backfill_openmetrics(prometheus, [
            recorded("api-availability", "availability", 0.0004),
            recorded("checkout", "availability", 0.002, customer="acme"),
        ])
        async with running(OperatorConfig(prometheus_url=prometheus.url, status_interval=1)):
            await cluster.create_sla(example("api-availability.yaml"))
            await cluster.create_sla(example("checkout-grouped.yaml"))
            await eventually(lambda: "objectives" in status_of(cluster, "platform", "api-availability")
                             and "objectives" in status_of(cluster, "shop", "checkout"), timeout=20, what="readings")

    met = status_of(cluster, "platform", "api-availability")
    assert met["objectives"] == [{"name": "availability", "sli": "99.960", "budgetRemaining": "0.600", "state": "Met"}]
    assert (met["state"], met["budgetRemaining"]) == ("Met", "0.600")
    breached = status_of(cluster, "shop", "checkout")
    assert breached["objectives"] == [
        {"name": "availability (customer=acme)", "sli": "99.800", "budgetRemaining": "-1.000", "state": "Breached"},
        {"name": "latency", "state": "NoData"},
    ]
    assert (breached["state"], breached["budgetRemaining"]) == ("Breached", "-1.000")
    assert [c["type"] for c in breached["conditions"]] == ["Ready", "Valid", "RulesApplied"]  # untouched by the timer
