"""Pure parts of the operator: settings, the owned rule object, drift detection, status conditions."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from pledge.operator.cli import operator
from pledge.operator.config import OperatorConfig
from pledge.operator.objects import HASH_ANNOTATION, content_hash, controller, desired, intact, matches, owned_by
from pledge.operator.status import applied, condition, failed, invalid, merge
from pledge.rules import generate, rule_file
from pledge.rules.render import parse_labels
from pledge.sla import parse_sla
from pledge.sla.model import SLAStatus

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "api-availability.yaml"


def owner() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    document["metadata"]["uid"] = "uid-1"
    return document


def test_settings_from_the_environment() -> None:
    config = OperatorConfig.from_env({"PLEDGE_OUTPUT": "configmap", "PLEDGE_RULE_LABELS": "release=kps, team=sre",
                                      "PLEDGE_PROMETHEUS_URL": "http://prom:9090", "PLEDGE_STATUS_INTERVAL": "60",
                                      "PLEDGE_PREDICTION_INTERVAL": "600"})
    assert config == OperatorConfig(output="configmap", labels={"release": "kps", "team": "sre"},
                                    prometheus_url="http://prom:9090", status_interval=60.0, prediction_interval=600.0)
    assert OperatorConfig.from_env({}) == OperatorConfig()


@pytest.mark.parametrize(("environ", "message"), [
    ({"PLEDGE_OUTPUT": "prometheus"}, 'output must be one of prometheusrule, configmap, got "prometheus"'),
    ({"PLEDGE_RULE_LABELS": "release"}, 'expected KEY=VALUE, got "release"'),
    ({"PLEDGE_STATUS_INTERVAL": "0"}, "must be positive"),
    ({"PLEDGE_PREDICTION_INTERVAL": "-1"}, "must be positive"),
])
def test_bad_settings_name_the_variables(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match="PLEDGE_OUTPUT") as raised:
        OperatorConfig.from_env(environ)
    assert message in str(raised.value)


def test_backoff_doubles_and_is_capped() -> None:
    config = OperatorConfig(retry_delay=5, max_retry_delay=60)
    assert [config.backoff(r) for r in range(6)] == [5, 10, 20, 40, 60, 60]
    assert parse_labels("") == {}


def test_desired_prometheus_rule_is_owned_labelled_and_hashed() -> None:
    sla = parse_sla(owner())
    wanted = desired(sla, owner(), OperatorConfig(labels={"release": "kps"}))
    body = wanted.body
    assert body["spec"] == rule_file(generate(sla))
    assert (wanted.name, wanted.groups, wanted.rules) == ("pledge-api-availability", 3, sum(len(g.rules) for g in generate(sla)))
    assert body["metadata"]["ownerReferences"] == [{
        "apiVersion": "pledge.dev/v1alpha1", "kind": "ServiceLevelAgreement", "name": "api-availability",
        "uid": "uid-1", "controller": True, "blockOwnerDeletion": True}]
    assert body["metadata"]["labels"]["release"] == "kps"
    assert body["metadata"]["annotations"] == {HASH_ANNOTATION: content_hash(body)}
    assert owned_by(body, "uid-1") and not owned_by(body, "uid-2")
    assert controller({"metadata": {"ownerReferences": [{**body["metadata"]["ownerReferences"][0], "controller": False}]}}) is None


def test_drift_is_detected_from_the_object_alone() -> None:
    config = OperatorConfig(labels={"release": "kps"})
    wanted = desired(parse_sla(owner()), owner(), config)
    live = {**copy.deepcopy(wanted.body), "status": {}}
    live["metadata"].update(resourceVersion="7", uid="rule-uid", labels={**live["metadata"]["labels"], "extra": "x"})
    assert intact(live, config) and matches(live, wanted)

    edited = copy.deepcopy(live)
    edited["spec"]["groups"].pop()
    assert not intact(edited, config) and not matches(edited, wanted)

    unlabelled = copy.deepcopy(live)
    del unlabelled["metadata"]["labels"]["release"]
    assert not intact(unlabelled, config) and not matches(unlabelled, wanted)

    newer = desired(parse_sla({**owner(), "spec": {**owner()["spec"], "owner": "team-b"}}), owner(), config)
    assert intact(live, config) and not matches(live, newer)  # intact, but not what the new spec wants


def test_conditions_keep_their_transition_time_until_status_flips() -> None:
    wanted = desired(parse_sla(owner()), owner(), OperatorConfig())
    first = applied({}, 1, wanted, "PrometheusRule", "2026-11-23T00:00:00Z")
    again = applied(first, 2, wanted, "PrometheusRule", "2026-11-23T01:00:00Z")
    assert [c["lastTransitionTime"] for c in again["conditions"]] == ["2026-11-23T00:00:00Z"] * 3
    assert [c["observedGeneration"] for c in again["conditions"]] == [2, 2, 2]
    broken = invalid(again, 3, ["spec.objectives[0].target: bad"], "2026-11-23T02:00:00Z")
    by_type = {c["type"]: c for c in broken["conditions"]}
    assert (by_type["Valid"]["status"], by_type["Valid"]["lastTransitionTime"]) == ("False", "2026-11-23T02:00:00Z")
    assert (by_type["RulesApplied"]["status"], by_type["RulesApplied"]["observedGeneration"]) == ("True", 2)
    assert "rules" not in broken and broken["observedGeneration"] == 3
    down = failed(again, 2, "ApiError", "503", "2026-11-23T03:00:00Z")
    assert {c["type"]: c["status"] for c in down["conditions"]} == {"Ready": "False", "Valid": "True", "RulesApplied": "False"}
    for status in (first, again, broken, down):
        SLAStatus.model_validate(status)  # what the CRD's status schema is generated from


def test_merge_keeps_foreign_condition_types_after_its_own() -> None:
    merged = merge([{"type": "Custom", "status": "True"}], [condition("Ready", True, "R", "m", 1)], "t")
    assert [c["type"] for c in merged] == ["Ready", "Custom"]


def test_cli_rejects_a_bad_rule_label_before_starting() -> None:
    result = CliRunner().invoke(operator, ["--rule-label", "release"])
    assert result.exit_code == 2
    assert 'expected KEY=VALUE, got "release"' in result.output
