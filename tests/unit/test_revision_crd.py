"""The SLARevision CRD (generated like the SLA's), and the pure parts of the operator's revisions:
the field manager of the latest spec write, the revision object, and the API's reading of them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from celpy.adapter import json_to_cel

from pledge.api.sources import recorded_history
from pledge.operator.revisions import field_manager, proposal, revision_object
from pledge.sla.crd import (
    CRD_FILENAME, REVISION_CRD_FILENAME, SLARevisionSpec, build_crd, build_revision_crd, revision_crd_yaml,
    revision_label, revision_name)
from pledge.sla.revisions import spec_hash, spec_of
from tests.support.crd_schema import program
from tests.support.slas import sla

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = ("python -c 'from pledge.sla.crd import revision_crd_yaml; print(revision_crd_yaml(), end=\"\")' "
              f"> crds/{REVISION_CRD_FILENAME}")
SCHEMA: dict[str, Any] = build_revision_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


@pytest.mark.parametrize("folder", ["crds", "helm/pledge/crds"])
def test_committed_revision_crd_is_current(folder: str) -> None:
    committed = ROOT / folder / REVISION_CRD_FILENAME
    assert committed.exists() and committed.read_text() == revision_crd_yaml(), f"stale CRD: {REGENERATE}"


def test_same_group_and_version_as_the_sla_crd_namespaced_without_status() -> None:
    crd, sla_crd = build_revision_crd(), build_crd()
    assert crd["metadata"]["name"] == "slarevisions.pledge.dev" != CRD_FILENAME
    assert crd["spec"]["group"] == sla_crd["spec"]["group"] and crd["spec"]["scope"] == "Namespaced"
    assert [v["name"] for v in crd["spec"]["versions"]] == [v["name"] for v in sla_crd["spec"]["versions"]]
    assert crd["spec"]["names"]["kind"] == "SLARevision" and crd["spec"]["names"]["plural"] == "slarevisions"
    assert "subresources" not in crd["spec"]["versions"][0]
    spec = SCHEMA["properties"]["spec"]
    assert spec["properties"]["definition"] == {
        "type": "object", "x-kubernetes-preserve-unknown-fields": True, "description": "the full canonical spec accepted"}
    assert set(spec["required"]) == {"sla", "number", "sha256", "acceptedAt", "kind", "definition"}


def test_the_spec_is_immutable_by_a_transition_rule() -> None:
    [rule] = SCHEMA["properties"]["spec"]["x-kubernetes-validations"]
    assert rule["rule"] == "self == oldSelf"
    same = {"self": json_to_cel({"number": 1}), "oldSelf": json_to_cel({"number": 1})}
    changed = {"self": json_to_cel({"number": 2}), "oldSelf": json_to_cel({"number": 1})}
    assert bool(program(rule["rule"]).evaluate(same)) and not bool(program(rule["rule"]).evaluate(changed))


def entry(manager: str, time: str, fields: dict[str, Any], operation: str = "Update", **more: Any) -> dict[str, Any]:
    return {"manager": manager, "operation": operation, "time": time, "fieldsType": "FieldsV1", "fieldsV1": fields, **more}


def test_the_tool_is_the_manager_of_the_latest_spec_write() -> None:
    metadata = {"managedFields": [
        entry("kubectl-client-side-apply", "2026-11-01T00:00:00Z", {"f:spec": {}}),
        entry("argocd-controller", "2026-11-03T00:00:00Z", {"f:spec": {"f:owner": {}}}, operation="Apply"),
        entry("kopf", "2026-11-04T00:00:00Z", {"f:metadata": {"f:annotations": {}}}),  # not the spec
        entry("pledge", "2026-11-05T00:00:00Z", {"f:status": {}}, subresource="status"),
        entry("helm", "2026-11-02T00:00:00Z", {"f:spec": {}}),
    ]}
    assert field_manager(metadata) == "argocd-controller"
    assert field_manager({}) is None
    assert field_manager({"managedFields": [entry("kopf", "2026-11-04T00:00:00Z", {"f:metadata": {}})]}) is None


def test_a_proposal_becomes_a_valid_unowned_object() -> None:
    first, changed = sla("checkout", "shop"), sla("checkout", "shop", target="99.5")
    metadata = {"annotations": {"pledge.dev/change-reason": "CS-42"},
                "managedFields": [entry("helm", "2026-11-02T00:00:00Z", {"f:spec": {}})]}
    one = proposal(first, {}, None, 1, 1_795_000_000)
    two = proposal(changed, metadata, one, 2, 1_795_000_060)
    assert (one.kind, one.changes, one.tool, one.reason) == ("created", [], None, None)
    assert (two.kind, two.tool, two.reason, two.number) == ("budget-critical", "helm", "CS-42", 2)
    assert two.changes == ["objectives[availability].target: 99.9 -> 99.5"]
    body = revision_object("shop", two)
    assert body["metadata"]["name"] == "checkout-r2" and "ownerReferences" not in body["metadata"]
    assert body["metadata"]["labels"]["pledge.dev/sla"] == "checkout"
    jsonschema.Draft4Validator(SCHEMA).validate(body)
    assert SLARevisionSpec.model_validate(body["spec"]) == two
    assert body["spec"]["acceptedAt"] == "2026-11-18T11:07:40Z"  # 1_795_000_060 in UTC


def test_the_api_reads_the_objects_into_a_history() -> None:
    first, changed = sla("checkout", "shop"), sla("checkout", "shop", description="renamed")
    one = revision_object("shop", proposal(first, {}, None, 1, 1_795_000_000))
    two = revision_object("shop", proposal(changed, {}, SLARevisionSpec.model_validate(one["spec"]), 2, 1_795_000_060))
    history = recorded_history(changed, [two, one])
    assert history.known and history.notes == () and [r.number for r in history.revisions] == [1, 2]
    assert history.current.kind == "cosmetic" and history.current.changes == ("description",)
    assert history.current.sha256 == spec_hash(spec_of(changed))

    later = recorded_history(first, [one, two])  # the SLA's current spec is not the newest recorded one
    assert "is not recorded yet" in later.notes[0]
    gap = copy.deepcopy(two)
    gap["spec"]["number"] = 3
    assert "revision number(s) 2 not found" in recorded_history(changed, [one, gap]).notes[0]
    none = recorded_history(first, [])
    assert not none.known and "recorded no revision" in str(none.note)


def test_long_sla_names_still_make_valid_names_and_labels() -> None:
    long = "a" * 245 + ".example"  # 253: the longest name an SLA may have
    assert revision_name("checkout", 12) == "checkout-r12" and revision_label("checkout") == "checkout"
    name, label = revision_name(long, 12), revision_label(long)
    assert len(name) == 253 and name.endswith("-r12") and name != revision_name(long[:-1] + "x", 12)
    assert len(label) == 63 and label[-1].isalnum() and label != revision_label(long[:-1] + "x")
