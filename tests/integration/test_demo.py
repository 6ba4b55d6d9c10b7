"""`pledge demo` end to end (a week of history to keep it quick): the story the README tells, the
at-risk list included."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pledge.api.models import PredictionOut
from pledge.demo.run import Outcome, run
from pledge.status import Reading

pytestmark = pytest.mark.integration


def children_running_prometheus() -> list[int]:
    """Prometheus processes this test process started and did not stop."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and b"prometheus" in command:
            found.append(int(entry.name))
    return found


LEFT_BEHIND: list[int] = []


@pytest.fixture(scope="module")
def outcome() -> Outcome:
    before = set(children_running_prometheus())  # other tests' servers may still be up
    found = run(days=7)
    LEFT_BEHIND.extend(sorted(set(children_running_prometheus()) - before))
    return found


@pytest.fixture(scope="module")
def readings(outcome: Outcome) -> dict[tuple[str, str, str], Reading]:
    return {(r.sla.key, r.objective, ",".join(r.group.values())): r for r in outcome.readings}


def test_every_example_objective_is_reported(readings: dict[tuple[str, str, str], Reading]) -> None:
    assert len(readings) == 11
    assert all(r.compliance.state != "NoData" for r in readings.values())


def test_the_incident_breaches_globex_only(readings: dict[tuple[str, str, str], Reading]) -> None:
    globex = readings[("shop/checkout", "availability", "globex")]
    assert globex.compliance.state == "Breached"
    assert "SLABudgetExhausted" in {a.labels["alertname"] for a in globex.alerts}
    assert globex.credit is not None and globex.credit > 0
    assert readings[("shop/checkout", "availability", "initech")].compliance.state == "Met"


def test_tolerance_band_and_exclusions(readings: dict[tuple[str, str, str], Reading]) -> None:
    assert readings[("platform/api-availability", "availability", "")].compliance.state == "AtRisk"
    # the monthly SLA excludes acme's Sunday maintenance errors; the grouped SLA counts them
    monthly = readings[("shop/acme-checkout", "availability", "")].compliance.sli
    grouped = readings[("shop/checkout", "availability", "acme")].compliance.sli
    assert monthly is not None and grouped is not None and monthly > grouped


def test_no_prometheus_is_left_behind(readings: dict[tuple[str, str, str], Reading]) -> None:
    assert readings
    assert LEFT_BEHIND == [], "the demo left its Prometheus running"


def test_acme_tops_the_at_risk_list(outcome: Outcome) -> None:
    top: PredictionOut = outcome.at_risk[0]
    assert top.customer == "acme" and top.state in ("Met", "AtRisk")
    assert top.probability > 0.5 and top.breach_at is not None
    assert top.message.startswith("At the current error rate, acme's") and top.message.endswith(f"(p={top.probability:.2f}).")
    assert all(p.state != "Breached" for p in outcome.at_risk)
    probabilities = [p.probability for p in outcome.at_risk]
    assert probabilities == sorted(probabilities, reverse=True)
    assert "initech" in {p.customer for p in outcome.at_risk}  # unlikely breaches are listed too, last
