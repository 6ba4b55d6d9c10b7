"""GET /v1/slas: every SLA's period figures from two queries (pledge.status), filtered and paged."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from pledge.sla.identity import SLARef
from pledge.api.auth import Principal
from pledge.api.models import ObjectiveSummary, SLAPage, SLASummary, window_fields
from pledge.prom import PrometheusClient
from pledge.slo.budget import State, worst_state
from pledge.sla import ServiceLevelAgreement
from pledge.sla.percent import percent_to_ratio
from pledge.sla.selector import Selector
from pledge.status import Reading, read_status

@dataclass(frozen=True)
class Filters:
    """Query parameters; compared in Python, never pasted into PromQL."""

    namespace: str | None = None
    service: str | None = None
    customer: str | None = None
    tier: str | None = None
    state: State | None = None
    owner: str | None = None
    selector: Selector | None = None

    def spec_matches(self, sla: ServiceLevelAgreement) -> bool:
        spec = sla.spec
        if self.selector is not None and not self.selector.matches(sla.metadata.labels):
            return False
        wanted = ((self.namespace, sla.metadata.namespace), (self.service, spec.service), (self.tier, spec.tier),
                  (self.owner, spec.owner))
        if any(want is not None and want != have for want, have in wanted):
            return False
        return self.customer is None or spec.customer == self.customer or "customer" in spec.grouping

    def row_matches(self, sla: ServiceLevelAgreement, reading: Reading) -> bool:
        if self.customer is None or sla.spec.customer == self.customer:
            return True
        return reading.group.get("customer") == self.customer


def summary(sla: ServiceLevelAgreement, readings: list[Reading]) -> SLASummary:
    rows = []
    for r in readings:
        target = next(o.target for o in sla.spec.objectives if o.name == r.objective)
        rows.append(ObjectiveSummary(objective=r.objective, group=r.group, sli=r.compliance.sli,
                                     target=float(percent_to_ratio(target)), state=r.compliance.state,
                                     budget_remaining=r.compliance.budget_remaining, won_back=r.compliance.won_back))
    spec = sla.spec
    return SLASummary(namespace=sla.metadata.namespace, name=sla.metadata.name, service=spec.service,
                      customer=spec.customer, tier=spec.tier, owner=spec.owner, **window_fields(spec.window),
                      state=worst_state(r.state for r in rows), objectives=rows)


def page_of(readings: list[Reading], slas: list[ServiceLevelAgreement], caller: Principal, filters: Filters,
            limit: int, offset: int) -> SLAPage:
    """The page from ``readings`` (those of the candidate SLAs at least: a snapshot's are every SLA's)."""
    candidates = [s for s in slas if caller.sees_sla(s) and filters.spec_matches(s)]
    by_sla: dict[SLARef, list[Reading]] = defaultdict(list)
    for reading in readings:
        if caller.sees_group(reading.sla, reading.group) and filters.row_matches(reading.sla, reading):
            by_sla[reading.sla.ref].append(reading)
    summaries = [summary(s, by_sla[s.ref]) for s in candidates if by_sla[s.ref]]
    matching = [s for s in summaries if filters.state is None or s.state == filters.state]
    return SLAPage.of(matching, limit, offset)


async def sla_page(client: PrometheusClient, slas: list[ServiceLevelAgreement], caller: Principal, filters: Filters,
                   limit: int, offset: int, at: float) -> SLAPage:
    candidates = [s for s in slas if caller.sees_sla(s) and filters.spec_matches(s)]
    return page_of(await read_status(client, candidates, at), candidates, caller, filters, limit, offset)
