"""The only Kubernetes I/O in pledge besides kopf's own watching: the operator's rule objects and
SLARevisions, and the API's ServiceLevelAgreements (list + watch), SLARevisions and token Secret.

Uses the official client's asyncio flavour (``kubernetes.aio``), configured in-cluster or from
kubeconfig; kopf logs in with the very same credentials, so the operator has one source of
identity. Failures are sorted into transient ones (retry with backoff) and the rest, so callers
never guess from status codes. ``kubernetes`` is an optional dependency (``pledge[operator]``):
import this module only where Kubernetes is wanted.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import AsyncIterator, Awaitable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from kubernetes.aio.client import ApiClient, Configuration, CoreV1Api, CustomObjectsApi
from kubernetes.aio.client.exceptions import ApiException
from kubernetes.aio.client.models import V1ConfigMap
from kubernetes.aio.config import ConfigException, load_incluster_config, load_kube_config
from kubernetes.aio.watch import Watch

from pledge.sla import KIND
from pledge.sla.crd import GROUP, PLURAL, REVISION_KIND, REVISION_LABEL, REVISION_PLURAL, VERSION, revision_label

MERGE_PATCH = "application/merge-patch+json"
TRANSIENT_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
WATCH_SECONDS = 300  # the server ends each watch after this; the caller resumes from the last version


class KubeError(Exception):
    """A failed API call; ``transient`` says whether it is a blip (retrying soon is likely to help).

    ``api_reason`` and ``api_message`` are the API server's own words when it answered with a Status
    (e.g. ``Forbidden`` and "prometheusrules.monitoring.coreos.com is forbidden: User ... cannot create
    ..."); the message is also part of the error's text.
    """

    def __init__(self, action: str, status: int | None, reason: str, *, api_reason: str | None = None,
                 api_message: str | None = None) -> None:
        self.status = status
        self.transient = status is None or status in TRANSIENT_STATUSES
        self.api_reason = api_reason or None
        self.api_message = api_message or None
        text = f"{action}: {status or 'no response'} {reason}".rstrip()
        super().__init__(f"{text}: {api_message}" if api_message else text)


class NoCredentials(Exception):
    """Neither an in-cluster service account nor a usable kubeconfig."""


@dataclass(frozen=True)
class Kind:
    """Where objects of one kind live in the API."""

    group: str
    version: str
    plural: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


SLA_KIND = Kind(GROUP, VERSION, PLURAL, KIND)
REVISIONS = Kind(GROUP, VERSION, REVISION_PLURAL, REVISION_KIND)


@dataclass(frozen=True)
class Listing:
    """Objects as of ``version``: a watch from there misses nothing."""

    items: list[dict[str, Any]]
    version: str


class Kube:
    """One API client: rule objects for the operator, SLAs and a Secret for the API."""

    def __init__(self, configuration: Configuration) -> None:
        self.configuration = configuration
        self.api = ApiClient(configuration)
        self.custom = CustomObjectsApi(self.api)
        self.core = CoreV1Api(self.api)

    @classmethod
    async def connect(cls) -> Kube:
        """In-cluster service account first, then kubeconfig ($KUBECONFIG, read now, or ~/.kube/config)."""
        configuration = Configuration()
        try:
            load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        except ConfigException:
            try:
                await load_kube_config(  # type: ignore[no-untyped-call]
                    config_file=os.environ.get("KUBECONFIG"), client_configuration=configuration)
            except ConfigException as exc:
                raise NoCredentials(f"no in-cluster service account and no usable kubeconfig: {exc}") from None
        return cls(configuration)

    async def close(self) -> None:
        await self.api.close()  # type: ignore[no-untyped-call]

    async def read(self, kind: Kind, namespace: str, name: str) -> dict[str, Any] | None:
        """The live object, or None when it does not exist."""
        return await _found(f"get {kind.kind} {namespace}/{name}", self._read(kind, namespace, name))

    async def _read(self, kind: Kind, namespace: str, name: str) -> Any:
        if kind.group:
            return await self.custom.get_namespaced_custom_object(kind.group, kind.version, namespace, kind.plural, name)
        config_map = await self.core.read_namespaced_config_map(name, namespace)
        return self.api.sanitize_for_serialization(config_map)  # type: ignore[no-untyped-call]

    async def read_sla(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The SLA resource as stored, or None when it is gone."""
        return await self.read(SLA_KIND, namespace, name)

    async def write(self, kind: Kind, body: Mapping[str, Any], exists: bool) -> None:
        """Create the object, or merge-patch it when it ``exists``."""
        namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
        action = f"{'patch' if exists else 'create'} {kind.kind} {namespace}/{name}"
        try:
            if kind.group and exists:
                await self.custom.patch_namespaced_custom_object(
                    kind.group, kind.version, namespace, kind.plural, name, dict(body), _content_type=MERGE_PATCH)
            elif kind.group:
                await self.custom.create_namespaced_custom_object(kind.group, kind.version, namespace, kind.plural, dict(body))
            elif exists:
                await self.core.patch_namespaced_config_map(name, namespace, dict(body), _content_type=MERGE_PATCH)
            else:
                await self.core.create_namespaced_config_map(namespace, V1ConfigMap.model_validate(dict(body)))
        except ApiException as exc:
            raise _error(action, exc) from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise KubeError(action, None, str(exc)) from None

    async def patch_status(self, kind: Kind, namespace: str, name: str, status: Mapping[str, Any]) -> None:
        """Merge-patch a custom object's ``status`` subresource; any failure (the object gone too)
        raises KubeError."""
        action = f"patch status of {kind.kind} {namespace}/{name}"
        try:
            await self.custom.patch_namespaced_custom_object_status(
                kind.group, kind.version, namespace, kind.plural, name, {"status": dict(status)},
                _content_type=MERGE_PATCH)
        except ApiException as exc:
            raise _error(action, exc) from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise KubeError(action, None, str(exc)) from None

    async def create(self, kind: Kind, body: Mapping[str, Any]) -> bool:
        """Create a custom object; False when its name is taken (409 AlreadyExists): the caller reads
        what holds it. Any other failure raises KubeError."""
        namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
        action = f"create {kind.kind} {namespace}/{name}"
        try:
            await self.custom.create_namespaced_custom_object(kind.group, kind.version, namespace, kind.plural, dict(body))
        except ApiException as exc:
            if exc.status == 409:
                return False
            raise _error(action, exc) from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise KubeError(action, None, str(exc)) from None
        return True

    async def list_revisions(self, namespace: str, sla: str) -> list[dict[str, Any]]:
        """The SLARevision objects of the SLA named ``sla`` (by its label; the SLA itself may be gone),
        in no particular order. 404 (the CRD is not installed) raises KubeError."""
        action = f"list {REVISION_KIND} of {namespace}/{sla}"
        label = revision_label(sla)
        found = await _found(action, self.custom.list_namespaced_custom_object(
            GROUP, VERSION, namespace, REVISION_PLURAL, label_selector=f"{REVISION_LABEL}={label}"))
        if found is None:
            raise KubeError(action, 404, f"Not Found (is the {REVISION_PLURAL}.{GROUP} CRD installed?)")
        # The selector again, here (a server or emulator that ignores it must not mix SLAs' records),
        # and the name itself (a long name's label is only a prefix and a hash of it).
        return [item for item in found.get("items") or [] if isinstance(item, dict)
                and (item.get("metadata", {}).get("labels") or {}).get(REVISION_LABEL) == label
                and (item.get("spec") or {}).get("sla", sla) == sla]

    async def list_slas(self, namespace: str | None) -> Listing:
        """Every SLA resource (of one namespace, or of the cluster) and the list's resourceVersion."""
        func, args = self._sla_list(namespace)
        found = await _found(f"list {KIND}", func(*args))
        if found is None:
            raise KubeError(f"list {KIND}", 404, "Not Found (is the CRD installed?)")
        return Listing(list(found.get("items") or []), str(found.get("metadata", {}).get("resourceVersion", "")))

    def _sla_list(self, namespace: str | None) -> tuple[Any, tuple[str, ...]]:
        if namespace is None:
            return self.custom.list_cluster_custom_object, (GROUP, VERSION, PLURAL)
        return self.custom.list_namespaced_custom_object, (GROUP, VERSION, namespace, PLURAL)

    def watch_slas(self, namespace: str | None, version: str) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """(ADDED | MODIFIED | DELETED, object) after ``version``; ends after a while or raises
        KubeError (status 410 when ``version`` is too old: list again)."""
        func, args = self._sla_list(namespace)
        return _events(f"watch {KIND}", func, args, {"resource_version": version})

    async def read_secret(self, namespace: str, name: str) -> tuple[dict[str, str], str] | None:
        """The Secret's data, decoded, and its resourceVersion; None when it does not exist."""
        found = await _found(f"get Secret {namespace}/{name}", self._secret(namespace, name))
        return None if found is None else (decoded(found), str(found["metadata"].get("resourceVersion", "")))

    async def _secret(self, namespace: str, name: str) -> Any:
        return self.api.sanitize_for_serialization(  # type: ignore[no-untyped-call]
            await self.core.read_namespaced_secret(name, namespace))

    async def watch_secret(self, namespace: str, name: str, version: str) -> AsyncIterator[tuple[dict[str, str], str]]:
        """One Secret's data (empty once deleted) and resourceVersion each time it changes after
        ``version`` (selected by name, so RBAC can grant just that one); ends after a while, or
        raises KubeError."""
        options = {"resource_version": version, "field_selector": f"metadata.name={name}"}
        async for kind, obj in _events(f"watch Secret {namespace}/{name}", self.core.list_namespaced_secret,
                                       (namespace,), options):
            if obj.get("metadata", {}).get("name") == name:
                yield {} if kind == "DELETED" else decoded(obj), str(obj["metadata"].get("resourceVersion", ""))


def document(body: Mapping[str, Any]) -> dict[str, Any]:
    """The SLA resource without its status (status is the operator's output, never its input)."""
    return {k: body[k] for k in ("apiVersion", "kind", "metadata", "spec") if k in body}


def decoded(secret: Mapping[str, Any]) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}


async def _events(action: str, func: Any, args: tuple[str, ...],
                  options: dict[str, str]) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    watch = Watch()  # type: ignore[no-untyped-call]
    try:
        async for event in watch.stream(func, *args, timeout_seconds=WATCH_SECONDS, **options):  # type: ignore[no-untyped-call]
            raw = event.get("raw_object")
            if event.get("type") in ("ADDED", "MODIFIED", "DELETED") and isinstance(raw, dict):
                yield str(event["type"]), raw
    except ApiException as exc:
        raise _error(action, exc) from None
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise KubeError(action, None, str(exc)) from None
    finally:
        await watch.close()  # type: ignore[no-untyped-call]


def _object(found: object) -> dict[str, Any]:
    if not isinstance(found, dict):
        raise KubeError("read", None, f"expected a JSON object, got {type(found).__name__}")
    return found


def _error(action: str, exc: ApiException) -> KubeError:
    """The failure, with the reason and message of the API server's Status body when it sent one."""
    try:
        found = json.loads(exc.body) if exc.body else None
    except (TypeError, ValueError):
        found = None
    answer: dict[str, Any] = found if isinstance(found, dict) and found.get("kind") == "Status" else {}
    api_reason, api_message = answer.get("reason"), answer.get("message")
    return KubeError(action, exc.status, str(exc.reason or ""),
                     api_reason=api_reason if isinstance(api_reason, str) else None,
                     api_message=api_message if isinstance(api_message, str) else None)


async def _found(what: str, call: Awaitable[Any]) -> dict[str, Any] | None:
    """Await a read: None for 404, KubeError for any other failure, named after ``what``."""
    try:
        return _object(await call)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise _error(what, exc) from None
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise KubeError(what, None, str(exc)) from None
