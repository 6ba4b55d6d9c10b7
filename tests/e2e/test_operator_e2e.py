"""The operator end to end: SLA resources in, owned PrometheusRules and status out (kopf on kmock)."""

from __future__ import annotations

import asyncio
from typing import Any

import kmock
import pytest
import yaml

from pledge.operator import OperatorConfig
from pledge.rules import generate, rule_file
from pledge.sla import parse_sla
from tests.support.cluster import CONFIGMAPS, RULES, SLAS, Cluster, condition, eventually, example, path_of, ready, running
from tests.support.crd_schema import schema_errors

LABELS = {"release": "kube-prometheus-stack"}


async def test_create_writes_an_owned_prometheus_rule_and_ready_status(cluster: Cluster) -> None:
    async with running(OperatorConfig(labels=LABELS)):
        sla = await cluster.create_sla(example("api-availability.yaml"))
        await eventually(lambda: ready(cluster, "platform", "api-availability"), what="Ready")

    rule = cluster.get(RULES, "platform", "pledge-api-availability")
    assert rule["metadata"]["ownerReferences"] == [{
        "apiVersion": "pledge.dev/v1alpha1", "kind": "ServiceLevelAgreement", "name": "api-availability",
        "uid": sla["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]
    assert rule["metadata"]["labels"] == {
        "release": "kube-prometheus-stack", "app.kubernetes.io/managed-by": "pledge", "pledge.dev/sla": "api-availability"}
    expected = rule_file(generate(parse_sla(example("api-availability.yaml"))))
    assert rule["spec"] == expected
    status = cluster.get(SLAS, "platform", "api-availability")["status"]
    rules = sum(len(g["rules"]) for g in expected["groups"])
    assert status["rules"] == {"name": "pledge-api-availability", "groups": 3, "rules": rules}
    assert [c["type"] for c in status["conditions"]] == ["Ready", "Valid", "RulesApplied", "RevisionRecorded"]
    assert all(c["status"] == "True" and c["observedGeneration"] == 1 and c["lastTransitionTime"]
               for c in status["conditions"])
    assert condition(status, "RulesApplied")["message"] == \
        f"PrometheusRule pledge-api-availability: 3 groups, {rules} rules"


def written(obj: dict[str, Any]) -> dict[str, Any]:
    """What the operator writes into a rule object (the API server adds uid, resourceVersion and more)."""
    metadata = obj["metadata"]
    return {"spec": obj.get("spec"), "data": obj.get("data"),
            **{k: metadata.get(k) for k in ("name", "namespace", "labels", "annotations", "ownerReferences")}}


def history(cluster: Cluster, resource: str, namespace: str, name: str) -> list[dict[str, Any]]:
    """Every stored version of an object, oldest first (None entries are deletions)."""
    return [dict(v.raw) if v is not None else {} for v in cluster.emulator.objects[resource, namespace, name].history]


async def test_update_changes_the_rules_and_observed_generation(cluster: Cluster) -> None:
    document = example("api-availability.yaml")
    async with running(OperatorConfig(labels=LABELS)):
        await cluster.create_sla(document)
        await eventually(lambda: ready(cluster, "platform", "api-availability"), what="Ready")
        first = cluster.get(SLAS, "platform", "api-availability")["status"]
        spec = {**document["spec"], "objectives": [{**document["spec"]["objectives"][0], "target": "99.5"}]}
        await cluster.update_spec("platform", "api-availability", spec)
        await eventually(lambda: ready(cluster, "platform", "api-availability", generation=2), what="generation 2")

    rule = cluster.get(RULES, "platform", "pledge-api-availability")
    assert rule["spec"] == rule_file(generate(parse_sla({**document, "spec": spec})))
    assert rule["spec"] != rule_file(generate(parse_sla(document)))
    assert '0.005' in str(rule["spec"]) and '0.001' not in str(rule["spec"])  # 99.5 % -> 0.5 % budget
    status = cluster.get(SLAS, "platform", "api-availability")["status"]
    assert status["observedGeneration"] == 2
    assert all(c["observedGeneration"] == 2 for c in status["conditions"])
    # Still True: the transition time stays that of the first reconcile.
    assert condition(status, "Ready")["lastTransitionTime"] == condition(first, "Ready")["lastTransitionTime"]


async def test_invalid_update_keeps_the_last_good_rules(cluster: Cluster) -> None:
    document = example("api-availability.yaml")
    async with running(OperatorConfig(retry_delay=0.05)):
        await cluster.create_sla(document)
        await eventually(lambda: ready(cluster, "platform", "api-availability"), what="Ready")
        good = cluster.get(RULES, "platform", "pledge-api-availability")
        writes = len(history(cluster, RULES, "platform", "pledge-api-availability"))
        objective = document["spec"]["objectives"][0]
        broken = {**objective, "sli": {"ratio": {**objective["sli"]["ratio"], "errors": 'http_requests_total{code=~"5..'}}}
        await cluster.update_spec("platform", "api-availability", {**document["spec"], "objectives": [broken]})
        await eventually(lambda: cluster.get(SLAS, "platform", "api-availability")["status"]
                         .get("observedGeneration") == 2, what="generation 2 observed")
        sla_versions = len(history(cluster, SLAS, "platform", "api-availability"))
        await asyncio.sleep(1.0)  # a retry storm would patch the SLA again and again meanwhile
        assert len(history(cluster, SLAS, "platform", "api-availability")) == sla_versions

    assert cluster.get(RULES, "platform", "pledge-api-availability") == good
    assert len(history(cluster, RULES, "platform", "pledge-api-availability")) == writes
    status = cluster.get(SLAS, "platform", "api-availability")["status"]
    valid = condition(status, "Valid")
    assert (valid["status"], valid["reason"]) == ("False", "InvalidSpec")
    assert valid["message"].startswith("spec.objectives[0].sli.ratio.errors: is not valid PromQL")
    assert (condition(status, "Ready")["status"], condition(status, "Ready")["reason"]) == ("False", "InvalidSpec")
    applied = condition(status, "RulesApplied")
    assert (applied["status"], applied["observedGeneration"]) == ("True", 1)  # generation 1's rules stay
    warnings = cluster.events("api-availability")
    assert [e["reason"] for e in warnings] == ["InvalidSpec"]
    assert warnings[0]["type"] == "Warning"
    assert "spec.objectives[0].sli.ratio.errors" in warnings[0]["message"]


async def test_a_template_breaking_owner_writes_no_rules(cluster: Cluster) -> None:
    """`owner: "{{ .Foo"` would make every ruler refuse every rule file ("unclosed action"): the SLA
    is Valid=False with the reason and one Warning Event, and no rule object is ever written."""
    document = example("api-availability.yaml")
    document["spec"]["owner"] = "{{ .Foo"
    async with running(OperatorConfig(retry_delay=0.05)):
        await cluster.create_sla(document)
        await eventually(lambda: cluster.get(SLAS, "platform", "api-availability").get("status", {})
                         .get("observedGeneration") == 1, what="generation 1 observed")
        await asyncio.sleep(1.0)  # a retry would write meanwhile
    with pytest.raises(KeyError):  # kmock holds no version of it at all: never written
        history(cluster, RULES, "platform", "pledge-api-availability")
    valid = condition(cluster.get(SLAS, "platform", "api-availability")["status"], "Valid")
    assert (valid["status"], valid["reason"]) == ("False", "InvalidSpec")
    assert valid["message"].startswith("spec.owner: ")
    warnings = cluster.events("api-availability")
    assert [(e["type"], e["reason"]) for e in warnings] == [("Warning", "InvalidSpec")]
    assert "spec.owner" in warnings[0]["message"]


async def test_deleted_or_edited_rule_is_restored(cluster: Cluster) -> None:
    async with running(OperatorConfig(labels=LABELS)):
        await cluster.create_sla(example("api-availability.yaml"))
        await eventually(lambda: ready(cluster, "platform", "api-availability"), what="Ready")
        good = written(cluster.get(RULES, "platform", "pledge-api-availability"))

        await cluster.delete(RULES, "platform", "pledge-api-availability")
        await eventually(lambda: cluster.exists(RULES, "platform", "pledge-api-availability"), what="recreated")
        assert written(cluster.get(RULES, "platform", "pledge-api-availability")) == good

        await cluster.send("PATCH", path_of(RULES, "platform", "pledge-api-availability"),
                           {"spec": {"groups": []}, "metadata": {"labels": {"release": None}}})
        await eventually(lambda: written(cluster.get(RULES, "platform", "pledge-api-availability")) == good,
                         what="restored")


async def test_a_rule_object_it_does_not_own_is_never_touched(cluster: Cluster) -> None:
    foreign = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
               "metadata": {"name": "pledge-api-availability", "namespace": "platform", "uid": "foreign",
                            "labels": {"app.kubernetes.io/managed-by": "pledge"}},
               "spec": {"groups": [{"name": "hand-written", "rules": [{"record": "x:y:z", "expr": "1"}]}]}}
    await cluster.send("POST", path_of(RULES, "platform"), foreign)
    async with running(OperatorConfig()):
        await cluster.create_sla(example("api-availability.yaml"))
        await eventually(lambda: "status" in cluster.get(SLAS, "platform", "api-availability"), what="status")
        await asyncio.sleep(0.5)  # time to restore "drift", which must not happen to a foreign object

    assert [written(v) for v in history(cluster, RULES, "platform", "pledge-api-availability")] == [written(foreign)]
    status = cluster.get(SLAS, "platform", "api-availability")["status"]
    applied = condition(status, "RulesApplied")
    assert (applied["status"], applied["reason"]) == ("False", "NameConflict")
    assert "not controlled by this SLA" in applied["message"]
    assert [e["reason"] for e in cluster.events("api-availability")] == ["NameConflict"]


async def test_configmap_output_for_plain_prometheus(cluster: Cluster) -> None:
    async with running(OperatorConfig(output="configmap", labels=LABELS)):
        sla = await cluster.create_sla(example("checkout-grouped.yaml"))
        await eventually(lambda: ready(cluster, "shop", "checkout"), what="Ready")
        assert not cluster.exists(RULES, "shop", "pledge-checkout")
        await cluster.delete(CONFIGMAPS, "shop", "pledge-checkout")
        await eventually(lambda: cluster.exists(CONFIGMAPS, "shop", "pledge-checkout"), what="recreated")

    config_map = cluster.get(CONFIGMAPS, "shop", "pledge-checkout")
    assert config_map["metadata"]["ownerReferences"][0]["uid"] == sla["metadata"]["uid"]
    assert config_map["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    content = yaml.safe_load(config_map["data"]["pledge-checkout.yaml"])
    assert content == rule_file(generate(parse_sla(example("checkout-grouped.yaml"))))
    assert condition(cluster.get(SLAS, "shop", "checkout")["status"], "RulesApplied")["message"].startswith(
        "ConfigMap pledge-checkout: 3 groups")


async def test_transient_api_failure_is_retried_with_backoff(cluster: Cluster) -> None:
    failing = cluster.emulator["get", kmock.resource("monitoring.coreos.com", "v1", "prometheusrules")][:2] << 503
    async with running(OperatorConfig(retry_delay=0.2)):
        await cluster.create_sla(example("api-availability.yaml"))
        await eventually(lambda: ready(cluster, "platform", "api-availability"), what="Ready after retries")

    assert len(list(failing)) == 2
    reasons = [condition(v["status"], "RulesApplied")["reason"]
               for v in history(cluster, SLAS, "platform", "api-availability") if "status" in v]
    assert reasons[0] == "ApiError" and reasons[-1] == "Applied"
    assert cluster.events("api-availability") == []  # retried quietly: no Warning for a blip


async def test_resume_after_restart_rewrites_nothing(cluster: Cluster) -> None:
    async with running(OperatorConfig()):
        await cluster.create_sla(example("api-availability.yaml"))
        await eventually(lambda: ready(cluster, "platform", "api-availability"), what="Ready")
    writes = len(history(cluster, RULES, "platform", "pledge-api-availability"))
    await cluster.delete(RULES, "platform", "pledge-api-availability")  # lost while no operator ran
    async with running(OperatorConfig()) as operator:
        await eventually(lambda: cluster.exists(RULES, "platform", "pledge-api-availability"), what="resumed")
        await eventually(lambda: operator.reconciled == 1, what="one reconcile")
    assert len(history(cluster, RULES, "platform", "pledge-api-availability")) == writes + 2  # deleted, recreated


async def test_status_written_by_the_operator_fits_the_crd(cluster: Cluster) -> None:
    async with running(OperatorConfig()):
        await cluster.create_sla(example("acme-monthly.yaml"))
        await eventually(lambda: ready(cluster, "shop", "acme-checkout"), what="Ready")
    stored = cluster.get(SLAS, "shop", "acme-checkout")
    assert schema_errors(stored) == []
    assert set(stored["status"]) == {"observedGeneration", "conditions", "rules", "revision"}  # no kopf bookkeeping


async def test_hundred_slas_are_all_reconciled(lean_cluster: Cluster) -> None:
    cluster, document = lean_cluster, example("api-availability.yaml")
    async with running(OperatorConfig()):
        for index in range(100):
            await cluster.create_sla({**document, "metadata": {"name": f"svc-{index:03d}", "namespace": "bulk"}})
        await eventually(lambda: all(ready(cluster, "bulk", f"svc-{i:03d}") for i in range(100)),
                         timeout=30, what="100 SLAs Ready")
    assert all(cluster.exists(RULES, "bulk", f"pledge-svc-{i:03d}") for i in range(100))


async def test_namespace_scoped_operator_ignores_other_namespaces(cluster: Cluster) -> None:
    async with running(OperatorConfig(), namespaces=("shop",)) as operator:
        await cluster.create_sla(example("api-availability.yaml"))  # namespace platform
        await cluster.create_sla(example("checkout-grouped.yaml"))  # namespace shop
        await eventually(lambda: ready(cluster, "shop", "checkout"), what="shop/checkout Ready")
        await asyncio.sleep(0.3)
    assert operator.reconciled == 1
    assert "status" not in cluster.get(SLAS, "platform", "api-availability")
    assert not cluster.exists(RULES, "platform", "pledge-api-availability")
