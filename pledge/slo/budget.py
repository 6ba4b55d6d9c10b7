"""Budget math shared by the API, reports, demo and forecaster (DESIGN: computation semantics)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from pledge.sla.model import CreditTier, Fee, Objective
from pledge.sla.model import State as State  # declared with the CRD status (pledge.sla is the bottom layer)
from pledge.sla.percent import budget_ratio, format_percent

# Most urgent first. Behind (a calendar period below target so far, still able to end above it) ranks
# below Breached and above AtRisk. NoData ranks above Met: an objective nobody can measure must not
# hide behind a healthy one (missing metrics are not good news). It ranks below AtRisk, Behind and
# Breached: those are known problems with budget at stake, while NoData may be a quiet service or a
# broken exporter.
SEVERITY: Final[tuple[State, ...]] = ("Breached", "Behind", "AtRisk", "NoData", "Met")
# A state as a number, where only numbers fit (Grafana value mappings over PromQL): worse is higher.
# NoData has none: no sample. Behind has none either: the dashboards' PromQL state knows no elapsed
# share of the period, so it stays the rolling rule (below target = Breached).
STATE_CODE: Final[dict[State, int]] = {"Met": 0, "AtRisk": 1, "Breached": 2}


@dataclass(frozen=True)
class Compliance:
    """One objective (or one group value of it) over one period."""

    sli: float | None
    budget_remaining: float | None
    state: State
    # Behind only: the share of the whole period's error budget the rest of the period would have to
    # win back to end at target (pledge.slo.budget.won_back); None in every other state.
    won_back: float | None = None


def as_percent(ratio: float) -> Decimal:
    """0.999 -> Decimal("99.9") exactly, so a SLI equal to its target is not a breach by rounding."""
    return Decimal(repr(ratio)) * 100


# --- figures as read from a store, checked where they enter (pledge.status.figure_value) ----------------

SLACK: Final = 0.01
"""How far bad events may exceed valid ones (this share, plus one event) before they cannot be:
increase() extrapolates each counter on its own, so a window's errors can come out a hair above its
requests. Past it, the series are of the wrong shape (a relabelling that swapped them, a counter of
something else) and no SLI, budget or credit may be computed from them."""


class ImpossibleFigure(ValueError):
    """A figure read from the store that cannot be (a negative count, an error ratio above 1, more bad
    events than events): the message says what it is and why it cannot be."""


def ratio_read(value: float) -> float | None:
    """An error ratio as read: None for NaN (0/0, a window without traffic: no data, not an error);
    ImpossibleFigure outside 0..1 (with SLACK) or infinite."""
    if math.isnan(value):
        return None
    if value < 0:
        raise ImpossibleFigure(f"an error ratio of {value:g}: an error ratio is between 0 and 1 (a share of the events)")
    if value > 1 + SLACK:
        raise ImpossibleFigure(f"an error ratio of {value:g}: more bad events than events cannot be "
                               "(an error ratio is between 0 and 1)")
    return value


def count_read(value: float) -> float:
    """A count of events as read: ImpossibleFigure unless a finite number of 0 or more (a count is never
    0/0: no events is 0, no series is no sample)."""
    if not math.isfinite(value) or value < 0:
        raise ImpossibleFigure(f"{value:g} events: a count of events is a finite number of 0 or more")
    return value


def events_read(bad: float, valid: float) -> None:
    """ImpossibleFigure for more bad events than events (past SLACK)."""
    if bad > valid * (1 + SLACK) + 1:
        raise ImpossibleFigure(f"{bad:g} bad events out of {valid:g} events: more bad events than events cannot be")


def moment_read(value: float) -> float:
    """A moment (unix seconds, such as an alert's activeAt) as read: ImpossibleFigure unless finite, after
    1970 and before the year 10000 (what a datetime holds)."""
    if not math.isfinite(value) or not 0 <= value < 253_402_300_800:
        raise ImpossibleFigure(f"{value:g}: not a moment (unix seconds from 1970 to the year 9999)")
    return value


def error_ratio(errors: float, requests: float) -> float | None:
    """Bad / valid events; None (not NaN) without valid events: no traffic spends no budget."""
    return errors / requests if requests > 0 else None


def burn_rate(ratio: float, objective: Objective) -> float:
    """How many times faster than sustainable the budget is being spent."""
    return ratio / float(budget_ratio(objective.target))


def budget_remaining(ratio: float, objective: Objective) -> float:
    """1 - consumed / budget: 1 untouched, 0 spent, negative when overspent."""
    return 1.0 - burn_rate(ratio, objective)


def lost_for_good(sli: float, objective: Objective, elapsed: float) -> bool:
    """Whether a calendar period ``elapsed`` (0..1) gone can no longer end at or above target:
    r x elapsed > b, with r the error ratio so far and b the budget (1 - target).

    The errors so far then exceed the whole period's allowance even if no further error comes at
    the traffic so far (time slices: the bad time so far exceeds the whole period's allowed bad
    time). Exact decimals, as ``state``'s comparison: at elapsed 1 it is "below target"."""
    return (100 - as_percent(sli)) * Decimal(repr(elapsed)) > 100 - objective.target


def won_back(ratio: float, objective: Objective, elapsed: float) -> float:
    """The share of the whole period's error budget the rest of the period would have to win back
    to end at target: (r - b) x elapsed / b, the errors so far beyond the budget pro rata of the
    period gone. 0 at target; 1 - elapsed when the period can no longer end above target."""
    budget = float(budget_ratio(objective.target))
    return (ratio - budget) * elapsed / budget


def state(sli: float | None, objective: Objective, elapsed: float | None = None) -> State:
    """Met at or above warning, AtRisk between target and warning, below target Breached, or
    Behind in an open calendar period that can still end above target.

    ``elapsed``: the share of the open calendar period gone (pledge.slo.periods.elapsed_share);
    None for a rolling window or a closed period, which are judged now (below target = Breached).
    """
    if sli is None:
        return "NoData"
    percent = as_percent(sli)
    if percent < objective.target:
        return "Behind" if elapsed is not None and not lost_for_good(sli, objective, elapsed) else "Breached"
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


def compliance(ratio: float | None, objective: Objective, *, elapsed: float | None = None) -> Compliance:
    """The period's compliance from its error ratio so far; ``elapsed`` as ``state`` takes it."""
    if ratio is None:
        return Compliance(None, None, "NoData")
    sli = 1.0 - ratio
    judged = state(sli, objective, elapsed)
    back = won_back(ratio, objective, elapsed) if judged == "Behind" and elapsed is not None else None
    return Compliance(sli, budget_remaining(ratio, objective), judged, back)


def share_words(share: float) -> str:
    """12 % of something, in words: whole percents, "less than 1 %" rather than a misleading "0 %"."""
    rounded = f"{share * 100:.0f}"
    return "less than 1 %" if share > 0 and rounded == "0" else f"{rounded} %"


def behind_words(objective: Objective, won: float, period: str = "period") -> str:
    """The Behind state in words: "below 99.9 % so far; 12 % of the month's error budget would have
    to be won back (the month can still end above target)". ``period``: "month", "quarter", "week"."""
    return (f"below {format_percent(objective.target)} % so far; {share_words(won)} of the {period}'s error budget "
            f"would have to be won back (the {period} can still end above target)")


def credit_percent(sli: float, objective: Objective, credits: list[CreditTier], cap: Decimal | None = None) -> Decimal:
    """Service credit owed: the highest tier whose ``below`` the SLI is under, capped by ``cap``.

    A tier only applies to objectives whose target is at or above its ``below``: nobody owes a
    credit for an objective that meets its own target.
    """
    percent = as_percent(sli)
    owed = max((c.percent for c in credits if percent < c.below <= objective.target), default=Decimal(0))
    return min(owed, cap) if cap is not None else owed


def credit_amount(percent: Decimal, fee: Fee) -> Decimal:
    """``percent`` of the period's fee, to the cent (half up: the customer gets the half cent)."""
    return (fee.amount * percent / Decimal(100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
