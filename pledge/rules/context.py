"""What every rule of one objective shares: identity labels, matchers, grouping, budget."""

from __future__ import annotations

from pledge.sla.identity import OBJECTIVE_LABEL
from pledge.rules.model import Rule
from pledge.rules.promql import matchers
from pledge.rules.tiles import on_identity
from pledge.slo.windows import alert_windows
from pledge.sla.model import Objective, ServiceLevelAgreement
from pledge.sla.percent import budget_ratio


class Context:
    """What every rule of one objective shares: identity labels, matchers, grouping."""

    def __init__(self, sla: ServiceLevelAgreement, objective: Objective) -> None:
        self.sla = sla
        self.objective = objective
        self.identity = {**sla.ref.labels(), OBJECTIVE_LABEL: objective.name}
        self.grouping = list(sla.spec.grouping)
        self.matchers = matchers(self.identity)
        self.on = on_identity(self.grouping)
        self.budget = budget_ratio(objective.target)
        self.tiers = alert_windows(sla.spec.alerting, sla.spec.window)

    def series(self, name: str) -> str:
        return f"{name}{{{self.matchers}}}"

    def ratio(self, errors: str, requests: str) -> str:
        """errors / requests, absent instead of NaN when there were no requests."""
        return f"{errors} / {self.on} ({requests} > 0)"

    def record(self, name: str, expr: str, extra: dict[str, str] | None = None) -> Rule:
        return Rule(record=name, expr=expr, labels={**self.identity, **(extra or {})})
