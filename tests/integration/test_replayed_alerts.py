"""The alerts a backfilled world replays (pledge.tsdb.passes.replayed_alerts) are the alerts
Prometheus' own rule engine fires: both run in one `promtool test rules`, over the alert-timing
scenarios (outage, slow burns, maintenance, vanished metrics with a ``for``, a grouped SLA).

A world built as of a past moment reads its firing alerts from these replayed ``ALERTS`` series, so
the API's alerts at ``at=`` are only as right as this equivalence.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from pledge.rules import generate, rule_file, to_yaml
from pledge.sla import parse_sla
from pledge.tsdb.passes import replayed_alerts
from tests.support.alert_scenarios import END, SCENARIOS, STEP
from tests.support.promtool_unit import Sample, probe

pytestmark = pytest.mark.integration
REPLAYED = "REPLAYED_ALERTS"  # the replay's ALERTS, renamed so both live in one promtool run
Identity = frozenset[tuple[str, str]]
SPAN = 2 * 3_600  # promtool refuses queries loading over 10,000 samples: the timeline is read in spans
SPANS = range(SPAN, END + 1, SPAN)


def over_time(function: str, series: str) -> str:
    """Over one span ending at the evaluation time (its first step belongs to the span before)."""
    inner = f'{series}{{alertstate="firing"}}' if function == "count" else f'timestamp({series}{{alertstate="firing"}})'
    return f"{function}_over_time({inner}[{SPAN - 1}s:{STEP}s])"


def by_identity(samples: list[Sample]) -> dict[Identity, float]:
    return {frozenset((k, v) for k, v in s.labels.items() if k not in ("alertstate", "__name__")): s.value
            for s in samples}


@pytest.fixture(scope="module")
def episodes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[Identity, float]]:
    """First and last firing moment, and firing evaluations, per alert: Prometheus' and the replay's."""
    directory = tmp_path_factory.mktemp("replay")
    groups = [g for document, _ in SCENARIOS.values() for g in generate(parse_sla(document))]
    replay = [dataclasses.replace(g, name=f"{g.name}-replayed",
                                  rules=tuple(dataclasses.replace(r, record=REPLAYED) for r in g.rules))
              for g in replayed_alerts(groups)]
    path = directory / "rules.yaml"
    path.write_text(to_yaml(rule_file(groups + replay)))
    series = {name: values for _, s in SCENARIOS.values() for name, values in s.items()}
    probes = {f"{what}/{source}": over_time(what, name)
              for what in ("min", "max", "count") for source, name in (("prometheus", "ALERTS"), ("replay", REPLAYED))}
    found = probe([path], series, [(expr, t) for expr in probes.values() for t in SPANS])
    combine: dict[str, Callable[[list[float]], float]] = {"min": min, "max": max, "count": sum}
    return {name: _combined([by_identity(found[(expr, t)]) for t in SPANS], combine[name.split("/")[0]])
            for name, expr in probes.items()}


def _combined(spans: list[dict[Identity, float]], how: Callable[[list[float]], float]) -> dict[Identity, float]:
    alerts = {alert for span in spans for alert in span}
    return {alert: how([span[alert] for span in spans if alert in span]) for alert in alerts}


def test_the_same_alerts_fire(episodes: dict[str, dict[Identity, float]]) -> None:
    fired = set(episodes["min/prometheus"])
    assert len(fired) >= 8, "the scenarios should fire burn, exhausted and absent alerts"
    assert set(episodes["min/replay"]) == fired


def test_each_starts_and_ends_within_an_evaluation(episodes: dict[str, dict[Identity, float]]) -> None:
    """Within one evaluation of Prometheus' own alerts at each start and end: rule groups have no
    order (promtool picks one, a live server runs them apart), so an alert may read a recorded
    series one evaluation before or after it is written. An alert with a ``for`` may also start one
    evaluation early (measured: 60 s for the vanished-metrics alert): the replay counts the
    evaluations inside [t - for, t], where Prometheus waits for the whole ``for`` after the first."""
    assert episodes["min/prometheus"], "nothing fired: the comparison below would prove nothing"
    for alert, first in episodes["min/prometheus"].items():
        early = 2 * STEP if dict(alert)["alertname"] == "SLAMetricAbsent" else STEP
        assert -STEP <= first - episodes["min/replay"][alert] <= early, dict(alert)
        assert abs(episodes["max/replay"][alert] - episodes["max/prometheus"][alert]) <= STEP, dict(alert)
        assert abs(episodes["count/replay"][alert] - episodes["count/prometheus"][alert]) <= early / STEP + 1, dict(alert)
