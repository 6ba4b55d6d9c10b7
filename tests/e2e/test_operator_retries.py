"""API errors are retried until their cause is gone (kopf on kmock): a 403 on creating the rule object (an
RBAC rule an admin adds later), a 422 on the status patch, and the transient 409, 429 and 5xx are
reported in status (the API server's reason and message) and, unless a blip, in a Warning Event, and
retried with backoff until the SLA is Ready, without any change to the SLA. An invalid SLA is not retried.

The API server here refuses the way kube-apiserver does: a Status body with code, reason and message,
and nothing stored (kmock's own reactions answer an error but store the object all the same, which
would hide whether a retry really writes). Waits are bounded and wake on the server's writes.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp.web
import kmock
import pytest

from pledge.operator import OperatorConfig
from pledge.operator.objects import desired
from pledge.sla import parse_sla
from tests.support.cluster import RULES, SLAS, WRITES, ApiServer, Cluster, condition, emulated, example, running

NAMESPACE, NAME, RULE = "platform", "api-availability", "pledge-api-availability"
CONFIG = OperatorConfig(retry_delay=0.1, max_retry_delay=0.4)
FORBIDDEN = ('prometheusrules.monitoring.coreos.com is forbidden: User "system:serviceaccount:monitoring:pledge" '
             'cannot create resource "prometheusrules" in API group "monitoring.coreos.com" in the namespace "platform"')
INVALID = (f'ServiceLevelAgreement.pledge.dev "{NAME}" is invalid: status.conditions[0].message: '
           'Too long: may not be more than 32768 bytes')
TOO_MANY = "storage is (re)initializing"


@dataclass
class Refusal:
    """Answer the first ``times`` matching requests with ``code`` (kube-apiserver's Status body)."""

    action: kmock.action
    plural: str
    subresource: str | None
    code: int
    reason: str
    message: str
    times: int
    at: list[float] = field(default_factory=list)  # when each refused request came (monotonic)

    def refuses(self, request: Any) -> bool:
        return (len(self.at) < self.times and request.action == self.action and request.resource is not None
                and request.resource.plural == self.plural and request.subresource == self.subresource)

    def answer(self) -> aiohttp.web.StreamResponse:
        self.at.append(time.monotonic())
        return aiohttp.web.json_response({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": self.message, "reason": self.reason, "code": self.code}, status=self.code)


class Refusing(ApiServer):
    """The emulated API server, refusing what the test scripts, and telling waiters about every write."""

    refusals: list[Refusal]
    written: asyncio.Condition

    async def _handle(self, request: Any) -> Any:
        for refusal in self.refusals:
            if refusal.refuses(request):
                return refusal.answer()
        metadata = request.data.get("metadata") if isinstance(request.data, dict) else None
        if request.action == kmock.action.CREATE and isinstance(metadata, dict) and not metadata.get("name") \
                and metadata.get("generateName"):  # as kube-apiserver names kopf's Events (kmock would not)
            metadata["name"] = f"{metadata['generateName']}{uuid.uuid4().hex[:5]}"
        try:
            return await super()._handle(request)
        finally:
            if request.action in WRITES:
                async with self.written:
                    self.written.notify_all()


@pytest.fixture
async def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Refusing, Cluster]]:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    emulator = Refusing()
    emulator.refusals, emulator.written = [], asyncio.Condition()
    async with emulated(emulator, tmp_path / "kubeconfig") as cluster:
        yield emulator, cluster


async def until(server: Refusing, check: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Wait for ``check`` to hold, re-checking after each write the server stores; fail after ``timeout`` s."""
    async with server.written:
        try:
            await asyncio.wait_for(server.written.wait_for(check), timeout)
        except TimeoutError:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}") from None


def statuses(cluster: Cluster) -> list[dict[str, Any]]:
    """Every status the SLA has shown, oldest first (a write that left it as it was adds none)."""
    shown: list[dict[str, Any]] = []
    for version in cluster.emulator.objects[SLAS, NAMESPACE, NAME].history:
        status = dict(version.raw).get("status", {}) if version is not None else {}
        if not shown or status != shown[-1]:
            shown.append(status)
    return shown


def is_ready(cluster: Cluster) -> bool:
    status = cluster.get(SLAS, NAMESPACE, NAME).get("status", {})
    return status.get("observedGeneration") == 1 and any(
        c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", []))


def settled(cluster: Cluster) -> bool:
    """kopf has handled the SLA's spec for good: the spec is its diff base, and no retry is pending."""
    annotations = cluster.get(SLAS, NAMESPACE, NAME)["metadata"].get("annotations") or {}
    return "pledge.dev/last-handled-configuration" in annotations and "pledge.dev/reconcile" not in annotations


def failing(cluster: Cluster, reason: str) -> list[dict[str, Any]]:
    """The stored statuses whose Ready condition is False for ``reason``."""
    return [s for s in statuses(cluster) if any(
        c["type"] == "Ready" and c["status"] == "False" and c["reason"] == reason for c in s.get("conditions", []))]


def rule_versions(cluster: Cluster) -> list[dict[str, Any]]:
    return [dict(v.raw) for v in cluster.emulator.objects[RULES, NAMESPACE, RULE].history if v is not None]


def assert_rules_written_whole_once(cluster: Cluster, sla: dict[str, Any]) -> None:
    """One stored version of the rule object, holding every rule of the SLA: nothing partial."""
    wanted = desired(parse_sla(example(f"{NAME}.yaml")), sla, OperatorConfig()).body
    [only] = rule_versions(cluster)
    assert only["spec"] == wanted["spec"]
    assert only["metadata"]["annotations"] == wanted["metadata"]["annotations"]
    assert only["metadata"]["ownerReferences"] == wanted["metadata"]["ownerReferences"]


def assert_sla_unchanged(cluster: Cluster, document: dict[str, Any]) -> None:
    """Ready came without any change to the SLA: still generation 1, the spec as created."""
    sla = cluster.get(SLAS, NAMESPACE, NAME)
    assert sla["metadata"]["generation"] == 1 and sla["spec"] == document["spec"]


def assert_backoff(at: list[float], config: OperatorConfig) -> None:
    """Each retry waited at least its backoff step: 0.1, 0.2, 0.4, 0.4 … s (doubling, capped)."""
    gaps = [b - a for a, b in itertools.pairwise(at)]
    assert all(gap >= 0.9 * config.backoff(n) for n, gap in enumerate(gaps)), gaps


async def test_a_forbidden_create_is_retried_until_rbac_allows_it(server: tuple[Refusing, Cluster]) -> None:
    """403 on creating the PrometheusRule (the Role lacks `create`), four times, then 201."""
    api, cluster = server
    refusal = Refusal(kmock.action.CREATE, "prometheusrules", None, 403, "Forbidden", FORBIDDEN, times=4)
    api.refusals.append(refusal)
    document = example(f"{NAME}.yaml")
    async with running(CONFIG):
        sla = await cluster.create_sla(copy.deepcopy(document))
        await until(api, lambda: bool(failing(cluster, "Forbidden")), what="Ready=False, Forbidden")
        assert not cluster.exists(RULES, NAMESPACE, RULE)
        await until(api, lambda: is_ready(cluster) and settled(cluster), what="Ready once the create is allowed")

    assert len(refusal.at) == 4
    assert_backoff(refusal.at, CONFIG)
    down = failing(cluster, "Forbidden")[0]
    ready, applied = condition(down, "Ready"), condition(down, "RulesApplied")
    assert (applied["status"], applied["reason"]) == ("False", "Forbidden")
    for cond in (ready, applied):
        assert f"create PrometheusRule {NAMESPACE}/{RULE}: 403" in cond["message"]
        assert 'cannot create resource "prometheusrules"' in cond["message"]  # the API server's own words
    assert condition(down, "Valid")["status"] == "True"
    assert "rules" not in down and "revision" not in down  # nothing claimed before it is written

    assert_rules_written_whole_once(cluster, sla)
    assert_sla_unchanged(cluster, document)
    final = cluster.get(SLAS, NAMESPACE, NAME)["status"]
    assert all(c["status"] == "True" for c in final["conditions"])
    assert condition(final, "Ready")["reason"] == "RulesApplied"
    warnings = cluster.events(NAME)
    assert [(e["type"], e["reason"]) for e in warnings] == [("Warning", "Forbidden")]  # news once, not per retry
    assert "403" in warnings[0]["message"] and "cannot create resource" in warnings[0]["message"]


@pytest.mark.parametrize("times", [1, 3], ids=["once", "three-times"])
async def test_a_rejected_status_patch_is_retried_until_accepted(server: tuple[Refusing, Cluster], times: int) -> None:
    """422 on patching the SLA's status (once: the short failure report is accepted; three times: the
    report too is refused once, so the next attempt reports), then 200: Ready, the rules written once."""
    api, cluster = server
    refusal = Refusal(kmock.action.UPDATE, "servicelevelagreements", "status", 422, "Invalid", INVALID, times)
    api.refusals.append(refusal)
    document = example(f"{NAME}.yaml")
    async with running(CONFIG):
        sla = await cluster.create_sla(copy.deepcopy(document))
        await until(api, lambda: bool(failing(cluster, "Invalid")), what="Ready=False, Invalid")
        await until(api, lambda: is_ready(cluster) and settled(cluster), what="Ready once the status is accepted")

    assert len(refusal.at) == times
    [down] = failing(cluster, "Invalid")
    ready = condition(down, "Ready")
    assert f"patch status of ServiceLevelAgreement {NAMESPACE}/{NAME}: 422" in ready["message"]
    assert "Too long: may not be more than 32768 bytes" in ready["message"]
    assert "observedGeneration" not in down  # the generation is not reported as handled before it is

    assert_rules_written_whole_once(cluster, sla)
    assert_sla_unchanged(cluster, document)
    final = cluster.get(SLAS, NAMESPACE, NAME)["status"]
    assert final["observedGeneration"] == 1 and final["revision"] == 1
    assert all(c["status"] == "True" for c in final["conditions"])
    warnings = cluster.events(NAME)
    # one per attempt whose failure the status could not show yet
    assert [(e["type"], e["reason"]) for e in warnings] == [("Warning", "Invalid")] * (1 if times == 1 else 2)
    assert "422" in warnings[0]["message"]


@pytest.mark.parametrize(("code", "reason"), [
    (409, "AlreadyExists"), (429, "TooManyRequests"), (500, "InternalError"), (503, "ServiceUnavailable"),
])
async def test_transient_errors_are_retried_quietly_then_reported(server: tuple[Refusing, Cluster], code: int,
                                                                  reason: str) -> None:
    """A transient failure is in status at once; a Warning Event only once it persists (third failure)."""
    api, cluster = server
    refusal = Refusal(kmock.action.CREATE, "prometheusrules", None, code, reason, TOO_MANY, times=1)
    api.refusals.append(refusal)
    async with running(CONFIG):
        sla = await cluster.create_sla(example(f"{NAME}.yaml"))
        await until(api, lambda: is_ready(cluster) and settled(cluster), what="Ready after a blip")
        assert cluster.events(NAME) == []  # no Warning for a blip

        await cluster.delete(SLAS, NAMESPACE, NAME)
        await until(api, lambda: not cluster.exists(SLAS, NAMESPACE, NAME), what="SLA deleted")
        await cluster.delete(RULES, NAMESPACE, RULE)  # Kubernetes' garbage collector would
        refusal.times += 3
        sla = await cluster.create_sla(example(f"{NAME}.yaml"))
        await until(api, lambda: is_ready(cluster) and settled(cluster), what="Ready after a persistent fault")

    assert len(refusal.at) == 4
    assert_backoff(refusal.at[1:], CONFIG)
    down = failing(cluster, reason)[-1]
    assert f"create PrometheusRule {NAMESPACE}/{RULE}: {code}" in condition(down, "RulesApplied")["message"]
    warnings = cluster.events(NAME)
    assert [(e["type"], e["reason"]) for e in warnings] == [("Warning", reason)]  # one, for the third failure
    assert rule_versions(cluster)[-1]["metadata"]["ownerReferences"][0]["uid"] == sla["metadata"]["uid"]


async def test_an_invalid_spec_is_reported_once_and_not_retried(server: tuple[Refusing, Cluster]) -> None:
    """Our own validation is permanent: once the status says so (after a refused status patch, retried),
    one InvalidSpec Event, no rules, and kopf holds no pending retry."""
    api, cluster = server
    refusal = Refusal(kmock.action.UPDATE, "servicelevelagreements", "status", 422, "Invalid", INVALID, times=1)
    api.refusals.append(refusal)
    document = example(f"{NAME}.yaml")
    document["spec"]["objectives"][0]["sli"]["ratio"]["errors"] = 'http_requests_total{code=~"5..'
    async with running(CONFIG):
        await cluster.create_sla(document)  # the CRD's schema cannot see into PromQL: the API server stores it
        await until(api, lambda: settled(cluster) and bool(failing(cluster, "InvalidSpec"))
                    and len(cluster.events(NAME)) == 2, what="InvalidSpec reported")

    assert len(refusal.at) == 1
    valid = condition(cluster.get(SLAS, NAMESPACE, NAME)["status"], "Valid")
    assert (valid["status"], valid["reason"]) == ("False", "InvalidSpec")
    # one Event for the refused status patch, one for the invalid spec; nothing after
    assert sorted((e["type"], e["reason"]) for e in cluster.events(NAME)) == [("Warning", "Invalid"), ("Warning", "InvalidSpec")]
    assert not cluster.exists(RULES, NAMESPACE, RULE)
