"""The PromQL behind every dashboard panel (pure): built from pledge.rules' names and builders, so a
renamed series breaks the dashboards' tests, never a dashboard silently.

Grafana variables reach the queries as regex matchers (``owner=~"$owner"``): "All" is ``.*``, which
also matches a series without the label, so a dashboard filtered by nothing shows every SLA.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pledge.sla.identity import NAMESPACE_LABEL
from pledge.slo.budget import STATE_CODE
from pledge.rules import names
from pledge.rules.generate import maintenance
from pledge.rules.promql import matchers, selector
from pledge.rules.queries import ALERTS
from pledge.rules.tiles import on_identity
from pledge.sla.model import Exclusion

ON_IDENTITY = on_identity([])
ALL = ".*"  # what the test worlds and Grafana's "All" put in a variable
OVERVIEW_FILTERS = {NAMESPACE_LABEL: "namespace", "owner": "owner", "customer": "customer", "sla_tier": "tier"}  # label: variable
HAS_CUSTOMER = 'customer!=""'


def like(labels: Mapping[str, str]) -> str:
    """Regex matchers ``label=~"$variable"`` for {label: variable}."""
    return ",".join(f'{label}=~"${variable}"' for label, variable in labels.items())


def join(*parts: str) -> str:
    return ",".join(p for p in parts if p)


def series(name: str, *matcher_lists: str) -> str:
    return f"{name}{{{join(*matcher_lists)}}}"


# -- overview: every SLA, filtered by the namespace, owner, customer and tier variables ---------------

def _metadata_filter(*extra: str) -> str:
    """The SLAs whose metadata (owner, sla_tier and customer of a customer-based SLA) match."""
    return series(names.TARGET, like({"owner": "owner", "sla_tier": "tier"}), *extra)


def scoped(name: str) -> str:
    """``name`` for the SLAs the overview's variables pick. A customer is a grouping label on the
    recorded series of a per-customer SLA, or the metadata of a customer-based SLA: either matches."""
    namespace = like({NAMESPACE_LABEL: "namespace"})
    grouped = f"{series(name, namespace, like({'customer': 'customer'}))} and {ON_IDENTITY} {_metadata_filter()}"
    customer_based = f"{series(name, namespace)} and {ON_IDENTITY} {_metadata_filter(like({'customer': 'customer'}), HAS_CUSTOMER)}"
    return f"({grouped}) or ({customer_based})"


def with_budget(ratio: str, budget: str = names.BUDGET) -> str:
    """An error ratio in budget units: the burn rate."""
    return f"({ratio}) / {ON_IDENTITY} group_left() {budget}"


def sli(period_ratio: str) -> str:
    return f"1 - ({period_ratio})"


def state(period_ratio: str) -> str:
    """pledge.slo.budget.state in PromQL, as STATE_CODE numbers: Breached when the period's errors
    exceed the budget, AtRisk inside the tolerance band, else Met; the SLA's own target and warning,
    as its metadata series record them (a test holds it to the Python state on a real world)."""
    ratio = f"({period_ratio})"  # an `or` of selectors: binds looser than any operator here
    breached = f"({ratio} > {ON_IDENTITY} group_left() {names.BUDGET}) * 0 + {STATE_CODE['Breached']}"
    at_risk = f"({ratio} > {ON_IDENTITY} group_left() (1 - {names.WARNING})) * 0 + {STATE_CODE['AtRisk']}"
    return f"{breached} or {at_risk} or {ratio} * 0 + {STATE_CODE['Met']}"


def firing(extra: str = "") -> str:
    """pledge's firing alerts, as the rule evaluator writes them."""
    return series(ALERTS, 'alertstate="firing",sla!=""', extra)


def overview_alerts() -> str:
    return firing(like(OVERVIEW_FILTERS))


# -- detail: one SLA, one objective, filtered by the SLA's grouping labels -----------------------------

def objective_matchers(identity: Mapping[str, str], grouping: Iterable[str]) -> str:
    """One objective of one SLA (exact), and its groups picked by variables named after their labels."""
    return join(matchers(dict(identity)), like({label: label for label in grouping}))


def breach_probability(identity: Mapping[str, str], grouping: Iterable[str]) -> str:
    """The API's forecast gauge, labelled like every recorded series."""
    return series(names.BREACH_PROBABILITY, matchers(dict(identity)), like({label: label for label in grouping}))


def maintenance_annotation(exclusion: Exclusion) -> str:
    """1 while the exclusion holds: the rules' own maintenance condition (pledge.rules.generate)."""
    condition = maintenance((exclusion,))
    assert condition is not None
    return f"({condition}) * 0 + 1"


def label_values(name: str, identity: Mapping[str, str], label: str) -> str:
    """A Grafana query variable's query: the values ``label`` takes on ``name`` of one SLA."""
    return f"label_values({selector(name, dict(identity))}, {label})"

