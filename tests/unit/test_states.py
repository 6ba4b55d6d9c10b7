"""One ranking of SLA states: pledge.slo.budget.worst_state, which the API list and the operator status share."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import get_args

import pytest

from pledge.api.listing import summary
from pledge.operator.status import objectives
from pledge.slo.budget import Compliance, State, worst_state
from pledge.sla import parse_yaml
from pledge.status import Reading

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "api-availability.yaml"
STATES: tuple[State, ...] = get_args(State)


def test_the_ranking_is_breached_atrisk_nodata_met() -> None:
    assert worst_state(["Met", "NoData"]) == "NoData"  # unmeasured is never reported as fine
    assert worst_state(["NoData", "AtRisk"]) == "AtRisk"
    assert worst_state(["AtRisk", "Breached", "NoData", "Met"]) == "Breached"
    assert worst_state(["Met", "Met"]) == "Met"
    assert worst_state([]) == "NoData"


def _readings(states: tuple[State, ...]) -> list[Reading]:
    sla = parse_yaml(EXAMPLE.read_text())[0]
    objective = sla.spec.objectives[0].name
    return [Reading(sla, objective, {"customer": f"c{n}"}, Compliance(None if s == "NoData" else 0.99, 0.5, s), None, ())
            for n, s in enumerate(states)]


@pytest.mark.parametrize("states", [c for n in (1, 2, 3) for c in itertools.product(STATES, repeat=n)])
def test_the_api_list_and_the_operator_status_agree(states: tuple[State, ...]) -> None:
    readings = _readings(states)
    assert summary(readings[0].sla, readings).state == objectives(readings)["state"] == worst_state(states)
