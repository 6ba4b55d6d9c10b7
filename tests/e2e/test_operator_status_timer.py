"""The status timer: SLI, budget remaining, state and breach predictions from a real Prometheus into
each SLA's status."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pledge.clock import fixed, parse_moment
from pledge.forecasting.analogs import calibration
from pledge.operator import OperatorConfig
from pledge.testing import LocalPrometheus, Series, backfill_openmetrics
from pledge.rules import names
from pledge.sla.units import DAY
from tests.support.cluster import SLAS, Cluster, eventually, example, running

pytestmark = pytest.mark.integration
NOW = parse_moment("2026-11-18T14:37:00Z")  # the operator's clock: status and predictions as of this moment


def recorded(sla: str, objective: str, ratio: float, **group: str) -> Series:
    """The period error ratio as the generated rules record it, for the last ten minutes."""
    now = NOW
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
        async with running(OperatorConfig(prometheus_url=prometheus.url, status_interval=1, clock=fixed(NOW))):
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
    assert [c["type"] for c in breached["conditions"]] == ["Ready", "Valid", "RulesApplied", "RevisionRecorded"]  # untouched by the timer


def rates(sla: str, objective: str, error_ratio: float, **group: str) -> list[Series]:
    """Two days of recorded 5-minute tiles (10 requests per second), what the forecast reads."""
    now = NOW
    labels = {"sla": sla, "sla_namespace": {"api-availability": "platform"}.get(sla, "shop"),
              "objective": objective, **group}
    stamps = [now - 2 * DAY + names.TILE * i for i in range(2 * DAY // names.TILE)]
    per_tile = 10.0 * names.TILE
    return [Series(names.ERRORS_TILE, labels, [(t, per_tile * error_ratio) for t in stamps]),
            Series(names.REQUESTS_TILE, labels, [(t, per_tile) for t in stamps])]


@pytest.fixture(scope="module")
def trained() -> None:
    """The shipped calibration is read once per process, before the timers run."""
    calibration()


async def test_timer_writes_breach_predictions(cluster: Cluster, trained: None) -> None:
    with LocalPrometheus() as prometheus:
        await backfill_openmetrics(prometheus, [
            recorded("api-availability", "availability", 0.0),
            recorded("checkout", "availability", 0.0005, customer="acme"),
            *rates("api-availability", "availability", 0.0),
            *rates("checkout", "availability", 0.006, customer="acme"),  # six times the budget rate
        ])
        config = OperatorConfig(prometheus_url=prometheus.url, status_interval=1, prediction_interval=3600,
                                clock=fixed(NOW))
        async with running(config):
            await cluster.create_sla(example("api-availability.yaml"))
            await cluster.create_sla(example("checkout-grouped.yaml"))

            def predicted(namespace: str, name: str) -> bool:
                return any("breachProbability" in o for o in status_of(cluster, namespace, name).get("objectives", []))

            await eventually(lambda: predicted("platform", "api-availability") and predicted("shop", "checkout"),
                             timeout=60, what="predictions in the status")

    [quiet] = status_of(cluster, "platform", "api-availability")["objectives"]
    assert float(quiet["breachProbability"]) < 0.5 and "predictedBreachAt" not in quiet
    burning, latency = status_of(cluster, "shop", "checkout")["objectives"]
    assert burning["name"] == "availability (customer=acme)" and burning["state"] == "Met"
    assert float(burning["breachProbability"]) > 0.5
    breach = dt.datetime.fromisoformat(burning["predictedBreachAt"]).timestamp()
    assert NOW < breach < NOW + 7 * DAY  # within the 7-day horizon of a rolling window
    assert latency == {"name": "latency", "state": "NoData"}  # no history: no prediction
