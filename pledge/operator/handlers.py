"""kopf handlers: thin I/O around pledge.rules. Parse the SLA, build the owned rule object, write it,
record the accepted spec as an SLARevision (pledge.operator.revisions), report in status. No rule logic
lives here.

Handlers are bound to one OperatorConfig and registered into a kopf registry by ``register``, so the
CLI, `kopf run -m pledge.operator.kopf_main` and the tests each run an operator configured their own way.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import kopf

from pledge.sla.identity import SLARef
from pledge.clock import rfc3339
from pledge.operator import status as st
from pledge.operator.config import OperatorConfig
from pledge.kube import SLA_KIND, Kind, Kube, KubeError, NoCredentials, document
from pledge.operator.retrying import ready_reason, reason_of, retrying, worth_an_event
from pledge.operator.revisions import record
from pledge.operator.objects import KINDS, Desired, controller, desired, intact, matches, owned_by
from pledge.operator.timer import StatusReader
from pledge.predictions import Rounds
from pledge.prom import PrometheusClient, PrometheusError
from pledge.rules import generate
from pledge.rules.check import refuse
from pledge.rules.render import MANAGED_BY
from pledge.sla import ServiceLevelAgreement, SpecError, parse_sla
from pledge.sla.crd import GROUP, PLURAL, VERSION

PREFIX = "pledge.dev"


class NotOwned(Exception):
    """The rule object's name is taken by an object this SLA does not control: never overwrite it."""


async def apply(kube: Kube, kind: Kind, wanted: Desired, owner_uid: str) -> bool:
    """Create or patch the rule object unless a foreign object holds its name; True if written.

    An owned object that already matches is left as it is (no write, no watch event).
    """
    namespace, name = wanted.body["metadata"]["namespace"], wanted.name
    live = await kube.read(kind, namespace, name)
    if live is not None and not owned_by(live, owner_uid):
        raise NotOwned(f"{kind.kind} {namespace}/{name} exists and is not controlled by this SLA; "
                       "pledge leaves it alone (delete or rename it)")
    if live is not None and matches(live, wanted):
        return False
    await kube.write(kind, wanted.body, exists=live is not None)
    return True


async def connection_info(kube: Kube) -> kopf.ConnectionInfo:
    """The same server and credentials for kopf's own watches and patches."""
    configuration = kube.configuration
    header = await configuration.get_api_key_with_prefix("BearerToken", alias="authorization")
    scheme, _, token = (header or "").rpartition(" ")
    return kopf.ConnectionInfo(
        server=configuration.host,
        ca_path=configuration.ssl_ca_cert,
        insecure=not configuration.verify_ssl,
        scheme=scheme or ("Bearer" if token else None),
        token=token or None,
        username=configuration.username or None,
        password=configuration.password or None,
        certificate_path=configuration.cert_file,
        private_key_path=configuration.key_file,
    )


class Operator:
    """The handlers of one operator instance: its settings and its API client."""

    def __init__(self, config: OperatorConfig) -> None:
        self.config = config
        self.kind = KINDS[config.output]
        self._kube: Kube | None = None
        self.reconciled = 0
        self.reader: StatusReader | None = None
        self.predictor: Rounds | None = None
        self.known: list[ServiceLevelAgreement] = []  # every valid SLA, as of the latest status timer

    @property
    def kube(self) -> Kube:
        if self._kube is None:
            raise kopf.TemporaryError("not logged in to the Kubernetes API yet", delay=1)
        return self._kube

    async def startup(self, settings: kopf.OperatorSettings, **_: Any) -> None:
        """Least privilege and little noise: no CRD scanning, own annotations, Events for warnings only."""
        settings.scanning.disabled = True
        settings.posting.level = logging.WARNING
        settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=PREFIX)
        settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
            prefix=PREFIX, key="last-handled-configuration")
        settings.persistence.finalizer = f"{PREFIX}/finalizer"
        if self.config.prometheus_url is not None:
            client = PrometheusClient(self.config.prometheus_url)
            self.reader = StatusReader(client, self.config.status_interval * 0.9, self.config.clock)
            self.predictor = Rounds(client, lambda: self.known, self.config.clock, self.config.prediction_interval * 0.9)

    async def login(self, **_: Any) -> kopf.ConnectionInfo:
        """One identity for kopf and for our client: in-cluster service account or kubeconfig."""
        if self._kube is None:
            try:
                self._kube = await Kube.connect()
            except NoCredentials as exc:
                raise kopf.LoginError(str(exc)) from None
        return await connection_info(self._kube)

    async def cleanup(self, **_: Any) -> None:
        if self._kube is not None:
            await self._kube.close()
        if self.predictor is not None:
            await self.predictor.close()
        if self.reader is not None:
            await self.reader.close()

    async def probe(self, **_: Any) -> int:
        """Shown on the liveness endpoint: SLAs reconciled since start."""
        return self.reconciled

    async def reconcile(self, body: kopf.Body, meta: kopf.Meta, status: kopf.Status, retry: int,
                        logger: kopf.Logger, **_: Any) -> None:
        """Create, update or resume: bring the owned rule object and the status in line with the spec.

        The status is written here, not left to kopf's patch after the handler: a refused status patch
        (422, 403, ...) must fail this handler so that kopf retries it, instead of being logged by kopf
        once the change already counts as handled. Every API failure is retried with backoff
        (pledge.operator.retrying); an invalid spec is final until the spec changes.
        """
        generation = meta.get("generation")
        try:
            sla = parse_sla(document(body))
            refuse(generate(sla))  # what a ruler would refuse is never written: it would stop every reload
        except SpecError as exc:
            await self.report(body, st.invalid(status, generation, exc.problems, self.now()), retry, logger)
            kopf.warn(body, reason="InvalidSpec", message="; ".join(exc.problems))
            raise kopf.PermanentError(f"invalid SLA, the last valid rules stay: {'; '.join(exc.problems)}") from None
        await self.apply(sla, body, retry, logger)

    def now(self) -> str:
        return rfc3339(self.config.clock())

    async def apply(self, sla: ServiceLevelAgreement, body: kopf.Body, retry: int, logger: kopf.Logger) -> None:
        generation, status = body.meta.get("generation"), body.status
        wanted = desired(sla, body, self.config)
        try:
            written = await apply(self.kube, self.kind, wanted, body.meta["uid"])
        except NotOwned as exc:
            await self.report(body, st.failed(status, generation, "NameConflict", str(exc), self.now()), retry, logger)
            kopf.warn(body, reason="NameConflict", message=str(exc))
            raise kopf.TemporaryError(str(exc), delay=self.config.max_retry_delay) from None
        except KubeError as exc:
            # Nothing partial is left behind: the object is created or patched whole, or not at all.
            delay = self.config.backoff(retry)
            message = retrying(str(exc), retry, delay)
            await self.report(body, st.failed(status, generation, reason_of(exc), message, self.now()), retry, logger)
            raise self.failure(body, exc, retry, message, delay) from None
        logger.info(f"{'wrote' if written else 'kept'} {self.kind.kind} {wanted.name}: "
                    f"{wanted.groups} groups, {wanted.rules} rules")
        # Rules first, then the revision: a spec whose rules could not be written was never in force.
        # When the revision cannot be written, the rules stay written (they are the spec's), the status
        # says so, and the whole handler is retried: the rules are then already in place (no write) and
        # the revision is created, exactly once (see pledge.operator.revisions.record).
        try:
            revision = await record(self.kube, sla, body.meta, self.config.clock())
        except KubeError as exc:
            delay = self.config.backoff(retry)
            message = retrying(f"the spec's revision is not recorded yet (rules are written): {exc}", retry, delay)
            await self.report(body, st.unrecorded(status, generation, wanted, self.kind.kind, message, self.now()),
                              retry, logger)
            kopf.warn(body, reason="RevisionFailed", message=message)
            raise kopf.TemporaryError(message, delay=delay) from None
        await self.report(body, st.applied(status, generation, wanted, self.kind.kind, self.now(), revision),
                          retry, logger)
        self.reconciled += 1
        logger.info(f"revision {revision.number} ({revision.kind}) in force")

    async def report(self, body: kopf.Body, data: Mapping[str, Any], retry: int, logger: kopf.Logger) -> None:
        """Write ``data`` into the SLA's status. When the API server refuses it, say so in a short
        Ready=False (the server's reason and message), if it takes that, and fail the handler: kopf
        retries it with backoff."""
        namespace, name = str(body.meta.get("namespace")), str(body.meta.get("name"))
        try:
            await self.kube.patch_status(SLA_KIND, namespace, name, data)
        except KubeError as exc:
            if exc.status == 404:  # deleted meanwhile: nothing left to report on (as kopf's own patch does)
                logger.info(f"status not written, the SLA is gone: {exc}")
                return
            delay = self.config.backoff(retry)
            message = retrying(f"the status could not be written: {exc}", retry, delay)
            try:
                await self.kube.patch_status(SLA_KIND, namespace, name,
                                             st.unwritten(body.status, reason_of(exc), message, self.now()))
            except KubeError as again:
                logger.warning(f"not even the failure could be written into the status: {again}")
            raise self.failure(body, exc, retry, message, delay) from None

    def failure(self, body: kopf.Body, exc: KubeError, retry: int, message: str,
                delay: float) -> kopf.TemporaryError:
        """The error that has kopf retry the handler after ``delay``; a Warning Event first, unless a blip."""
        if worth_an_event(exc, retry, ready_reason(body.status)):
            kopf.warn(body, reason=reason_of(exc), message=message)
        return kopf.TemporaryError(message, delay=delay)

    async def index(self, body: kopf.Body, **_: Any) -> dict[str, ServiceLevelAgreement]:
        """Every valid SLA by "namespace/name": the status timer reads them all in one round."""
        try:
            sla = parse_sla(document(body))
        except SpecError:
            return {}
        return {sla.key: sla}

    async def refresh_status(self, body: kopf.Body, patch: kopf.Patch, logger: kopf.Logger, **kwargs: Any) -> None:
        """Each objective's SLI, budget remaining and state, as Prometheus recorded them, and the
        latest breach prediction (refreshed in the background at the slower prediction interval)."""
        assert self.reader is not None and self.predictor is not None  # created at startup with a Prometheus URL
        index: kopf.Index[str, ServiceLevelAgreement] = kwargs["slas"]  # kopf passes indices by their id
        self.known = [sla for store in index.values() for sla in store]
        key = SLARef(str(body.meta.get("namespace")), str(body.meta.get("name")))
        try:
            readings = await self.reader.readings(key, self.known)
        except PrometheusError as exc:
            logger.warning(f"status not refreshed, Prometheus failed: {exc}")
            return
        if readings:  # an invalid SLA is in no index and gets no readings
            patch.status.update(st.objectives(readings, self.predictor.of(key)))

    async def restore(self, type: str | None, body: kopf.Body, logger: kopf.Logger, **_: Any) -> None:
        """Drift: an owned rule object was edited or deleted; write it back from its SLA.

        Objects without a ServiceLevelAgreement controller reference are never touched.
        """
        owner = controller(body)
        if owner is None or (type != "DELETED" and intact(body, self.config)):
            return
        namespace = str(body.meta.get("namespace"))
        live = await self.kube.read_sla(namespace, str(owner["name"]))
        if live is None or live["metadata"].get("uid") != owner["uid"] or live["metadata"].get("deletionTimestamp"):
            return  # the SLA is gone: Kubernetes' garbage collector removes what it owned
        try:
            sla = parse_sla(document(live))
        except SpecError:
            logger.warning(f"{self.kind.kind} {body.meta.get('name')} drifted, but its SLA is invalid: not restored")
            return
        await apply(self.kube, self.kind, desired(sla, live, self.config), str(owner["uid"]))
        logger.warning(f"restored {self.kind.kind} {namespace}/{body.meta.get('name')} ({type or 'changed'})")


def register(registry: kopf.OperatorRegistry, config: OperatorConfig) -> Operator:
    """Bind every handler of a new Operator(config) into ``registry``."""
    operator = Operator(config)
    kopf.on.startup(registry=registry)(operator.startup)
    kopf.on.login(registry=registry)(operator.login)
    kopf.on.cleanup(registry=registry)(operator.cleanup)
    kopf.on.probe(id="reconciled", registry=registry)(operator.probe)
    for on in (kopf.on.resume, kopf.on.create, kopf.on.update):
        on(GROUP, VERSION, PLURAL, id="reconcile", registry=registry)(operator.reconcile)
    if config.prometheus_url is not None:
        kopf.index(GROUP, VERSION, PLURAL, id="slas", registry=registry)(operator.index)
        kopf.timer(GROUP, VERSION, PLURAL, id="status", interval=config.status_interval,
                   registry=registry)(operator.refresh_status)
    kind = operator.kind
    kopf.on.event(kind.group, kind.version, kind.plural, labels=dict(MANAGED_BY), registry=registry)(operator.restore)
    return operator
