"""The operator without a cluster: settings, what registers on import, the owned rule object, drift detection,
status conditions."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from pydantic import ValidationError

from pledge.clock import fixed, system
from pledge.commands import operator as operator_command
from pledge.commands.operator import operator
from pledge.operator.config import OperatorConfig
from pledge.operator.objects import HASH_ANNOTATION, content_hash, controller, desired, intact, matches, owned_by
from pledge.operator.status import applied, condition, failed, invalid, merge
from pledge.rules import generate, rule_file
from pledge.rules.render import parse_labels
from pledge.sla import parse_sla
from pledge.sla.model import SLAStatus

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "api-availability.yaml"
NOW = 1_790_000_000.0


def owner() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    document["metadata"]["uid"] = "uid-1"
    return document


VARIABLES = ("PLEDGE_OUTPUT", "PLEDGE_RULE_LABELS", "PLEDGE_PROMETHEUS_URL", "PLEDGE_STATUS_INTERVAL",
             "PLEDGE_PREDICTION_INTERVAL", "PLEDGE_RETRY_DELAY", "PLEDGE_MAX_RETRY_DELAY")
DEFAULTS: dict[str, object] = {"output": "prometheusrule", "labels": {}, "prometheus_url": None, "status_interval": 300.0,
            "prediction_interval": 900.0, "retry_delay": 5.0, "max_retry_delay": 300.0}


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No operator variable from the developer's shell leaks into a test."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_settings_from_the_environment(environ: pytest.MonkeyPatch) -> None:
    for name, value in {"PLEDGE_OUTPUT": "configmap", "PLEDGE_RULE_LABELS": "release=kps, team=sre",
                        "PLEDGE_PROMETHEUS_URL": "http://prom:9090", "PLEDGE_STATUS_INTERVAL": "60",
                        "PLEDGE_PREDICTION_INTERVAL": "600", "PLEDGE_RETRY_DELAY": "0.5"}.items():
        environ.setenv(name, value)
    assert OperatorConfig().model_dump() == {**DEFAULTS, "output": "configmap", "labels": {"release": "kps", "team": "sre"},
                                             "prometheus_url": "http://prom:9090", "status_interval": 60.0,
                                             "prediction_interval": 600.0, "retry_delay": 0.5}
    assert OperatorConfig(status_interval=30, labels={}).model_dump() == {
        **OperatorConfig().model_dump(), "status_interval": 30.0, "labels": {}}  # arguments win


def test_defaults_and_empty_variables(environ: pytest.MonkeyPatch) -> None:
    assert OperatorConfig().model_dump() == DEFAULTS
    assert OperatorConfig().clock is system
    environ.setenv("PLEDGE_PROMETHEUS_URL", "")  # unset, so the status timer stays off
    environ.setenv("PLEDGE_RULE_LABELS", "")
    assert OperatorConfig() == OperatorConfig.model_validate(DEFAULTS)


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("PLEDGE_OUTPUT", "prometheus", "Input should be 'prometheusrule' or 'configmap'"),
    ("PLEDGE_RULE_LABELS", "release", 'expected KEY=VALUE, got "release"'),
    ("PLEDGE_STATUS_INTERVAL", "0", "greater than 0"),
    ("PLEDGE_PREDICTION_INTERVAL", "-1", "greater than 0"),
    ("PLEDGE_RETRY_DELAY", "soon", "valid number"),
])
def test_a_bad_variable_is_named(environ: pytest.MonkeyPatch, variable: str, value: str, message: str) -> None:
    environ.setenv(variable, value)
    with pytest.raises(ValidationError) as raised:
        OperatorConfig()
    assert [(error["loc"], message in error["msg"]) for error in raised.value.errors()] == [((variable,), True)]


def test_the_clock_is_set_in_code_only(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("PLEDGE_CLOCK", "1")
    config = OperatorConfig(prometheus_url="http://prom:9090", status_interval=1, clock=fixed(NOW))
    assert config.clock() == NOW
    assert OperatorConfig().clock is system
    assert config == OperatorConfig(prometheus_url="http://prom:9090", status_interval=1)
    assert "clock" not in config.model_dump()
    for name, value in (("status_interval", 2), ("clock", system)):
        with pytest.raises(ValidationError, match="frozen"):
            setattr(config, name, value)


class Started(Exception):
    """Raised where `pledge operator` would register its handlers: the config it built is all a test needs."""


def test_cli_options_win_over_the_environment(environ: pytest.MonkeyPatch) -> None:
    built: list[OperatorConfig] = []

    def register(_registry: object, config: OperatorConfig) -> None:
        built.append(config)
        raise Started

    environ.setattr(operator_command, "register", register)
    result = CliRunner().invoke(operator, ["--status-interval", "120", "--rule-label", "release=kps"],
                                env={"PLEDGE_OUTPUT": "configmap", "PLEDGE_STATUS_INTERVAL": "60",
                                     "PLEDGE_RULE_LABELS": "team=sre"})
    assert isinstance(result.exception, Started)
    assert built[0].model_dump() == {**DEFAULTS, "output": "configmap", "status_interval": 120.0,
                                     "labels": {"release": "kps"}}  # a given option replaces its variable


def test_cli_names_a_bad_variable(environ: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(operator, [], env={"PLEDGE_PREDICTION_INTERVAL": "-1"})
    assert result.exit_code == 2
    assert "PLEDGE_PREDICTION_INTERVAL" in result.output and "greater than 0" in result.output


IMPORTS = """
import json, sys, kopf
registry = kopf.get_default_registry()
subs = (registry._activities, registry._indexing, registry._watching, registry._spawning, registry._changing)
added = {}
for module in sys.argv[1:]:
    before = [h.id for sub in subs for h in sub.get_all_handlers()]
    __import__(module)
    added[module] = sorted({str(h.id) for sub in subs for h in sub.get_all_handlers() if h.id not in before})
print(json.dumps(added))
"""


def test_only_the_kopf_run_module_registers_on_import() -> None:
    """In a fresh interpreter, in order: what each import adds to kopf's default registry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
    modules = ["pledge.operator", "pledge.commands.operator", "pledge.operator.kopf_main"]
    done = subprocess.run([sys.executable, "-c", IMPORTS, *modules], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**env, "PYTHONPATH": str(ROOT), "PLEDGE_PROMETHEUS_URL": "http://prom:9090"})
    assert json.loads(done.stdout) == {
        "pledge.operator": [], "pledge.commands.operator": [],
        "pledge.operator.kopf_main": ["Operator.cleanup", "Operator.login", "Operator.restore", "Operator.startup",
                                      "reconcile", "reconciled", "slas", "status"],  # status timer: the URL was read
    }


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
