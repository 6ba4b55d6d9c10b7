"""The operator's revisions end to end (kopf on kmock): every accepted spec recorded once as an
SLARevision object, numbered per SLA name, kept across restarts, conflicts, API errors and deletion."""

from __future__ import annotations

import copy
from typing import Any

import kmock
import pytest

from pledge.operator import OperatorConfig
from pledge.sla import parse_sla
from pledge.sla.revisions import spec_hash, spec_of
from tests.support.cluster import (
    REVISIONS, RULES, SLAS, Cluster, condition, eventually, example, path_of, ready, running)

NAMESPACE, NAME = "platform", "api-availability"
REVISION_RESOURCE = kmock.resource("pledge.dev", "v1alpha1", "slarevisions")


def revisions(cluster: Cluster, name: str = NAME) -> list[dict[str, Any]]:
    """The SLA's revision objects by number."""
    found = [obj.raw for key, obj in cluster.emulator.objects.items()
             if key[0].plural == "slarevisions" and not obj.deleted
             and obj.raw["metadata"].get("labels", {}).get("pledge.dev/sla") == name]
    return sorted(found, key=lambda o: int(o["spec"]["number"]))


def status(cluster: Cluster) -> dict[str, Any]:
    result: dict[str, Any] = cluster.get(SLAS, NAMESPACE, NAME).get("status", {})
    return result


def at_revision(cluster: Cluster, number: int, generation: int) -> bool:
    return ready(cluster, NAMESPACE, NAME, generation) and status(cluster).get("revision") == number


def stored_statuses(cluster: Cluster) -> list[dict[str, Any]]:
    versions = cluster.emulator.objects[SLAS, NAMESPACE, NAME]
    return [dict(v.raw).get("status", {}) for v in versions.history if v is not None]


def with_target(document: dict[str, Any], target: str) -> dict[str, Any]:
    spec: dict[str, Any] = copy.deepcopy(document["spec"])
    spec["objectives"][0]["target"] = target
    return spec


async def test_each_accepted_change_is_one_revision_and_status_follows(cluster: Cluster) -> None:
    document = example("api-availability.yaml")
    async with running(OperatorConfig()):
        sla = await cluster.create_sla(document, manager="kubectl-client-side-apply")
        await eventually(lambda: at_revision(cluster, 1, 1), what="revision 1")

        spec = with_target(document, "99.5")
        await cluster.update_spec(NAMESPACE, NAME, spec, manager="helm",
                                  annotations={"pledge.dev/change-reason": "contract renegotiated (CS-42)",
                                               "pledge.dev/changed-by": "jane@example.com"})
        await eventually(lambda: at_revision(cluster, 2, 2), what="revision 2")

        spec = {**spec, "description": "the public API, as customers see it"}
        await cluster.update_spec(NAMESPACE, NAME, spec, manager="argocd-controller")
        await eventually(lambda: at_revision(cluster, 3, 3), what="revision 3")

        # The same spec again (kopf sees no change), then a real change: it is the very next revision.
        await cluster.update_spec(NAMESPACE, NAME, spec, manager="kubectl-client-side-apply")
        await cluster.update_spec(NAMESPACE, NAME, {**spec, "owner": "team-api"}, manager="kubectl-client-side-apply")
        await eventually(lambda: at_revision(cluster, 4, 5), what="revision 4")

    first, second, third, fourth = found = revisions(cluster)
    assert [r["metadata"]["name"] for r in found] == [f"{NAME}-r{n}" for n in (1, 2, 3, 4)]
    assert all(r["metadata"].get("ownerReferences") is None for r in found)  # they outlive the SLA
    assert all(r["metadata"]["labels"]["pledge.dev/sla"] == NAME for r in found)
    assert [r["spec"]["kind"] for r in found] == ["created", "budget-critical", "cosmetic", "cosmetic"]
    assert [r["spec"]["tool"] for r in found] == ["kubectl-client-side-apply", "helm", "argocd-controller",
                                                  "kubectl-client-side-apply"]
    assert first["spec"]["definition"] == spec_of(parse_sla(document))
    assert first["spec"]["sha256"] == spec_hash(first["spec"]["definition"])
    assert first["spec"]["changes"] == [] and "reason" not in first["spec"]
    assert second["spec"]["reason"] == "contract renegotiated (CS-42)"
    assert second["spec"]["author"] == "jane@example.com"
    assert second["spec"]["changes"] == ["objectives[availability].target: 99.9 -> 99.5"]
    assert third["spec"]["changes"] == ["description: added the public API, as customers see it"]
    assert third["spec"]["definition"]["description"] == "the public API, as customers see it"
    assert all(r["spec"]["acceptedAt"].endswith("Z") for r in found)
    recorded = condition(status(cluster), "RevisionRecorded")
    assert (recorded["status"], recorded["reason"]) == ("True", "Recorded")
    assert f"revision 4 (cosmetic, sha256 {fourth['spec']['sha256'][:12]})" in recorded["message"]
    assert sla["metadata"]["uid"]  # the SLA object, not the revisions, carries the uid


async def test_restart_deletion_and_recreation_continue_the_record(cluster: Cluster) -> None:
    document = example("api-availability.yaml")
    async with running(OperatorConfig()):
        await cluster.create_sla(document, manager="kubectl-client-side-apply")
        await eventually(lambda: at_revision(cluster, 1, 1), what="revision 1")
        await cluster.update_spec(NAMESPACE, NAME, with_target(document, "99.5"), manager="kubectl-client-side-apply")
        await eventually(lambda: at_revision(cluster, 2, 2), what="revision 2")
    kept = revisions(cluster)

    async with running(OperatorConfig()) as operator:  # restarted: resumes, records nothing twice
        await eventually(lambda: operator.reconciled == 1, what="resumed")
        assert revisions(cluster) == kept and status(cluster)["revision"] == 2

        await cluster.delete(SLAS, NAMESPACE, NAME)
        await eventually(lambda: not cluster.exists(SLAS, NAMESPACE, NAME), what="SLA deleted")
        await cluster.delete(RULES, NAMESPACE, f"pledge-{NAME}")  # Kubernetes' garbage collector would
        assert revisions(cluster) == kept  # never owned, never deleted with it

        await cluster.create_sla(document, manager="helm")  # the same name again, with revision 1's terms
        await eventually(lambda: at_revision(cluster, 3, 1), what="revision 3 of the re-created SLA")

    found = revisions(cluster)
    assert found[:2] == kept
    third = found[2]["spec"]
    assert (third["number"], third["kind"], third["tool"]) == (3, "budget-critical", "helm")
    assert third["sha256"] == found[0]["spec"]["sha256"]  # a return to earlier terms is a change too
    assert third["changes"] == ["objectives[availability].target: 99.5 -> 99.9"]


@pytest.mark.parametrize(("action", "code", "times"), [
    (kmock.action.CREATE, 500, 1), (kmock.action.CREATE, 403, 1), (kmock.action.LIST, 503, 2), (kmock.action.LIST, 403, 2),
], ids=["create-500", "create-403", "list-503", "list-403"])
async def test_api_errors_on_the_revision_are_reported_then_retried(cluster: Cluster, action: Any, code: int,
                                                                     times: int) -> None:
    """The rules are written first; the revision's failure is a condition and a Warning Event, the
    handler is retried, and once the fault is gone there is exactly one revision. kmock stores a create
    even when it answers with an error, as a server whose answer was lost would: the retry finds the
    object, with the same hash, and writes nothing more; a failed list writes nothing at all."""
    failing = cluster.emulator[action, REVISION_RESOURCE][:times] << code
    async with running(OperatorConfig(retry_delay=0.1, max_retry_delay=0.2)):
        await cluster.create_sla(example("api-availability.yaml"), manager="kubectl-client-side-apply")
        await eventually(lambda: at_revision(cluster, 1, 1), what="revision 1 after the faults")

    assert len(list(failing)) == times
    assert [r["metadata"]["name"] for r in revisions(cluster)] == [f"{NAME}-r1"]
    failed = [s for s in stored_statuses(cluster)
              if any(c["type"] == "RevisionRecorded" and c["status"] == "False" for c in s.get("conditions", []))]
    assert failed, "the failure was never reported in status"
    assert condition(failed[0], "RulesApplied")["status"] == "True"  # rules first: written, and kept
    assert condition(failed[0], "Ready")["reason"] == "RevisionFailed"
    assert "revision" not in failed[0]  # no revision claimed before one is recorded
    assert str(code) in condition(failed[0], "RevisionRecorded")["message"]
    warnings = cluster.events(NAME)
    assert warnings and {(e["type"], e["reason"]) for e in warnings} == {("Warning", "RevisionFailed")}
    assert condition(status(cluster), "RevisionRecorded")["status"] == "True"


def revision_object(name: str, number: int, spec: dict[str, Any], tool: str) -> dict[str, Any]:
    return {"apiVersion": "pledge.dev/v1alpha1", "kind": "SLARevision",
            "metadata": {"name": f"{name}-r{number}", "namespace": NAMESPACE, "labels": {"pledge.dev/sla": name}},
            "spec": {"sla": name, "number": number, "sha256": spec_hash(spec), "acceptedAt": "2026-11-01T00:00:00Z",
                     "tool": tool, "kind": "created", "changes": [], "definition": spec}}


async def test_a_revision_written_by_another_operator_is_not_duplicated(cluster: Cluster) -> None:
    document = example("api-availability.yaml")
    spec = spec_of(parse_sla(document))
    await cluster.send("POST", path_of(REVISIONS, NAMESPACE), revision_object(NAME, 1, spec, "other-operator"))
    async with running(OperatorConfig()):
        await cluster.create_sla(document)
        await eventually(lambda: at_revision(cluster, 1, 1), what="revision 1, found")
    [only] = revisions(cluster)
    assert only["spec"]["tool"] == "other-operator"


async def test_a_number_taken_by_another_definition_moves_to_the_next(cluster: Cluster) -> None:
    """A revision object the list does not show (no label) holds r2 with other terms: AlreadyExists
    with another hash, so the operator records the change as r3."""
    document = example("api-availability.yaml")
    async with running(OperatorConfig()):
        await cluster.create_sla(document)
        await eventually(lambda: at_revision(cluster, 1, 1), what="revision 1")
        squatter = revision_object(NAME, 2, spec_of(parse_sla({**document, "spec": with_target(document, "95")})), "x")
        squatter["metadata"]["labels"] = {}
        await cluster.send("POST", path_of(REVISIONS, NAMESPACE), squatter)
        await cluster.update_spec(NAMESPACE, NAME, with_target(document, "99.5"))
        await eventually(lambda: at_revision(cluster, 3, 2), what="revision 3")
    numbers = [(r["spec"]["number"], r["spec"]["kind"]) for r in revisions(cluster)]
    assert numbers == [(1, "created"), (3, "budget-critical")]
    assert cluster.get(REVISIONS, NAMESPACE, f"{NAME}-r2")["spec"]["tool"] == "x"  # never updated


async def test_an_invalid_spec_makes_no_revision(cluster: Cluster) -> None:
    document = example("api-availability.yaml")
    async with running(OperatorConfig(retry_delay=0.05)):
        await cluster.create_sla(document)
        await eventually(lambda: at_revision(cluster, 1, 1), what="revision 1")
        broken = copy.deepcopy(document["spec"])
        broken["objectives"][0]["sli"]["ratio"]["errors"] = 'http_requests_total{code=~"5..'
        await cluster.update_spec(NAMESPACE, NAME, broken)
        await eventually(lambda: condition(status(cluster), "Valid")["status"] == "False", what="invalid")
    assert len(revisions(cluster)) == 1
    assert status(cluster)["revision"] == 1  # the last accepted spec is still the one in force
