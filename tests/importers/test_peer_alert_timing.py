"""The peers' own rules and pledge's rules for the imported SLO, on the same series in one promtool run.

Sloth's generated rules for its getting-started SLO (examples/_gen/getting-started.yml) and Pyrra's
expected rules for objectiveHTTPRatio (slo/rules_test.go) run beside pledge's rules for the SLAs
`pledge import` makes of the same SLOs. A 30-minute full outage at 6h: each burn alert's first and
last firing moment is compared between the peer and pledge. Alerts reading a window of 1h or less
match within one evaluation interval; the others within the 5m the report names (pledge sums its
recorded 5m rates for longer windows). Pyrra: pledge also fires earlier by exactly the `for` the
report names.
"""

from __future__ import annotations

import pytest
import yaml

from pledge.importers.pyrra import PyrraWindow, windows
from pledge.rules import generate, rule_file, to_yaml
from pledge.sla import format_duration, parse_sla
from tests.support.peers import PEERS, imported
from tests.support.promtool_unit import counter_values, probe

pytestmark = pytest.mark.integration

STEP, RATE, HOUR = 30, 10.0, 3600
TILE = 300  # pledge's base window: windows longer than 1h are sums of it
END = 14 * HOUR
OUTAGE = (6 * HOUR, 6 * HOUR + 30 * 60)
SLOTH = ('alertname="MyServiceHighErrorRate"', "sloth_severity", 'alertname="SLAErrorBudgetBurn",sla="myservice-requests-availability"')
PYRRA = 'alertname="ErrorBudgetBurn",slo="monitoring-http-errors"'
PLEDGE_PYRRA = 'alertname="SLAErrorBudgetBurn",sla="monitoring-http-errors"'


def outage(metric: str) -> dict[str, str]:
    """RATE requests/s, all failing (code 500) during OUTAGE."""
    steps = [STEP * (i + 1) for i in range(END // STEP)]
    bad = [RATE * STEP if OUTAGE[0] < t <= OUTAGE[1] else 0.0 for t in steps]
    return {f'{metric},code="200"}}': counter_values([RATE * STEP - b for b in bad]),
            f'{metric},code="500"}}': counter_values(bad)}


def moment(which: str, matchers: str) -> str:
    """First (min) or last (max) moment any alert matching ``matchers`` was firing."""
    return f'{which}({which}_over_time(timestamp(ALERTS{{alertstate="firing",{matchers}}})[{END}s:{STEP}s]))'


def gap(which: str, pledge: str, peer: str) -> str:
    """pledge's moment minus the peer's, in seconds (small numbers: promtool prints 3 digits)."""
    return f"{moment(which, pledge)} - {moment(which, peer)}"


PROBES = {
    **{f"sloth/{s}/{w}": gap(w, f'{SLOTH[2]},severity="{s}"', f'{SLOTH[0]},{SLOTH[1]}="{s}"')
       for s in ("page", "ticket") for w in ("min", "max")},
    **{f"pyrra/{format_duration(t.long)}/{w}": gap(w, f'{PLEDGE_PYRRA},long_window="{format_duration(t.long)}"',
                                                  f'{PYRRA},long="{format_duration(t.long)}"')
       for t in windows(28 * 24 * HOUR) for w in ("min", "max")},
}


@pytest.fixture(scope="module")
def gaps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[float]]:
    folder = tmp_path_factory.mktemp("peers")
    mappings = imported("sloth/k8s-getting-started.yml", "pyrra/http-ratio.yaml")
    groups = [g for m in mappings if m.document is not None for g in generate(parse_sla(m.document))]
    (folder / "pledge.yaml").write_text(to_yaml(rule_file(groups)))
    series = {**outage('http_request_duration_seconds_count{job="myservice"'),
              **outage('http_requests_total{job="thanos-receive-default"')}
    files = [folder / "pledge.yaml", PEERS / "sloth/_gen/getting-started.yml", PEERS / "pyrra/_rules/http-ratio.yml"]
    found = probe(files, series, [(expr, END) for expr in PROBES.values()])
    return {name: [s.value for s in found[(expr, END)]] for name, expr in PROBES.items()}


@pytest.mark.parametrize("severity", ["page", "ticket"])
@pytest.mark.parametrize("which", ["min", "max"])
def test_sloth_alerts_fire_and_clear_with_sloths(gaps: dict[str, list[float]], severity: str, which: str) -> None:
    [difference] = gaps[f"sloth/{severity}/{which}"]  # empty if either side never fired
    # page: first firing on the 1h/5m pair, last on the 30m short window, both read from raw counters
    assert abs(difference) <= (STEP if severity == "page" else TILE)


@pytest.mark.parametrize("tier", windows(28 * 24 * HOUR), ids=lambda t: format_duration(t.long))
def test_pyrra_alerts_fire_earlier_by_for_and_clear_with_pyrras(gaps: dict[str, list[float]], tier: PyrraWindow) -> None:
    long = format_duration(tier.long)
    [first], [last] = gaps[f"pyrra/{long}/min"], gaps[f"pyrra/{long}/max"]
    bound = STEP if tier.long <= HOUR else TILE
    assert abs(first + tier.hold) <= bound, f"pledge should fire {tier.hold}s before Pyrra"
    assert abs(last) <= (STEP if tier.short <= HOUR else TILE)


def test_the_report_names_the_difference_the_timing_shows() -> None:
    [sloth, pyrra] = imported("sloth/k8s-getting-started.yml", "pyrra/http-ratio.yaml")
    fidelities = {n.field: n.fidelity for n in sloth.notes}
    assert (fidelities["period"], fidelities["windows"]) == ("exact", "approximated")
    held = {n.field: n.how for n in pyrra.notes if n.field.endswith(".for")}
    assert held == {f"alerting.{t.severity}({format_duration(t.long)}/{format_duration(t.short)}).for":
                    f"pledge's burn alerts have no `for`: this one fires {format_duration(t.hold)} earlier than "
                    "Pyrra's and clears at the same moment" for t in windows(28 * 24 * HOUR)}
    assert yaml.safe_load((PEERS / "pyrra/_rules/http-ratio.yml").read_text())["groups"][0]["rules"][-1]["for"] == "3h"
