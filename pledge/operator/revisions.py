"""Revisions in Kubernetes: each accepted definition of an SLA recorded once, as an SLARevision object.

The objects are the state: nothing is remembered in the operator, so a restart, a second operator or
a deleted and re-created SLA continues from what the API server holds. An object is named
``<sla>-r<number>``, so two writers of one revision collide on the name (409 AlreadyExists), which is
success when the holder has the same hash; a holder with another hash took the number, and the next
one is tried. Objects are labelled with the SLA's name, never owned by the SLA (they outlive it) and
never updated. Numbering, hashes, kinds and diffs come from pledge.sla.revisions.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Any, Final

from pydantic import ValidationError

from pledge.kube import REVISIONS, Kube, KubeError
from pledge.sla import API_VERSION, ServiceLevelAgreement
from pledge.sla.crd import REVISION_KIND, REVISION_LABEL, SLARevisionSpec, revision_label, revision_name
from pledge.sla.revisions import classify, diff, spec_hash, spec_of

log = logging.getLogger(__name__)

CHANGE_REASON: Final = "pledge.dev/change-reason"
CHANGED_BY: Final = "pledge.dev/changed-by"
WRITERS: Final = frozenset({"Update", "Apply"})
ATTEMPTS: Final = 5  # numbers taken by other definitions in a row before giving up (and retrying later)


def field_manager(metadata: Mapping[str, Any]) -> str | None:
    """The manager of the latest write that touched ``spec`` (``managedFields``: operation Update or
    Apply, not on a subresource, with ``f:spec`` in its fields), e.g. kubectl-client-side-apply,
    helm, argocd-controller; None when no entry says so. The latest entry wins a tie in time."""
    found: str | None = None
    latest = ""
    for entry in metadata.get("managedFields") or []:
        if not isinstance(entry, Mapping) or entry.get("operation") not in WRITERS or entry.get("subresource"):
            continue
        if "f:spec" not in (entry.get("fieldsV1") or {}):
            continue
        when = str(entry.get("time") or "")  # RFC 3339 in UTC ("...Z"): ordered as text
        if found is None or when >= latest:
            found, latest = str(entry.get("manager") or "") or None, when
    return found


def recorded(objects: Iterable[Mapping[str, Any]]) -> list[SLARevisionSpec]:
    """The readable revision objects by number (one that is not is skipped with a warning: its name
    still takes its number, which ``record`` finds on creating)."""
    found: dict[int, SLARevisionSpec] = {}
    for obj in objects:
        try:
            spec = SLARevisionSpec.model_validate(obj.get("spec") or {})
        except ValidationError as exc:
            log.warning("ignoring unreadable %s %s: %s", REVISION_KIND, obj.get("metadata", {}).get("name"), exc)
            continue
        found[spec.number] = spec
    return [found[n] for n in sorted(found)]


def proposal(sla: ServiceLevelAgreement, metadata: Mapping[str, Any], previous: SLARevisionSpec | None,
             number: int, now: float) -> SLARevisionSpec:
    """The revision ``number`` of ``sla``'s current spec, following ``previous`` (None: the first)."""
    spec = spec_of(sla)
    before = dict(previous.definition) if previous is not None else None
    annotations = metadata.get("annotations") or {}
    return SLARevisionSpec(
        sla=sla.metadata.name, number=number, sha256=spec_hash(spec),
        accepted_at=dt.datetime.fromtimestamp(now, dt.timezone.utc),
        author=annotations.get(CHANGED_BY) or None, tool=field_manager(metadata),
        reason=annotations.get(CHANGE_REASON) or None, kind=classify(before, spec),
        changes=list(diff(before, spec).lines) if before is not None else [], definition=spec)


def revision_object(namespace: str, revision: SLARevisionSpec) -> dict[str, Any]:
    """The SLARevision object: labelled with the SLA's name, no ownerReferences (it outlives the SLA)."""
    return {
        "apiVersion": API_VERSION,
        "kind": REVISION_KIND,
        "metadata": {"name": revision.object_name, "namespace": namespace,
                     "labels": {REVISION_LABEL: revision_label(revision.sla), "app.kubernetes.io/managed-by": "pledge"}},
        "spec": revision.model_dump(by_alias=True, mode="json", exclude_none=True),
    }


async def record(kube: Kube, sla: ServiceLevelAgreement, metadata: Mapping[str, Any], now: float) -> SLARevisionSpec:
    """The revision recording ``sla``'s current spec: the newest recorded one when it has the spec's
    hash, otherwise the next one, created now. Raises KubeError when the API fails (nothing partial
    is written: an object is created whole or not at all; the caller retries)."""
    namespace, name = sla.metadata.namespace, sla.metadata.name
    digest = spec_hash(spec_of(sla))
    floor = 1  # the lowest number still possibly free
    for _ in range(ATTEMPTS):
        found = recorded(await kube.list_revisions(namespace, name))
        newest = found[-1] if found else None
        if newest is not None and newest.sha256 == digest:
            return newest
        number = max(floor, newest.number + 1 if newest is not None else 1)
        wanted = proposal(sla, metadata, newest, number, now)
        if await kube.create(REVISIONS, revision_object(namespace, wanted)):
            return wanted
        holder = await kube.read(REVISIONS, namespace, revision_name(name, number))
        held = recorded([holder]) if holder is not None else []
        if held and held[0].sha256 == digest:
            return held[0]  # written by an earlier try whose answer was lost, or by another operator
        floor = number + 1  # another definition holds the number: the next one, after reading again
    raise KubeError(f"create {REVISION_KIND} of {namespace}/{name}", 409,
                    f"revision numbers up to {floor - 1} are all taken by other definitions")
