"""The Helm chart, linted and rendered by the real Helm v4 SDK (helm-python-sdk): no cluster needed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python
import pytest
import yaml

from pledge.commands.review import review as review_command
from pledge.dashboards import as_json, detail as detail_dashboard, overview, render as render_dashboard
from pledge.sla.crd import CRD_FILENAME, REVISION_CRD_FILENAME, crd_yaml, revision_crd_yaml
from tests.support.dashboards import SLAS

CHART = Path(__file__).resolve().parents[2] / "helm" / "pledge"
OPERATOR_RULES = [
    {"apiGroups": ["pledge.dev"], "resources": ["servicelevelagreements"], "verbs": ["get", "list", "watch", "patch"]},
    {"apiGroups": ["pledge.dev"], "resources": ["servicelevelagreements/status"], "verbs": ["patch"]},
    {"apiGroups": ["monitoring.coreos.com"], "resources": ["prometheusrules"],
     "verbs": ["get", "list", "watch", "create", "patch"]},
    {"apiGroups": ["pledge.dev"], "resources": ["slarevisions"], "verbs": ["get", "list", "create"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["create"]},
]


@pytest.fixture(scope="module")
def chart() -> Iterator[helm_python.Chart]:
    with helm_python.Chart.load(CHART) as loaded:
        yield loaded


def render(chart: helm_python.Chart, values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    manifests = chart.render(values or {}, name="pledge", namespace="monitoring")
    return [doc for name, text in sorted(manifests.items()) if name.endswith(".yaml")
            for doc in yaml.safe_load_all(text) if doc]


def one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def container(objects: list[dict[str, Any]], name: str) -> dict[str, Any]:
    deployment = one(objects, "Deployment", name)
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def env(c: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in c.get("env", [])}


NON_DEFAULT: dict[str, Any] = {
    "image": {"repository": "registry.example/pledge", "tag": "1.2.3"},
    "operator": {"output": "configmap", "ruleLabels": {"release": "kps", "team": "sre"},
                 "watchNamespaces": ["shop", "platform"], "prometheusUrl": "http://prom:9090", "verbose": True},
    "api": {"tokensSecret": "pledge-tokens", "readSLAs": False, "serviceMonitor": {"enabled": True}},
}


@pytest.mark.parametrize("values", [None, NON_DEFAULT], ids=["default", "non-default"])
def test_lint_passes_strictly(values: dict[str, Any] | None) -> None:
    report = helm_python.lint(CHART, values, strict=True, namespace="monitoring")
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_chart_crd_is_the_generated_one(chart: helm_python.Chart) -> None:
    """The chart installs what the model generates; fix a failure with `pledge crd > helm/pledge/crds/<file>`."""
    assert sorted(c["filename"] for c in chart.crds) == [f"pledge/crds/{CRD_FILENAME}",
                                                         f"pledge/crds/{REVISION_CRD_FILENAME}"]
    data = {c["filename"]: c["data"] for c in chart.crds}
    assert data[f"pledge/crds/{CRD_FILENAME}"] == crd_yaml()
    assert data[f"pledge/crds/{REVISION_CRD_FILENAME}"] == revision_crd_yaml()


def test_default_render(chart: helm_python.Chart) -> None:
    objects = render(chart)
    assert sorted((o["kind"], o["metadata"]["name"]) for o in objects) == [
        ("ClusterRole", "pledge-api"), ("ClusterRole", "pledge-operator"),
        ("ClusterRoleBinding", "pledge-api"), ("ClusterRoleBinding", "pledge-operator"),
        ("Deployment", "pledge-api"), ("Deployment", "pledge-operator"),
        ("Service", "pledge-api"), ("ServiceAccount", "pledge-api"), ("ServiceAccount", "pledge-operator"),
    ]
    operator = one(objects, "Deployment", "pledge-operator")
    assert operator["spec"]["replicas"] == 1 and operator["spec"]["strategy"] == {"type": "Recreate"}
    c = container(objects, "pledge-operator")
    assert c["args"] == ["operator", "--standalone", "--liveness=http://0.0.0.0:8080/healthz",
                         "--log-format=json", "--all-namespaces"]
    assert env(c) == {"PLEDGE_OUTPUT": "prometheusrule", "PLEDGE_RULE_LABELS": "", "PLEDGE_STATUS_INTERVAL": "300"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert c["resources"]["limits"] == {"cpu": "500m", "memory": "384Mi"}
    binding = one(objects, "ClusterRoleBinding", "pledge-operator")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "pledge-operator", "namespace": "monitoring"}]
    api = container(objects, "pledge-api")
    assert api["args"] == ["serve"]
    assert env(api)["PLEDGE_PORT"] == "8080" and env(api)["PLEDGE_HOST"] == "0.0.0.0"


def test_operator_rbac_is_exactly_what_it_needs(chart: helm_python.Chart) -> None:
    objects = render(chart)
    assert one(objects, "ClusterRole", "pledge-operator")["rules"] == OPERATOR_RULES
    assert one(objects, "ClusterRole", "pledge-api")["rules"] == [
        {"apiGroups": ["pledge.dev"], "resources": ["servicelevelagreements"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["pledge.dev"], "resources": ["slarevisions"], "verbs": ["list"]}]
    for role in (o for o in objects if o["kind"] in {"ClusterRole", "Role"}):
        for rule in role["rules"]:
            assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"]
            assert not {"delete", "deletecollection", "update", "escalate", "bind", "impersonate"} & set(rule["verbs"])


def test_every_object_is_labelled_and_every_pod_is_locked_down(chart: helm_python.Chart) -> None:
    objects = render(chart, {"commonLabels": {"team": "sre"}})
    for obj in objects:
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/instance"] == "pledge" and labels["app.kubernetes.io/name"] == "pledge"
        assert labels["app.kubernetes.io/managed-by"] == "Helm" and labels["team"] == "sre"
    for name in ("pledge-operator", "pledge-api"):
        pod = one(objects, "Deployment", name)["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert container(objects, name)["securityContext"] == {
            "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
        assert {"name": "tmp", "mountPath": "/tmp"} in container(objects, name)["volumeMounts"]


def test_non_default_values(chart: helm_python.Chart) -> None:
    objects = render(chart, NON_DEFAULT)
    c = container(objects, "pledge-operator")
    assert c["image"] == "registry.example/pledge:1.2.3"
    assert c["args"][-3:] == ["--verbose", "--namespace=shop", "--namespace=platform"]
    assert env(c) == {"PLEDGE_OUTPUT": "configmap", "PLEDGE_RULE_LABELS": "release=kps,team=sre",
                      "PLEDGE_STATUS_INTERVAL": "300", "PLEDGE_PROMETHEUS_URL": "http://prom:9090"}
    assert not [o for o in objects if o["kind"] in {"ClusterRole", "ClusterRoleBinding"}]  # namespaced only
    for namespace in ("shop", "platform"):
        role = next(o for o in objects if o["kind"] == "Role" and o["metadata"]["namespace"] == namespace)
        assert role["rules"][2] == {"apiGroups": [""], "resources": ["configmaps"],
                                    "verbs": ["get", "list", "watch", "create", "patch"]}
        assert [r for r in role["rules"] if "prometheusrules" in r["resources"]] == []
    api = one(objects, "Deployment", "pledge-api")["spec"]["template"]["spec"]
    assert api["automountServiceAccountToken"] is False
    assert {"name": "tokens", "secret": {"secretName": "pledge-tokens"}} in api["volumes"]
    assert env(container(objects, "pledge-api"))["PLEDGE_TOKENS_FILE"] == "/etc/pledge/tokens/tokens.yaml"
    monitor = one(objects, "ServiceMonitor", "pledge-api")
    assert monitor["spec"]["endpoints"] == [{"port": "http", "path": "/metrics", "honorLabels": True,
                                             "interval": "30s"}]


def test_service_monitor_scrapes_with_a_token_from_a_secret(chart: helm_python.Chart) -> None:
    secret = {"name": "pledge-scrape", "key": "bearer"}
    objects = render(chart, {"api": {"serviceMonitor": {"enabled": True, "bearerTokenSecret": secret}}})
    [endpoint] = one(objects, "ServiceMonitor", "pledge-api")["spec"]["endpoints"]
    assert endpoint["bearerTokenSecret"] == secret and endpoint["honorLabels"] is True


def test_operator_and_api_can_be_disabled(chart: helm_python.Chart) -> None:
    assert {o["metadata"]["name"] for o in render(chart, {"api": {"enabled": False}})} == {"pledge-operator"}
    assert {o["metadata"]["name"] for o in render(chart, {"operator": {"enabled": False}})} == {"pledge-api"}


REVIEW: dict[str, Any] = {"review": {
    "enabled": True, "scopes": [{"customer": "acme"}, {"service": "shop/checkout", "customer": "acme"}],
    "deliver": "https://hooks.example/packs", "tokenSecret": {"name": "pledge-review"},
    "deliverTokenSecret": {"name": "packs-hook", "key": "bearer"}, "persistence": {"existingClaim": "review-state"}}}


def review_pod(objects: list[dict[str, Any]]) -> dict[str, Any]:
    cron_job = one(objects, "CronJob", "pledge-review")
    pod: dict[str, Any] = cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return pod


def test_review_cron_job_posts_each_scopes_packs_to_a_webhook(chart: helm_python.Chart) -> None:
    """Off by default; on, one CronJob (Forbid: never two rounds at once), one container per scope running
    `pledge review --every month --once` against the chart's API, its ledger on the claim, one per scope."""
    assert [o for o in render(chart) if o["kind"] == "CronJob"] == []
    report = helm_python.lint(CHART, REVIEW, strict=True, namespace="monitoring")
    assert report["errors"] == [] and [m for m in report["messages"] if m["severity"] >= 2] == []
    objects = render(chart, REVIEW)
    cron_job = one(objects, "CronJob", "pledge-review")
    assert cron_job["spec"]["schedule"] == "0 6 * * *" and cron_job["spec"]["concurrencyPolicy"] == "Forbid"
    assert cron_job["metadata"]["labels"]["app.kubernetes.io/component"] == "review"
    pod = review_pod(objects)
    assert pod["restartPolicy"] == "OnFailure" and pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "review-state"}} in pod["volumes"]
    common = ["--every", "month", "--grace", "3d", "--once", "--format", "html", "--compare", "0",
              "--api", "http://pledge-api.monitoring.svc:80", "--deliver", "https://hooks.example/packs", "--ledger"]
    assert [c["args"] for c in pod["containers"]] == [
        ["review", "--customer", "acme", *common, "/var/lib/pledge/review-deliveries-customer-acme.json"],
        ["review", "--customer", "acme", "--service", "shop/checkout", *common,
         "/var/lib/pledge/review-deliveries-customer-acme-service-shop_checkout.json"]]
    for c in pod["containers"]:
        assert c["image"] == "ghcr.io/pledge-dev/pledge:0.1.0"
        assert c["env"] == [
            {"name": "PLEDGE_TOKEN", "valueFrom": {"secretKeyRef": {"name": "pledge-review", "key": "token"}}},
            {"name": "PLEDGE_DELIVER_TOKEN", "valueFrom": {"secretKeyRef": {"name": "packs-hook", "key": "bearer"}}}]
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert c["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"},
                                     {"name": "data", "mountPath": "/var/lib/pledge"}]
        # the command takes what the chart passes
        parsed = review_command.make_context("review", c["args"][1:]).params
        assert parsed["every"] == "month" and parsed["once"] and parsed["ledger"] == Path(c["args"][-1])


def test_review_cron_job_writes_packs_to_a_folder_on_the_claim(chart: helm_python.Chart) -> None:
    values = {"review": {"enabled": True, "schedule": "30 5 * * 1", "every": "week", "grace": "1d", "format": "csv",
                         "compare": 4, "scopes": [{"owner": "payments"}], "tokenSecret": {"name": "pledge-review"},
                         "deliverTokenSecret": {"name": "unused"}, "apiUrl": "https://pledge.example",
                         "persistence": {"existingClaim": "review-packs", "mountPath": "/packs"}},
              "api": {"enabled": False}}
    objects = render(chart, values)
    assert one(objects, "CronJob", "pledge-review")["spec"]["schedule"] == "30 5 * * 1"
    pod = review_pod(objects)
    [c] = pod["containers"]
    assert c["args"] == ["review", "--owner", "payments", "--every", "week", "--grace", "1d", "--once",
                         "--format", "csv", "--compare", "4", "--api", "https://pledge.example",
                         "--deliver", "/packs/packs"]
    assert [e["name"] for e in c["env"]] == ["PLEDGE_TOKEN"]  # no webhook, no webhook token


@pytest.mark.parametrize(("values", "message"), [
    ({"persistence": {"existingClaim": ""}}, "review.persistence.existingClaim"),
    ({"tokenSecret": {"name": ""}}, "review.tokenSecret.name"),
    ({"scopes": []}, "review.scopes: give at least one scope"),
])
def test_review_cron_job_says_what_it_needs(chart: helm_python.Chart, values: dict[str, Any], message: str) -> None:
    with pytest.raises(helm_python.HelmRenderError, match=message):
        chart.render({"review": {**REVIEW["review"], **values}}, name="pledge", namespace="monitoring")
    with pytest.raises(helm_python.HelmRenderError, match="review.apiUrl: the chart's API is disabled"):
        chart.render({**REVIEW, "api": {"enabled": False}}, name="pledge", namespace="monitoring")


@pytest.mark.parametrize(("values", "message"), [
    ({"review": {"every": "year"}}, "/review/every"),
    ({"review": {"format": "docx"}}, "/review/format"),
    ({"review": {"grace": "3 days"}}, "/review/grace"),
    ({"review": {"scopes": [{"team": "sre"}]}}, "/review/scopes/0"),
    ({"review": {"deliver": "ftp://example/packs"}}, "/review/deliver"),
    ({"review": {"compare": 13}}, "/review/compare"),
    ({"operator": {"output": "prometheus"}}, "/operator/output"),
    ({"operator": {"watchNamespaces": ["Shop_Prod"]}}, "/operator/watchNamespaces/0"),
    ({"operator": {"ruleLabels": {"release": "has spaces"}}}, "/operator/ruleLabels/release"),
    ({"operator": {"statusInterval": "5m"}}, "/operator/statusInterval"),
    ({"operator": {"prometheusUrl": "prom:9090"}}, "/operator/prometheusUrl"),
    ({"api": {"port": 70000}}, "/api/port"),
    ({"securityContext": {"readOnlyRootFilesystem": False}}, "/securityContext/readOnlyRootFilesystem"),
    ({"podSecurityContext": {"runAsNonRoot": False}}, "/podSecurityContext/runAsNonRoot"),
    ({"operatr": {}}, "additional properties 'operatr' not allowed"),
])
def test_schema_rejects_bad_values(chart: helm_python.Chart, values: dict[str, Any], message: str) -> None:
    with pytest.raises(helm_python.HelmValuesError, match=message):
        chart.validate_schema(chart.merge_values(values))
    with pytest.raises(helm_python.HelmValuesError, match=message):  # so install and template fail too
        chart.render(values, name="pledge", namespace="monitoring")


def test_default_values_pass_the_schema(chart: helm_python.Chart) -> None:
    chart.validate_schema(chart.values)


def test_api_reads_slas_and_a_watched_tokens_secret_from_kubernetes(chart: helm_python.Chart) -> None:
    objects = render(chart, {"api": {"tokensSecret": "pledge-tokens", "watchTokensSecret": True, "namespace": "shop"}})
    api = container(objects, "pledge-api")
    assert env(api)["PLEDGE_SLA_SOURCE"] == "kubernetes" and env(api)["PLEDGE_NAMESPACE"] == "shop"
    assert env(api)["PLEDGE_TOKENS_SECRET"] == "monitoring/pledge-tokens" and "PLEDGE_TOKENS_FILE" not in env(api)
    pod = one(objects, "Deployment", "pledge-api")["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is True and not [v for v in pod["volumes"] if v["name"] == "tokens"]
    role = next(o for o in objects if o["kind"] == "Role" and o["metadata"]["name"] == "pledge-api-tokens")
    assert role["metadata"]["namespace"] == "monitoring"
    assert role["rules"] == [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["pledge-tokens"],
                              "verbs": ["get", "list", "watch"]}]
    binding = next(o for o in objects if o["kind"] == "RoleBinding" and o["metadata"]["name"] == "pledge-api-tokens")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "pledge-api", "namespace": "monitoring"}]
    plain = container(render(chart, {"api": {"readSLAs": False}}), "pledge-api")
    assert "PLEDGE_SLA_SOURCE" not in env(plain)


def test_grafana_dashboards_for_the_sidecar(chart: helm_python.Chart) -> None:
    """Off by default; on, one ConfigMap with the sidecar's label holds the overview (the committed file
    is the generated one: refresh it with `pledge dashboards -o helm/pledge/dashboards`) and extra ones."""
    assert [o for o in render(chart) if o["kind"] == "ConfigMap"] == []
    detail = render_dashboard(as_json(detail_dashboard(SLAS[0])))
    values = {"grafanaDashboards": {"enabled": True, "annotations": {"grafana_folder": "SLOs"},
                                    "extra": {"shop-checkout": detail}}}
    assert helm_python.lint(CHART, values, strict=True, namespace="monitoring")["errors"] == []
    config_map = one(render(chart, values), "ConfigMap", "pledge-dashboards")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert config_map["metadata"]["annotations"] == {"grafana_folder": "SLOs"}
    assert sorted(config_map["data"]) == ["pledge-overview.json", "shop-checkout.json"]
    assert json.loads(config_map["data"]["pledge-overview.json"]) == as_json(overview())
    assert (CHART / "dashboards" / "pledge-overview.json").read_text() == render_dashboard(as_json(overview()))
    assert json.loads(config_map["data"]["shop-checkout.json"]) == json.loads(detail)
