"""The one SLA factory of the tests: a one-objective SLA over ``http_requests_total``, as a document
(what a file or the API server holds), a model (what pledge.sla parses it into) or YAML text.

Every part has a default a test overrides by name: ``document("checkout", "shop", target="99.5",
window={"calendar": "month", "timezone": "Europe/Berlin"}, exclusions=[...])``; other keyword
arguments are further ``spec`` fields (alerting, grouping, credits, customer, ...).
"""

from __future__ import annotations

from typing import Any

import yaml

from pledge.sla import ServiceLevelAgreement, parse_sla

API_VERSION = "pledge.dev/v1alpha1"
KIND = "ServiceLevelAgreement"


def ratio_sli(service: str) -> dict[str, Any]:
    """Errors are the service's code="500" requests, out of all of its requests."""
    return {"ratio": {"errors": f'http_requests_total{{service="{service}",code="500"}}',
                      "total": f'http_requests_total{{service="{service}"}}'}}


def document(name: str, namespace: str = "test", *, service: str | None = None, objective: str = "availability",
             target: str = "99.9", warning: str | None = None, sli: dict[str, Any] | None = None,
             window: dict[str, str] | None = None, labels: dict[str, str] | None = None,
             **spec: Any) -> dict[str, Any]:
    """An SLA document: service ``service`` (default: the SLA's name), one objective over
    ``ratio_sli(service)`` unless ``sli`` is given, the spec's default window unless ``window`` is;
    ``labels``: its metadata labels."""
    service = service or name
    goal: dict[str, Any] = {"name": objective, "target": target, "sli": sli or ratio_sli(service)}
    if warning is not None:
        goal["warning"] = warning
    body: dict[str, Any] = {"service": service, **({"window": window} if window else {}), "objectives": [goal], **spec}
    metadata = {"name": name, "namespace": namespace, **({"labels": labels} if labels else {})}
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": metadata, "spec": body}


def sla(name: str, namespace: str = "test", **parts: Any) -> ServiceLevelAgreement:
    """``document(name, namespace, **parts)``, parsed."""
    return parse_sla(document(name, namespace, **parts))


def with_spec(name: str, spec: dict[str, Any], namespace: str = "test") -> ServiceLevelAgreement:
    """An SLA of a whole ``spec`` written out by the test (several objectives, custom tiers, ...), parsed."""
    return parse_sla({"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": name, "namespace": namespace},
                      "spec": spec})


def as_yaml(name: str, namespace: str = "test", **parts: Any) -> str:
    """``document(name, namespace, **parts)`` as a YAML file holds it, in the order written, block style."""
    return yaml.safe_dump(document(name, namespace, **parts), sort_keys=False)
