"""SLABreachPredicted measured with `promtool test rules` on generated rules.

One promtool run plays an hour of 30 s scrapes: every SLA has healthy traffic, and the API's gauge
``pledge_breach_probability`` is played per scenario (as the API exports it: sla, sla_namespace,
objective and grouping labels, plus the job and instance labels scraping adds). The ALERTS series are
read back, so the assertions are on when the alert fired, for whom, and that nothing else fired.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.promtool_unit import Sample, probe_scenarios
from tests.support.slas import document

pytestmark = pytest.mark.integration

STEP = 30
END = 3_600
NAMESPACE = "forecast"
START = 600  # the gauge appears 10 minutes in
FOR = 15 * 60  # the default `for`


def sla(name: str, enabled: bool = True, **spec: Any) -> dict[str, Any]:
    """A one-objective SLA of this test's namespace, its predicted-breach alert on or off."""
    return document(name, NAMESPACE, alerting={"breachPrediction": {"enabled": enabled}}, **spec)


def healthy(name: str, customers: tuple[str, ...] = ("",)) -> dict[str, str]:
    """10 requests/s without an error for the whole run, so no other alert has a reason to fire."""
    series = {}
    for customer in customers:
        labels = f'service="{name}"' + (f',customer="{customer}"' if customer else "")
        series[f'http_requests_total{{{labels},code="200"}}'] = f"0+{10 * STEP}x{END // STEP}"
        series[f'http_requests_total{{{labels},code="500"}}'] = f"0+0x{END // STEP}"
    return series


def gauge(name: str, values: str, namespace: str = NAMESPACE, instance: str = "api-0:8000", **groups: str) -> dict[str, str]:
    labels = {"sla": name, "sla_namespace": namespace, "objective": "availability", **groups,
              "job": "pledge-api", "instance": instance}
    return {"pledge_breach_probability{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}": values}


def played(value: float, seconds: int) -> str:
    """No gauge until START, then ``value`` for ``seconds``, then gone (the API stopped exporting it)."""
    before, during = START // STEP, seconds // STEP
    return f"_x{before} {value}x{during - 1} _x{END // STEP - before - during + 1}"


SCENARIOS: dict[str, tuple[dict[str, object], dict[str, str]]] = {
    # 0.85 for 20 minutes: pending at once, firing after `for`, gone a lookback after the gauge stops
    "likely": (sla("likely"), {**healthy("likely"), **gauge("likely", played(0.85, 20 * 60))}),
    # exactly at minProbability counts (>=)
    "boundary": (sla("boundary"), {**healthy("boundary"), **gauge("boundary", played(0.8, 20 * 60))}),
    # above the threshold, but for less than `for`
    "brief": (sla("brief"), {**healthy("brief"), **gauge("brief", played(0.95, 10 * 60))}),
    # below the threshold; a same-named SLA in another namespace is likely to breach, which is not ours
    "unlikely": (sla("unlikely"), {**healthy("unlikely"), **gauge("unlikely", played(0.5, 40 * 60)),
                                   **gauge("unlikely", played(0.99, 40 * 60), namespace="elsewhere")}),
    # the API exports nothing (not deployed, or no forecast yet)
    "unknown": (sla("unknown"), healthy("unknown")),
    # the option is off: a high gauge raises nothing
    "disabled": (sla("disabled", enabled=False), {**healthy("disabled"), **gauge("disabled", played(0.99, 40 * 60))}),
    # per customer, exported by two API replicas: one alert for acme, none for globex
    "grouped": (sla("grouped", grouping=["customer"]), {
        **healthy("grouped", ("acme", "globex")),
        **gauge("grouped", played(0.9, 40 * 60), customer="acme"),
        **gauge("grouped", played(0.88, 40 * 60), instance="api-1:8000", customer="acme"),
        **gauge("grouped", played(0.3, 40 * 60), customer="globex"),
    }),
}


def fired(which: str, matchers: str, minus: float = 0) -> str:
    """First (min) or last (max) time an alert matching ``matchers`` was firing, minus ``minus``."""
    return f'{which}_over_time(timestamp(ALERTS{{alertstate="firing",{matchers}}})[{END}s:{STEP}s]) - {minus}'


PREDICTED = 'alertname="SLABreachPredicted"'
PROBES = {
    **{f"first/{name}": (fired("min", f'sla="{name}",{PREDICTED}', START), END) for name in SCENARIOS},
    "last/likely": (fired("max", f'sla="likely",{PREDICTED}', START + 20 * 60 - STEP), END),  # from the last sample
    "pending/likely": (f'ALERTS{{alertstate="pending",sla="likely",{PREDICTED}}}', START + 5 * 60),
    "others": (fired("min", 'alertname!="SLABreachPredicted"'), END),
    "grouped/firing": ('ALERTS{alertstate="firing",sla="grouped"}', START + 30 * 60),
}


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Sample]]:
    found = probe_scenarios(tmp_path_factory.mktemp("rules"), SCENARIOS, list(PROBES.values()))
    return {name: found[(expr, float(at))] for name, (expr, at) in PROBES.items()}


def _value(samples: list[Sample]) -> float | None:
    assert len(samples) <= 1, samples
    return samples[0].value if samples else None


def test_likely_breach_fires_after_for(measured: dict[str, list[Sample]]) -> None:
    assert [s.labels["alertname"] for s in measured["pending/likely"]] == ["SLABreachPredicted"]
    after = _value(measured["first/likely"])
    assert after is not None, "a 0.85 probability held for 20 minutes never raised SLABreachPredicted"
    print(f"SLABreachPredicted fired {after:.0f} s after the gauge crossed the threshold (for: {FOR} s)")
    assert FOR <= after <= FOR + 2 * STEP


def test_the_alert_ends_when_the_gauge_is_gone(measured: dict[str, list[Sample]]) -> None:
    last = _value(measured["last/likely"])
    assert last is not None
    print(f"SLABreachPredicted last fired {last:.0f} s after the gauge's last sample")
    # firing while the gauge is high; a vanished series stays readable for Prometheus' 5 m lookback, then
    # the alert resolves
    assert 0 <= last <= 5 * 60 + STEP


def test_threshold_is_inclusive(measured: dict[str, list[Sample]]) -> None:
    assert _value(measured["first/boundary"]) is not None, "a probability equal to minProbability must fire"


@pytest.mark.parametrize("name", ["brief", "unlikely", "unknown", "disabled"])
def test_never_fires(measured: dict[str, list[Sample]], name: str) -> None:
    assert measured[f"first/{name}"] == [], f"{name}: SLABreachPredicted fired: {measured[f'first/{name}']}"


def test_one_alert_per_customer_whatever_the_replicas(measured: dict[str, list[Sample]]) -> None:
    alerts = measured["grouped/firing"]
    assert [(s.labels["alertname"], s.labels["customer"]) for s in alerts] == [("SLABreachPredicted", "acme")]
    labels = alerts[0].labels
    assert (labels["sla_namespace"], labels["severity"]) == (NAMESPACE, "ticket")
    assert "instance" not in labels and "job" not in labels


def test_no_other_alert_fires_with_or_without_the_gauge(measured: dict[str, list[Sample]]) -> None:
    """SLAMetricAbsent and the budget alerts ignore the gauge: its absence or its value changes nothing."""
    assert measured["others"] == [], [s.labels for s in measured["others"]]
