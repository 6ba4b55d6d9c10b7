"""The only Kubernetes I/O in pledge besides kopf's own watching: read, create and patch rule objects.

Uses the official client's asyncio flavour (``kubernetes.aio``), configured in-cluster or from
kubeconfig; kopf logs in with the very same credentials (``connection_info``), so the operator
has one source of identity. Failures are sorted into transient ones (retry with backoff) and
the rest, so handlers never guess from status codes.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Mapping
from typing import Any

import aiohttp
import kopf
from kubernetes.aio.client import ApiClient, Configuration, CoreV1Api, CustomObjectsApi
from kubernetes.aio.client.exceptions import ApiException
from kubernetes.aio.client.models import V1ConfigMap
from kubernetes.aio.config import ConfigException, load_incluster_config, load_kube_config

from pledge.operator.objects import Desired, Kind, matches, owned_by
from pledge.spec import KIND
from pledge.spec.crd import GROUP, PLURAL, VERSION

MERGE_PATCH = "application/merge-patch+json"
TRANSIENT_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})


class KubeError(Exception):
    """A failed API call; ``transient`` says whether retrying can help."""

    def __init__(self, action: str, status: int | None, reason: str) -> None:
        self.status = status
        self.transient = status is None or status in TRANSIENT_STATUSES
        super().__init__(f"{action}: {status or 'no response'} {reason}".rstrip())


class NotOwned(Exception):
    """The rule object's name is taken by an object this SLA does not control: never overwrite it."""


class Kube:
    """Rule objects of one kind (PrometheusRule or ConfigMap) through one API client."""

    def __init__(self, configuration: Configuration, kind: Kind) -> None:
        self.configuration = configuration
        self.kind = kind
        self.api = ApiClient(configuration)
        self.custom = CustomObjectsApi(self.api)
        self.core = CoreV1Api(self.api)

    @classmethod
    async def connect(cls, kind: Kind) -> Kube:
        """In-cluster service account first, then kubeconfig ($KUBECONFIG, read now, or ~/.kube/config)."""
        configuration = Configuration()
        try:
            load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        except ConfigException:
            try:
                await load_kube_config(  # type: ignore[no-untyped-call]
                    config_file=os.environ.get("KUBECONFIG"), client_configuration=configuration)
            except ConfigException as exc:
                raise kopf.LoginError(f"no in-cluster service account and no usable kubeconfig: {exc}") from None
        return cls(configuration, kind)

    async def connection_info(self) -> kopf.ConnectionInfo:
        """The same server and credentials for kopf's own watches and patches."""
        header = await self.configuration.get_api_key_with_prefix("BearerToken", alias="authorization")
        scheme, _, token = (header or "").rpartition(" ")
        return kopf.ConnectionInfo(
            server=self.configuration.host,
            ca_path=self.configuration.ssl_ca_cert,
            insecure=not self.configuration.verify_ssl,
            scheme=scheme or ("Bearer" if token else None),
            token=token or None,
            username=self.configuration.username or None,
            password=self.configuration.password or None,
            certificate_path=self.configuration.cert_file,
            private_key_path=self.configuration.key_file,
        )

    async def close(self) -> None:
        await self.api.close()  # type: ignore[no-untyped-call]

    async def read(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The live object, or None when it does not exist."""
        return await _found(f"get {self.kind.kind} {namespace}/{name}", self._read(namespace, name))

    async def _read(self, namespace: str, name: str) -> Any:
        if self.kind.group:
            return await self.custom.get_namespaced_custom_object(
                self.kind.group, self.kind.version, namespace, self.kind.plural, name)
        config_map = await self.core.read_namespaced_config_map(name, namespace)
        return self.api.sanitize_for_serialization(config_map)  # type: ignore[no-untyped-call]

    async def read_sla(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The SLA resource as stored, or None when it is gone."""
        return await _found(f"get {KIND} {namespace}/{name}",
                            self.custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name))

    async def write(self, body: Mapping[str, Any], exists: bool) -> None:
        """Create the object, or merge-patch it when it ``exists``."""
        namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
        action = f"{'patch' if exists else 'create'} {self.kind.kind} {namespace}/{name}"
        try:
            if self.kind.group and exists:
                await self.custom.patch_namespaced_custom_object(
                    self.kind.group, self.kind.version, namespace, self.kind.plural, name, dict(body),
                    _content_type=MERGE_PATCH)
            elif self.kind.group:
                await self.custom.create_namespaced_custom_object(
                    self.kind.group, self.kind.version, namespace, self.kind.plural, dict(body))
            elif exists:
                await self.core.patch_namespaced_config_map(name, namespace, dict(body), _content_type=MERGE_PATCH)
            else:
                await self.core.create_namespaced_config_map(namespace, V1ConfigMap.model_validate(dict(body)))
        except ApiException as exc:
            raise _error(action, exc) from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise KubeError(action, None, str(exc)) from None

    async def apply(self, wanted: Desired, owner_uid: str) -> bool:
        """Create or patch the rule object unless a foreign object holds its name; True if written.

        An owned object that already matches is left as it is (no write, no watch event).
        """
        namespace, name = wanted.body["metadata"]["namespace"], wanted.name
        live = await self.read(namespace, name)
        if live is not None and not owned_by(live, owner_uid):
            raise NotOwned(f"{self.kind.kind} {namespace}/{name} exists and is not controlled by this SLA; "
                           "pledge leaves it alone (delete or rename it)")
        if live is not None and matches(live, wanted):
            return False
        await self.write(wanted.body, exists=live is not None)
        return True


def _object(found: object) -> dict[str, Any]:
    if not isinstance(found, dict):
        raise KubeError("read", None, f"expected a JSON object, got {type(found).__name__}")
    return found


def _error(action: str, exc: ApiException) -> KubeError:
    return KubeError(action, exc.status, str(exc.reason or ""))


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
