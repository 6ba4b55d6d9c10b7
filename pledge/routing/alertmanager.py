"""An Alertmanager configuration for pledge's alerts: routes by owner and severity, an optional
customer-success route, grouping per SLA and objective, and inhibition of burn-rate tickets by pages.

Written as a whole configuration that ``amtool check-config`` accepts: its root route's one child
(matching every pledge alert), the receivers and the inhibit rules are what to merge into yours.
Receivers come without integrations: add the webhook, Slack or PagerDuty settings of each team.

Labels an SLA sets per severity or per burn tier (``alerting.severities``, ``alerting.tiers[].labels``,
e.g. Sloth's ``routing_key`` on pages and ``slack_channel`` on tickets) travel with the alerts: this
configuration routes on owner and severity only, so such an alert reaches ``<owner>-<severity>`` as
before, and a route of yours matching ``routing_key="myteam"`` (placed before pledge's) takes it
instead. They never split an inhibition: the inhibit rule's ``equal`` names the identity and grouping
labels alone, so a page carrying ``routing_key`` still silences the burn ticket carrying
``slack_channel``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pledge.sla.identity import NAMESPACE_LABEL, OBJECTIVE_LABEL, SLA_LABEL
from pledge.rules import names
from pledge.rules.promql import escape_label_value
from pledge.sla.duration import format_duration
from pledge.sla.model import ServiceLevelAgreement
from pledge.sla.units import HOUR, MINUTE

DEFAULT_RECEIVER = "pledge-default"
CUSTOMER_ALERTS = (names.ALERT_BREACH_PREDICTED, names.ALERT_AT_RISK)
PLEDGE_ALERT = 'sla_namespace=~".+"'  # every pledge alert carries it; nothing else is expected to


@dataclass(frozen=True)
class Timing:
    """Alertmanager's batching, in seconds: wait for a group's first alerts, then between updates."""

    group_wait: int = 30
    group_interval: int = 5 * MINUTE
    repeat_interval: int = 4 * HOUR

    def as_config(self) -> dict[str, str]:
        return {key: format_duration(value) for key, value in
                (("group_wait", self.group_wait), ("group_interval", self.group_interval),
                 ("repeat_interval", self.repeat_interval))}


def matcher(label: str, value: str) -> str:
    return f'{label}="{escape_label_value(value)}"'


def group_labels(slas: list[ServiceLevelAgreement]) -> list[str]:
    """SLA and objective, then every grouping label: one notification per objective and group."""
    grouping = sorted({label for sla in slas for label in sla.spec.grouping})
    return [NAMESPACE_LABEL, SLA_LABEL, OBJECTIVE_LABEL, *grouping]


def owner_route(owner: str) -> dict[str, Any]:
    """The owner's pages and tickets, to ``<owner>-page`` and ``<owner>-ticket``."""
    return {
        "receiver": f"{owner}-ticket",
        "matchers": [matcher("owner", owner)],
        "routes": [{"receiver": f"{owner}-{severity}", "matchers": [matcher("severity", severity)]}
                   for severity in ("page", "ticket")],
    }


def customer_route(receiver: str, grouping: list[str]) -> dict[str, Any]:
    """Predicted breaches and budgets at risk of customer SLAs, per customer, to customer success;
    ``continue`` so the owner gets them as well."""
    return {
        "receiver": receiver,
        "matchers": [f'alertname=~"{"|".join(CUSTOMER_ALERTS)}"', 'customer=~".+"'],
        "group_by": ["customer", *[label for label in grouping if label != "customer"]],
        "continue": True,
    }


def inhibit_rules(grouping: list[str]) -> list[dict[str, Any]]:
    """A firing page silences the burn-rate tickets of the same SLA, objective and group, which say
    the same thing later. Not the customer alerts: an inhibited alert reaches no receiver, and
    customer success needs a predicted breach most while the owner is paged."""
    return [{"source_matchers": [matcher("severity", "page"), PLEDGE_ALERT],
             "target_matchers": [matcher("severity", "ticket"), matcher("alertname", names.ALERT_BURN), PLEDGE_ALERT],
             "equal": grouping}]


def config(slas: list[ServiceLevelAgreement], customer_receiver: str | None = None,
           timing: Timing = Timing()) -> dict[str, Any]:
    """The configuration for ``slas`` (their owners and grouping labels); ``customer_receiver``
    adds the customer-success route."""
    grouping = group_labels(slas)
    owners = sorted({sla.spec.owner for sla in slas if sla.spec.owner})
    routes = [customer_route(customer_receiver, grouping)] if customer_receiver else []
    routes += [owner_route(owner) for owner in owners]
    receivers = [DEFAULT_RECEIVER, *([customer_receiver] if customer_receiver else []),
                 *(f"{owner}-{severity}" for owner in owners for severity in ("page", "ticket"))]
    pledge = {"receiver": DEFAULT_RECEIVER, "matchers": [PLEDGE_ALERT], "group_by": grouping,
              **timing.as_config(), "routes": routes}
    return {
        "route": {"receiver": DEFAULT_RECEIVER, "routes": [pledge]},
        "receivers": [{"name": name} for name in receivers],
        "inhibit_rules": inhibit_rules(grouping),
    }
