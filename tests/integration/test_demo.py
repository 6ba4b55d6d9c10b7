"""`pledge demo` end to end (a week of history to keep it quick): the story the README tells, the
at-risk list included, as of two fixed moments: mid-month, and the first hours of a Berlin month,
when the calendar SLA has five hours of data and the table must say so."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pledge.api.models import PredictionOut
from pledge.clock import parse_moment
from pledge.demo.run import Outcome, run
from pledge.status import Reading

pytestmark = pytest.mark.integration
MID_MONTH, MONTH_START = "2026-11-18T14:37:00Z", "2026-12-01T05:00:00+01:00"


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


@pytest.fixture(scope="module", params=[MID_MONTH, MONTH_START])
def outcome(request: pytest.FixtureRequest) -> Outcome:
    before = set(children_running_prometheus())  # other tests' servers may still be up
    found = run(days=7, at=parse_moment(request.param))
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


def test_tolerance_band_and_exclusions(readings: dict[tuple[str, str, str], Reading], outcome: Outcome) -> None:
    assert readings[("platform/api-availability", "availability", "")].compliance.state == "AtRisk"
    # the monthly SLA excludes acme's Sunday maintenance errors; the grouped SLA counts them
    monthly = readings[("shop/acme-checkout", "availability", "")].compliance.sli
    grouped = readings[("shop/checkout", "availability", "acme")].compliance.sli
    assert monthly is not None and grouped is not None
    if outcome.at == parse_moment(MID_MONTH):  # five hours into a month, acme's recent trend outweighs
        assert monthly > grouped               # the maintenance it is spared; a week in, it does not


def test_the_table_says_how_much_of_the_period_it_covers(outcome: Outcome) -> None:
    covered = {parse_moment(MID_MONTH): "2026-11: 18 d of 30 d",
               parse_moment(MONTH_START): "2026-12: 5 h of 31 d"}[outcome.at]
    monthly = next(line for line in outcome.text.splitlines() if "shop/acme-checkout" in line and "%" in line)
    assert covered in monthly
    assert "30d rolling" in next(line for line in outcome.text.splitlines() if "platform/api-availability" in line)


def test_no_prometheus_is_left_behind(readings: dict[tuple[str, str, str], Reading]) -> None:
    assert readings
    assert LEFT_BEHIND == [], "the demo left its Prometheus running"


def test_acme_tops_the_at_risk_list(outcome: Outcome) -> None:
    for p in outcome.at_risk:
        print(p.customer, p.objective, p.state, f"{p.probability:.2f}", p.message)
    top: PredictionOut = outcome.at_risk[0]
    assert top.customer == "acme" and top.state in ("Met", "AtRisk", "Behind")  # Behind: the month can still end above target
    # whole percents, but an open period's 0.999 reads "more than 99", never a rounded certainty
    chance = "more than 99" if 0.995 <= top.probability < 1 else f"{100 * top.probability:.0f}"
    about = "" if chance.startswith("more") else "about "
    if top.state == "Behind":  # below target so far: the words say what must be won back, then the chance
        assert top.message.startswith(f"acme's checkout {top.objective} is below 99.9 % so far; ")
        assert f"would have to be won back (the month can still end above target): {chance} % chance of ending below" \
            in top.message
    else:
        assert top.message.startswith(f"acme's checkout {top.objective}: {chance} % chance of falling below")
    assert top.message.endswith(f"(of 100 forecasts like this one, {about}{chance} end in a breach).")
    assert all(p.state != "Breached" for p in outcome.at_risk)
    probabilities = [p.probability for p in outcome.at_risk]
    assert probabilities == sorted(probabilities, reverse=True)
    assert "initech" in {p.customer for p in outcome.at_risk}  # unlikely breaches are listed too, last


def test_the_demo_shows_the_track_record_and_says_how_it_fills(outcome: Outcome) -> None:
    """A fresh demo has no recorded predictions of a closed month: it says so rather than a score."""
    line = next(line for line in outcome.text.splitlines() if line.startswith("Track record"))
    assert line.endswith("No closed period has a recorded prediction yet: no track record.")
    assert "pledge_breach_probability" in outcome.text


def test_the_demo_says_where_the_console_is_and_how_to_sign_in(outcome: Outcome) -> None:
    """The console's address (the API's root) and the token to sign in with: the token of the curl lines."""
    lines = outcome.text.splitlines()
    api = next(line for line in lines if line.startswith("API http://"))
    url = api.split()[1]
    token = next(line for line in lines if "Authorization: Bearer " in line).split("Bearer ", 1)[1].split("'")[0]
    console = next(line for line in lines if line.startswith("Console "))
    assert console == f"Console {url}/  (sign in with the token {token})"
