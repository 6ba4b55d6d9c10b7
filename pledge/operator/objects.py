"""Pure: the rule object an SLA should own (PrometheusRule or ConfigMap), and how to tell it drifted.

The rules themselves come from pledge.rules; this module only wraps them in a Kubernetes object,
adds the controller ownerReference, and stamps a content hash so drift is detected without
regenerating anything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pledge.kube import Kind
from pledge.operator.config import OperatorConfig, Output
from pledge.rules import generate, prometheus_rule, to_yaml
from pledge.rules.render import MANAGED_BY
from pledge.sla import API_VERSION, KIND, ServiceLevelAgreement

HASH_ANNOTATION: Final = "pledge.dev/content-hash"
SLA_LABEL: Final = "pledge.dev/sla"


KINDS: Final[dict[Output, Kind]] = {
    "prometheusrule": Kind("monitoring.coreos.com", "v1", "prometheusrules", "PrometheusRule"),
    "configmap": Kind("", "v1", "configmaps", "ConfigMap"),
}


@dataclass(frozen=True)
class Desired:
    """The object to create or patch, with the counts that go into the SLA's status."""

    body: dict[str, Any]
    groups: int
    rules: int

    @property
    def name(self) -> str:
        return str(self.body["metadata"]["name"])


def desired(sla: ServiceLevelAgreement, owner: Mapping[str, Any], config: OperatorConfig) -> Desired:
    """The rule object for ``sla``, owned (controller=true) by the SLA resource ``owner``."""
    groups = generate(sla)
    rule = prometheus_rule(sla, groups, dict(config.labels))
    body = rule if config.output == "prometheusrule" else {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": rule["metadata"],
        "data": {f"{rule['metadata']['name']}.yaml": to_yaml(rule["spec"])},
    }
    body["metadata"]["ownerReferences"] = [owner_reference(owner)]
    body["metadata"]["annotations"] = {HASH_ANNOTATION: content_hash(body)}
    return Desired(body, len(groups), sum(len(g.rules) for g in groups))


def owner_reference(owner: Mapping[str, Any]) -> dict[str, Any]:
    """controller=true: Kubernetes deletes the rule object with its SLA, and only one controller may own it."""
    metadata = owner["metadata"]
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": metadata["name"],
            "uid": metadata["uid"], "controller": True, "blockOwnerDeletion": True}


def content_hash(body: Mapping[str, Any]) -> str:
    """A hash of what Prometheus reads from the object: the spec (PrometheusRule) or data (ConfigMap)."""
    content = body.get("spec", body.get("data", {}))
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def expected_labels(config: OperatorConfig, sla_name: str) -> dict[str, str]:
    return {**config.labels, **MANAGED_BY, SLA_LABEL: sla_name}


def controller(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ServiceLevelAgreement controlling ``body``, as its ownerReference, or None."""
    for ref in body.get("metadata", {}).get("ownerReferences", []):
        if ref.get("controller") and ref.get("kind") == KIND and ref.get("apiVersion") == API_VERSION:
            return dict(ref)
    return None


def owned_by(body: Mapping[str, Any], owner_uid: str) -> bool:
    ref = controller(body)
    return ref is not None and ref.get("uid") == owner_uid


def intact(actual: Mapping[str, Any], config: OperatorConfig) -> bool:
    """Whether an owned object still holds what the operator wrote (content and selector labels)."""
    metadata = actual.get("metadata", {})
    ref = controller(actual)
    labels = metadata.get("labels") or {}
    wanted = expected_labels(config, str(ref.get("name") if ref else ""))
    return (
        metadata.get("annotations", {}).get(HASH_ANNOTATION) == content_hash(actual)
        and all(labels.get(k) == v for k, v in wanted.items())
    )


def matches(actual: Mapping[str, Any], wanted: Desired) -> bool:
    """Whether the live object already equals the desired one (no write needed)."""
    annotations = actual.get("metadata", {}).get("annotations") or {}
    labels = actual.get("metadata", {}).get("labels") or {}
    return (
        annotations.get(HASH_ANNOTATION) == wanted.body["metadata"]["annotations"][HASH_ANNOTATION]
        and content_hash(actual) == annotations.get(HASH_ANNOTATION)
        and all(labels.get(k) == v for k, v in wanted.body["metadata"]["labels"].items())
    )
