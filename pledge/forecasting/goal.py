"""What a forecast is about: one objective's target, its compliance window, its burn-rate tiers."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from pledge.slo.budget import burn_rate
from pledge.slo.windows import AlertWindows, alert_windows
from pledge.sla.model import SLI, Alerting, Exclusion, Objective, RatioSLI, ServiceLevelAgreement, Window
from pledge.sla.percent import budget_ratio


@dataclass(frozen=True)
class Goal:
    objective: Objective
    window: Window
    tiers: list[AlertWindows] = field(default_factory=list)
    exclusions: list[Exclusion] = field(default_factory=list)

    @property
    def budget(self) -> float:
        """Allowed share of bad events (0.001 for 99.9 %)."""
        return float(budget_ratio(self.objective.target))

    @property
    def burn_per_ratio(self) -> float:
        """Burn rate of an error ratio of 1: the core's burn_rate is linear, so arrays scale by it."""
        return burn_rate(1.0, self.objective)


def goal_for(target: Decimal, window: Window, exclusions: list[Exclusion] | None = None) -> Goal:
    """A goal without an SLA file (backtests): the default SRE-workbook tiers for the window."""
    objective = Objective(name="objective", target=target, sli=SLI(ratio=RatioSLI(errors="errors", total="total")))
    return Goal(objective, window, alert_windows(Alerting(), window), list(exclusions or []))


def goals_of(sla: ServiceLevelAgreement) -> list[Goal]:
    """One goal per objective of an SLA, with its own tiers and exclusions."""
    tiers = alert_windows(sla.spec.alerting, sla.spec.window)
    return [Goal(o, sla.spec.window, tiers, list(sla.spec.exclusions)) for o in sla.spec.objectives]
