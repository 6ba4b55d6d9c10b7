"""A cluster for the real kopf operator: kmock.KubernetesEmulator, a real HTTP server with list/watch/patch.

The emulator keeps objects as plain JSON (no defaulting, no garbage collection, no schema checks,
no uid, resourceVersion or generation of its own), so ApiServer adds what a kube-apiserver would
set, ``admit`` checks SLAs against the CRD, and the tests check ownerReferences themselves.
Nothing is mocked in pledge.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kmock
import kopf
import yaml

from pledge.operator import Operator, OperatorConfig, register
from tests.support.crd_schema import SCHEMA, cel_failures, schema_errors

SLAS = "pledge.dev/v1alpha1/servicelevelagreements"


RULES = "monitoring.coreos.com/v1/prometheusrules"


REVISIONS = "pledge.dev/v1alpha1/slarevisions"


CONFIGMAPS = "v1/configmaps"


EVENTS = "v1/events"


VERBS = {"get", "list", "watch", "create", "patch", "delete"}


WRITES = (kmock.action.CREATE, kmock.action.UPDATE)


def declare(emulator: kmock.KubernetesEmulator) -> None:
    """What discovery must show for kopf to start watching (see DESIGN.md, Testing)."""
    emulator.resources[SLAS] = kmock.ResourceInfo(
        kind="ServiceLevelAgreement", namespaced=True, verbs=VERBS, subresources={"status"}, shortnames={"sla"})
    emulator.resources[RULES] = kmock.ResourceInfo(kind="PrometheusRule", namespaced=True, verbs=VERBS)
    emulator.resources[REVISIONS] = kmock.ResourceInfo(kind="SLARevision", namespaced=True, verbs=VERBS)
    emulator.resources[CONFIGMAPS] = kmock.ResourceInfo(kind="ConfigMap", namespaced=True, verbs=VERBS)
    emulator.resources[EVENTS] = kmock.ResourceInfo(kind="Event", namespaced=True, verbs=VERBS)
    emulator.resources["v1/namespaces"] = kmock.ResourceInfo(
        kind="Namespace", namespaced=False, verbs={"get", "list", "watch"})


class ApiServer(kmock.KubernetesEmulator):
    """kmock plus what a kube-apiserver adds on writes: uid, resourceVersion, and generation + 1 on a spec change.

    Without fresh resourceVersions kopf cannot tell the echo of its own patches from new versions.
    """

    versions = itertools.count(1)

    async def _handle(self, request: Any) -> Any:
        if request.resource is not None and isinstance(request.data, dict) and request.action in WRITES:
            self.stamp(request)
        return await super()._handle(request)

    def stamp(self, request: Any) -> None:
        metadata = request.data.setdefault("metadata", {})
        metadata["resourceVersion"] = str(next(self.versions))
        if request.action == kmock.action.CREATE:
            metadata.setdefault("uid", str(uuid.uuid4()))
            metadata.setdefault("generation", 1)
            metadata.setdefault("creationTimestamp", "2026-11-23T00:00:00Z")
        elif "spec" in request.data and request.subresource is None:
            current = self.objects[request.resource, request.namespace, request.name]
            metadata["generation"] = current.get("metadata", {}).get("generation", 0) + 1
        if "spec" in request.data and request.subresource is None and request.params.get("fieldManager"):
            self.manage(request, metadata)

    def manage(self, request: Any, metadata: dict[str, Any]) -> None:
        """managedFields as the API server keeps them: the writer of the spec (``?fieldManager=``)
        gets one Update entry owning it, stamped with a time that grows with every write."""
        manager = request.params["fieldManager"]
        current: list[dict[str, Any]] = []
        if request.action != kmock.action.CREATE:
            current = self.objects[request.resource, request.namespace, request.name].get(
                "metadata", {}).get("managedFields") or []
        moment = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1795392000 + int(metadata["resourceVersion"])))
        entry = {"manager": manager, "operation": "Update", "apiVersion": "pledge.dev/v1alpha1", "time": moment,
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {".": {}}}}
        metadata["managedFields"] = [e for e in current if e.get("manager") != manager] + [entry]


class LeanApiServer(ApiServer):
    """Remembers only the requests still in flight.

    kmock routes each request by re-filtering every request recorded so far (quadratic in the
    request count), which hundreds of SLAs cannot afford. Reactions that count requests
    (``emulator[...][:n]``) and request assertions need the plain ApiServer.
    """

    async def _handle(self, request: Any) -> Any:
        try:
            return await super()._handle(request)
        finally:
            self._requests[:] = [r for r in self._requests if r is not request]


def path_of(resource: str, namespace: str, name: str | None = None) -> str:
    group_version, plural = resource.rsplit("/", 1)
    prefix = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
    return f"{prefix}/namespaces/{namespace}/{plural}" + (f"/{name}" if name else "")


def managed_by(manager: str | None) -> str:
    return f"?fieldManager={manager}" if manager else ""


def admit(document: dict[str, Any]) -> None:
    """What the API server checks before storing an SLA: the CRD's schema and its CEL rules."""
    problems = [f"{path}: {message}" for path, message in schema_errors(document)]
    problems += cel_failures(SCHEMA, document)
    assert not problems, f"the API server would reject this SLA: {problems}"


@dataclass
class Cluster:
    """The emulator plus what the API server would do on writes: uid, resourceVersion, generation."""

    emulator: kmock.KubernetesEmulator
    url: str

    async def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        # A fresh connection per request: at exit, kopf cancels every task started after it, and
        # that would include the server side of a kept-alive test connection.
        headers = {"Connection": "close"}
        if method == "PATCH":
            headers["Content-Type"] = "application/merge-patch+json"
        async with self.emulator.request(method, path, json=body, headers=headers) as response:
            assert response.status < 300, f"{method} {path}: {response.status} {await response.text()}"
            result: dict[str, Any] = await response.json()
            return result

    async def create_sla(self, document: dict[str, Any], manager: str | None = None) -> dict[str, Any]:
        """Create an SLA; ``manager``: the field manager writing it (kept in managedFields)."""
        admit(document)
        return await self.send("POST", path_of(SLAS, document["metadata"]["namespace"]) + managed_by(manager),
                               copy.deepcopy(document))

    async def update_spec(self, namespace: str, name: str, spec: dict[str, Any], manager: str | None = None,
                          annotations: dict[str, str] | None = None) -> None:
        """A spec change, as kubectl apply makes it (the ApiServer raises the generation), with
        ``annotations`` set in the same write and ``manager`` as its field manager."""
        admit({**self.get(SLAS, namespace, name), "spec": spec, "status": {}})
        body: dict[str, Any] = {"spec": spec, **({"metadata": {"annotations": annotations}} if annotations else {})}
        await self.send("PATCH", path_of(SLAS, namespace, name) + managed_by(manager), body)

    async def delete(self, resource: str, namespace: str, name: str) -> None:
        await self.send("DELETE", path_of(resource, namespace, name))

    def get(self, resource: str, namespace: str, name: str) -> dict[str, Any]:
        return copy.deepcopy(self.emulator.objects[resource, namespace, name].raw)

    def exists(self, resource: str, namespace: str, name: str) -> bool:
        try:
            return not self.emulator.objects[resource, namespace, name].deleted
        except KeyError:
            return False

    def events(self, name: str) -> list[dict[str, Any]]:
        return [obj.raw for key, obj in self.emulator.objects.items()
                if key[0].plural == "events" and not obj.deleted
                and obj.raw.get("involvedObject", {}).get("name") == name]


async def eventually(check: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Poll until ``check()`` holds; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


def write_kubeconfig(path: Path, server: str) -> Path:
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "kmock",
        "clusters": [{"name": "kmock", "cluster": {"server": server}}],
        "users": [{"name": "test", "user": {"token": "test"}}],
        "contexts": [{"name": "kmock", "context": {"cluster": "kmock", "user": "test"}}],
    }))
    return path


@asynccontextmanager
async def emulated(emulator: kmock.KubernetesEmulator, kubeconfig: Path) -> AsyncIterator[Cluster]:
    """An emulated API server and a kubeconfig pointing at it (the operator's production login path)."""
    async with emulator, kmock.Server(emulator) as server:
        declare(emulator)
        url = str(server.url).rstrip("/")
        write_kubeconfig(kubeconfig, url)
        yield Cluster(emulator, url)


@asynccontextmanager
async def running(config: OperatorConfig, liveness: str | None = None,
                  namespaces: tuple[str, ...] = ()) -> AsyncIterator[Operator]:
    """The real kopf operator in this event loop (a blocking runner thread would freeze kmock)."""
    registry = kopf.OperatorRegistry()
    operator = register(registry, config)
    task = asyncio.create_task(kopf.operator(
        registry=registry, standalone=True, clusterwide=not namespaces, namespaces=namespaces,
        stop_flag=asyncio.Event(), liveness_endpoint=liveness))
    try:
        yield operator
    finally:
        # Cancelling (not the stop flag) ends it at once: with a stop flag kopf gives every task
        # started after it, kmock's open watch streams included, five seconds to finish.
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=15)


# --- the examples as SLA resources, and their status -----------------------------------------------

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text())
    return document


def condition(status: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(c for c in status.get("conditions", []) if c["type"] == kind)


def ready(cluster: Cluster, namespace: str, name: str, generation: int = 1) -> bool:
    status = cluster.get(SLAS, namespace, name).get("status", {})
    return status.get("observedGeneration") == generation and any(
        c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", []))
