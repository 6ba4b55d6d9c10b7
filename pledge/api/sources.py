"""Where the API gets SLA definitions (a directory, or Kubernetes list + watch like the operator)
and, optionally, its tokens (a Kubernetes Secret): behind one protocol, so the routes never care."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from collections.abc import AsyncIterator, Iterable
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError

from pledge.api.auth import TokenStore, parse_tokens
from pledge.files import Scan, check, scan
from pledge.git_history import changed_since, sla_history
from pledge.sla import ServiceLevelAgreement, SpecError, parse_sla
from pledge.sla.identity import SLARef
from pledge.sla.crd import REVISION_KIND, SLARevisionSpec
from pledge.sla.revisions import NO_HISTORY, History, current_only, spec_hash, spec_of

if TYPE_CHECKING:
    from pledge.kube import Kube

log = logging.getLogger(__name__)
RETRY_SECONDS = 5.0
HISTORY_SECONDS = 30.0  # the longest a revisions request waits for the Kubernetes API
VALIDATE = (sys.executable, "-m", "pledge", "validate", "--format", "json", "--no-history", "--")
TOKENS_KEY = "tokens.yaml"


class Background(Protocol):
    """Started once with the app, stopped with it."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class SLASource(Background, Protocol):
    """``slas()`` is called per request and must not block."""

    def slas(self) -> list[ServiceLevelAgreement]: ...


class StaticSource:
    """A fixed list (tests, the demo)."""

    def __init__(self, slas: Iterable[ServiceLevelAgreement]) -> None:
        self._slas = list(slas)

    async def start(self) -> None:
        """Nothing to load."""

    async def stop(self) -> None:
        """Nothing to release."""

    def slas(self) -> list[ServiceLevelAgreement]:
        return self._slas


def packaged_examples() -> Path:
    """The example SLAs shipped in the package (installed as files, never zipped)."""
    return Path(str(resources.files("pledge") / "examples"))


def read_directory(folder: Path) -> list[ServiceLevelAgreement]:
    """Every SLA under the folder, as `pledge validate` accepts it (pledge.files.check: recursive, one
    namespace/name once, the rules checked); SpecError lists every problem at once."""
    scan = check((folder,))
    if errors := scan.spec_errors():
        raise SpecError([str(error) for error in errors], str(folder))
    return [found.sla for found in scan.slas]


class DirectorySource(StaticSource):
    """The SLA files under one directory (default: the packaged examples), read as `pledge validate`
    reads them, once. ``read()`` reads the files (1,000 in about a second), so `pledge serve` fails
    before serving on any problem they have. The ruler's checks of each SLA's rules take a few ms an SLA
    (seconds for 1,000, which would hold this interpreter from answering), so after start `pledge
    validate` runs over the folder in a child process, and an SLA it refuses is dropped with its
    problems logged as errors: the SLAs served are those validate accepts."""

    def __init__(self, folder: Path | None = None) -> None:
        super().__init__([])
        self.folder = folder if folder is not None else packaged_examples()
        self._read = False
        self._validated: asyncio.Task[None] | None = None

    def read(self) -> Scan:
        """Read the files now: SpecError lists every problem of every file; the scan says what was
        skipped and warned about."""
        found = scan((self.folder,))
        if errors := found.spec_errors():
            raise SpecError([str(error) for error in errors], str(self.folder))
        self._slas, self._read = [f.sla for f in found.slas], True
        return found

    async def start(self) -> None:
        if not self._read:
            self.read()
        self._validated = asyncio.create_task(self._validate())

    async def _validate(self) -> None:
        # Popen and a thread, not asyncio's subprocess: cancelling that while it starts the child hangs
        # the loop (CPython 3.11); killing this child ends the thread's communicate() at once.
        child = subprocess.Popen([*VALIDATE, str(self.folder)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            out, _ = await asyncio.to_thread(child.communicate)
        finally:
            if child.poll() is None:  # cancelled: the server stops
                child.kill()
                child.wait()
        try:
            verdict = json.loads(out)
            accepted = {SLARef(s["namespace"], s["name"]) for s in verdict["slas"]}
        except (ValueError, KeyError, TypeError):
            log.error("`pledge validate` of %s failed (exit %s): its rule checks were not applied",
                      self.folder, child.returncode)
            return
        for problem in verdict["problems"]:
            if problem["severity"] == "error":
                log.error("SLA not served: %s:%s: %s: %s", problem["file"], problem["line"],
                          problem["path"] or "(document)", problem["message"])
        self._slas = [sla for sla in self._slas if sla.ref in accepted]

    async def validated(self) -> None:
        """Return once `pledge validate` has run (tests, and a caller that must not serve early)."""
        if self._validated is not None:
            await self._validated

    async def stop(self) -> None:
        if self._validated is not None:
            self._validated.cancel()
            await asyncio.gather(self._validated, return_exceptions=True)

    _files: dict[SLARef, str] | None = None  # where each SLA is defined: the revisions read that file's history

    def _file_of(self, ref: SLARef) -> str | None:
        if self._files is None:
            self._files = {found.sla.ref: found.file for found in scan((self.folder,)).slas}
        return self._files.get(ref)

    def changed(self, slas: list[ServiceLevelAgreement], since: float) -> list[ServiceLevelAgreement]:
        """Those of ``slas`` whose file git says changed at or after ``since`` (blocking: in a thread)."""
        files = changed_since(self.folder, since)
        if not files:
            return []
        return [sla for sla in slas if (file := self._file_of(sla.ref)) is not None and Path(file).resolve() in files]

    def history(self, sla: ServiceLevelAgreement) -> History:
        """The SLA's revisions from git (pledge.git_history; blocking: call it in a thread), its current
        definition alone when the folder is not in a git work tree (flagged)."""
        file = self._file_of(sla.ref)
        if file is None:
            return current_only(sla, f"{NO_HISTORY} (no file under {self.folder} defines it now)")
        return sla_history(Path(file), sla)


def history_of(source: SLASource, sla: ServiceLevelAgreement) -> History:
    """An SLA's revisions: from git for the SLA files of a directory source, from the operator's
    SLARevision objects for a Kubernetes source; from other sources (a fixed list) its current
    definition only, flagged. Blocking (git runs, the API is asked): call it in a thread."""
    if isinstance(source, (DirectorySource, KubernetesSource)):
        return source.history(sla)
    return current_only(sla, f"{NO_HISTORY} (this API's SLA source keeps no revisions)")


def changed(source: SLASource, slas: list[ServiceLevelAgreement], since: float) -> list[ServiceLevelAgreement]:
    """Those of ``slas`` that may have a revision accepted at or after ``since``, whose history is worth
    reading: from git for a directory source; each for a Kubernetes source (its revisions are objects
    to list); none for a source without history. Blocking: call it in a thread."""
    if isinstance(source, DirectorySource):
        return source.changed(slas, since)
    return list(slas) if isinstance(source, KubernetesSource) else []


class MissingExtra(RuntimeError):
    """An optional dependency is not installed."""


def kube_module() -> ModuleType:
    """pledge.kube, imported only when Kubernetes is asked for: ``kubernetes`` is an optional extra."""
    try:
        from pledge import kube
    except ImportError as exc:
        raise MissingExtra(f"Kubernetes sources need the kubernetes package ({exc.name} is missing): "
                           "pip install 'pledge[operator]'") from None
    return kube


async def connect() -> Kube:
    kube = kube_module()
    try:
        connection: Kube = await kube.Kube.connect()
    except kube.NoCredentials as exc:
        raise MissingExtra(str(exc)) from None
    return connection


class Follower:
    """A background task that reads once, then follows changes; reads again after any failure."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._task: asyncio.Task[None] | None = None
        self._kube: Kube | None = None

    @property
    def kube(self) -> Kube:
        assert self._kube is not None, "start() first"
        return self._kube

    async def start(self) -> None:
        """Connect and read once, so the app starts with data (or fails saying why)."""
        self._kube = await connect()
        version = await self.read()
        self._task = asyncio.create_task(self._follow(version), name=f"follow {self.what}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._kube is not None:
            await self._kube.close()

    async def read(self) -> str:
        """Read everything; returns the resourceVersion to watch from."""
        raise NotImplementedError

    def changes(self, version: str) -> AsyncIterator[str]:
        """Apply each change after ``version``, yielding the newest version seen."""
        raise NotImplementedError

    async def _follow(self, version: str | None) -> None:
        """Watch from ``version``; when a watch ends, resume; after 410 Gone or a broken
        connection, read everything again (events may have been missed)."""
        kube = kube_module()
        while True:
            try:
                if version is None:
                    version = await self.read()
                async for version in self.changes(version):
                    pass
            except (kube.KubeError, SpecError, ValidationError, ValueError) as exc:
                log.warning("%s: %s; reading again in %s s", self.what, exc, RETRY_SECONDS)
                version = None
                await asyncio.sleep(RETRY_SECONDS)


class KubernetesSource(Follower):
    """ServiceLevelAgreement resources of one namespace or the cluster: listed, then watched (the
    operator's source). An invalid object is skipped with a warning (the operator reports it in
    its status); one that turns invalid keeps its last valid version, like the operator's rules."""

    def __init__(self, namespace: str | None = None) -> None:
        super().__init__(f"ServiceLevelAgreements in {namespace or 'all namespaces'}")
        self.namespace = namespace
        self._by_ref: dict[SLARef, ServiceLevelAgreement] = {}
        self._sorted: list[ServiceLevelAgreement] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def slas(self) -> list[ServiceLevelAgreement]:
        return self._sorted

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()  # where the client lives: history() asks through it
        await super().start()

    def history(self, sla: ServiceLevelAgreement) -> History:
        """The SLA's revisions as the operator recorded them (SLARevision objects, read now). Blocking:
        call it in a thread other than the source's event loop. An API failure raises ConnectionError."""
        assert self._loop is not None, "start() first"
        future = asyncio.run_coroutine_threadsafe(self.revisions(sla), self._loop)
        return future.result(timeout=HISTORY_SECONDS)

    async def revisions(self, sla: ServiceLevelAgreement) -> History:
        kube = kube_module()
        try:
            objects = await self.kube.list_revisions(sla.ref.namespace, sla.ref.name)
        except kube.KubeError as exc:
            raise ConnectionError(f"the SLARevisions could not be listed: {exc}") from None
        return recorded_history(sla, objects)

    async def read(self) -> str:
        listing = await self.kube.list_slas(self.namespace)
        found = (self._parsed(obj) for obj in listing.items)
        self._by_ref = {sla.ref: sla for sla in found if sla is not None}
        self._sorted = sorted(self._by_ref.values(), key=lambda sla: sla.ref)
        return listing.version

    async def changes(self, version: str) -> AsyncIterator[str]:
        async for kind, obj in self.kube.watch_slas(self.namespace, version):
            metadata = obj.get("metadata", {})
            ref = SLARef(str(metadata.get("namespace")), str(metadata.get("name")))
            sla = None if kind == "DELETED" else self._parsed(obj)
            if kind == "DELETED":
                self._by_ref.pop(ref, None)
            elif sla is not None:
                self._by_ref[ref] = sla
            self._sorted = sorted(self._by_ref.values(), key=lambda s: s.ref)
            yield str(metadata.get("resourceVersion") or version)

    def _parsed(self, obj: dict[str, Any]) -> ServiceLevelAgreement | None:
        try:
            return parse_sla(kube_module().document(obj))
        except SpecError as exc:
            metadata = obj.get("metadata", {})
            log.warning("skipping invalid ServiceLevelAgreement %s/%s: %s", metadata.get("namespace"),
                        metadata.get("name"), "; ".join(exc.problems))
            return None


def recorded_history(sla: ServiceLevelAgreement, objects: Iterable[dict[str, Any]]) -> History:
    """The History the operator's SLARevision objects make, by number. None yet (the operator has not
    run, or not since the SLA was created): the current definition only, flagged. A current spec that
    differs from the newest revision (not accepted by the operator yet, or rejected as invalid) is
    said in ``notes``; so are missing numbers and objects that are not readable revisions."""
    found: dict[int, SLARevisionSpec] = {}
    notes: list[str] = []
    for obj in objects:
        try:
            spec = SLARevisionSpec.model_validate(obj.get("spec") or {})
        except ValidationError:
            notes.append(f"{REVISION_KIND} {obj.get('metadata', {}).get('name')} is not a readable revision")
            continue
        found[spec.number] = spec
    if not found:
        return current_only(sla, f"{NO_HISTORY} (the operator has recorded no revision of it yet)", source="kubernetes")
    specs = [found[n] for n in sorted(found)]
    missing = sorted(set(range(1, specs[-1].number + 1)) - set(found))
    if missing:
        notes.append(f"revision number(s) {', '.join(map(str, missing))} not found (deleted, or held by an object "
                     "not labelled with this SLA)")
    digest = spec_hash(spec_of(sla))
    if specs[-1].sha256 != digest:
        notes.append(f"the current definition (sha256 {digest[:12]}) is not recorded yet: the operator has not "
                     "accepted it")
    revisions = tuple(spec.revision(specs[i - 1] if i else None) for i, spec in enumerate(specs))
    return History(sla.ref, revisions, source="kubernetes", notes=tuple(notes))


class SecretTokens(Follower):
    """The token store's entries from the ``tokens.yaml`` key of one Secret, reloaded whenever the
    Secret changes (a deleted Secret or key leaves no token valid)."""

    def __init__(self, store: TokenStore, secret: str) -> None:
        super().__init__(f"tokens Secret {secret}")
        self.store = store
        self.namespace, _, self.name = secret.partition("/")

    async def read(self) -> str:
        found = await self.kube.read_secret(self.namespace, self.name)
        self._load(found[0] if found is not None else {})
        return found[1] if found is not None else ""

    async def changes(self, version: str) -> AsyncIterator[str]:
        async for data, newer in self.kube.watch_secret(self.namespace, self.name, version):
            self._load(data)
            yield newer or version

    def _load(self, data: dict[str, str]) -> None:
        self.store.replace(parse_tokens(data[TOKENS_KEY]) if TOKENS_KEY in data else [])

