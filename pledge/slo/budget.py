"""Budget math shared by the API, reports, demo and forecaster (DESIGN: computation semantics)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from pledge.sla.model import CreditTier, Objective
from pledge.sla.model import State as State  # declared with the CRD status (pledge.sla is the bottom layer)
from pledge.sla.percent import budget_ratio

# Most urgent first. NoData ranks above Met: an objective nobody can measure must not hide behind a
# healthy one (missing metrics are not good news). It ranks below AtRisk and Breached: those are
# known problems with budget at stake, while NoData may be a quiet service or a broken exporter.
SEVERITY: Final[tuple[State, ...]] = ("Breached", "AtRisk", "NoData", "Met")
# A state as a number, where only numbers fit (Grafana value mappings over PromQL): worse is higher.
# NoData has none: no sample.
STATE_CODE: Final[dict[State, int]] = {"Met": 0, "AtRisk": 1, "Breached": 2}


@dataclass(frozen=True)
class Compliance:
    """One objective (or one group value of it) over one period."""

    sli: float | None
    budget_remaining: float | None
    state: State


def as_percent(ratio: float) -> Decimal:
    """0.999 -> Decimal("99.9") exactly, so a SLI equal to its target is not a breach by rounding."""
    return Decimal(repr(ratio)) * 100


def error_ratio(errors: float, requests: float) -> float | None:
    """Bad / valid events; None (not NaN) without valid events: no traffic spends no budget."""
    return errors / requests if requests > 0 else None


def burn_rate(ratio: float, objective: Objective) -> float:
    """How many times faster than sustainable the budget is being spent."""
    return ratio / float(budget_ratio(objective.target))


def budget_remaining(ratio: float, objective: Objective) -> float:
    """1 - consumed / budget: 1 untouched, 0 spent, negative when overspent."""
    return 1.0 - burn_rate(ratio, objective)


def state(sli: float | None, objective: Objective) -> State:
    """Met at or above warning, AtRisk between target and warning, Breached below target."""
    if sli is None:
        return "NoData"
    percent = as_percent(sli)
    if percent < objective.target:
        return "Breached"
    if objective.warning is not None and percent < objective.warning:
        return "AtRisk"
    return "Met"


def worst_state(states: Iterable[State]) -> State:
    """The most urgent of ``states`` (an SLA is as bad as its worst objective); NoData for none.

    The one ranking: the API's SLA list and the operator's status both call it, so they agree.
    """
    return min(states, key=SEVERITY.index, default="NoData")


@dataclass(frozen=True)
class Allowance:
    """An error budget in some unit (events, minutes): the whole of it and what is spent so far."""

    total: float
    consumed: float

    @property
    def remaining(self) -> float:
        """Negative when overspent."""
        return self.total - self.consumed


def event_budget(bad: float, valid: float, objective: Objective) -> Allowance:
    """Bad events the period may hold so far (the budget share of its valid events), and the bad ones."""
    return Allowance(total=float(budget_ratio(objective.target)) * valid, consumed=bad)


def minute_budget(ratio: float, objective: Objective, measured_period: float, measured_so_far: float) -> Allowance:
    """Time-equivalent budget: the minutes of total outage the whole period may hold, and the
    minutes the error ratio has cost so far. Measured seconds leave maintenance out (it counts
    neither as good nor as bad), so maintenance neither grows nor spends the budget."""
    total = float(budget_ratio(objective.target)) * measured_period / 60
    return Allowance(total=total, consumed=ratio * measured_so_far / 60)


def compliance(ratio: float | None, objective: Objective) -> Compliance:
    if ratio is None:
        return Compliance(None, None, "NoData")
    sli = 1.0 - ratio
    return Compliance(sli, budget_remaining(ratio, objective), state(sli, objective))


def credit_percent(sli: float, objective: Objective, credits: list[CreditTier], cap: Decimal | None = None) -> Decimal:
    """Service credit owed: the highest tier whose ``below`` the SLI is under, capped by ``cap``.

    A tier only applies to objectives whose target is at or above its ``below``: nobody owes a
    credit for an objective that meets its own target.
    """
    percent = as_percent(sli)
    owed = max((c.percent for c in credits if percent < c.below <= objective.target), default=Decimal(0))
    return min(owed, cap) if cap is not None else owed
