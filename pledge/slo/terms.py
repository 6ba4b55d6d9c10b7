"""The terms in force: which revision of an SLA judges which part of a period (issue 27, item 2).

A revision's terms (targets, window, credits, exclusions) take effect when it was accepted, or, for a
budget-critical change under ``changePolicy: nextPeriod`` (the default for calendar windows), at the next
period boundary: the current period keeps the terms it started with. A change that is not
budget-critical (an SLI query, a description) is in force at once: the recorded tiles hold what the old
query counted, so nothing is to be judged differently. Effects are monotone: a revision never takes
effect before the one it follows (a description edited after a deferred target change waits with it).

Corrections are after the fact by nature: the newest definition's apply to whatever period they cover,
whenever they were accepted, and a change of corrections alone neither waits nor splits a period. A
closed period whose corrections changed after it closed is restated: ``published`` is the revision its
figures were first published under.

Pure: the revisions come from git or the operator's revision objects (pledge.sla.revisions.History).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from pledge.sla.model import Correction, Objective, ServiceLevelAgreement, SLASpec
from pledge.sla.revisions import History, Revision, field_of, in_force
from pledge.slo.periods import Period, current_period


@dataclass(frozen=True)
class Segment:
    """A stretch [start, end) of a period judged by one revision's terms."""

    start: float
    end: float
    revision: Revision
    spec: SLASpec


@dataclass(frozen=True)
class Deferred:
    """A budget-critical revision accepted during the period whose terms wait for the next one."""

    revision: Revision
    effective: float


@dataclass(frozen=True)
class Terms:
    """The terms that judge one period: its segments (one, unless an ``immediate`` change split it) and
    the changes accepted in it that take effect later."""

    period: Period
    segments: tuple[Segment, ...]
    deferred: tuple[Deferred, ...] = ()
    known: bool = True  # False: no history, the current definition judges every period (and says so)
    note: str | None = None
    corrections: tuple[Correction, ...] | None = None  # None: the SLA's current ones (a what-if: its revision's)
    published: Revision | None = None  # the revision in force at the period's close (None: unknown or a what-if)
    restated_by: tuple[Revision, ...] = ()  # revisions after the close that changed the corrections

    @property
    def last(self) -> Segment:
        return self.segments[-1]

    @property
    def split(self) -> bool:
        return len(self.segments) > 1

    def objective(self, name: str) -> Objective | None:
        """The objective as judged over the whole period: the last segment's, with the target (and warning)
        weighted by the time each segment's terms were in force; None if no segment has it."""
        found = [(s, o) for s in self.segments for o in s.spec.objectives if o.name == name]
        if not found:
            return None
        last = found[-1][1]
        if len(found) == 1:
            return last
        span = sum(s.end - s.start for s, _ in found)
        target = sum((Decimal(repr(s.end - s.start)) * o.target for s, o in found), Decimal(0)) / Decimal(repr(span))
        warnings = [o.warning for _, o in found]
        warning = None if any(w is None for w in warnings) else sum(
            (Decimal(repr(s.end - s.start)) * o.warning for s, o in found if o.warning is not None), Decimal(0)) / Decimal(repr(span))
        return last.model_copy(update={"target": round(target, 6), "warning": None if warning is None else round(warning, 6)})


    def judging(self, sla: ServiceLevelAgreement) -> ServiceLevelAgreement:
        """``sla`` with the period's terms: each objective's (time-weighted) target and warning, and the
        credits, cap and exclusions of the revision in force at the period's end; the corrections of the
        current definition (or of the what-if revision). What is measured (the objectives' SLIs, grouping)
        stays the current definition's: the recorded tiles hold it."""
        objectives = [self.objective(o.name) or o for o in sla.spec.objectives]
        terms = self.last.spec
        spec = sla.spec.model_copy(update={
            "objectives": [o.model_copy(update={"sli": current.sli}) for o, current in zip(objectives, sla.spec.objectives)],
            "credits": terms.credits, "credit_cap": terms.credit_cap, "exclusions": terms.exclusions,
            "corrections": list(sla.spec.corrections if self.corrections is None else self.corrections)})
        return sla.model_copy(update={"spec": spec})


def spec_of_revision(revision: Revision) -> SLASpec:
    return SLASpec.model_validate(revision.spec)


def changes_terms(revision: Revision) -> bool:
    """Whether ``revision`` changes the terms that judge periods from its effect on: budget-critical, and
    not only in its corrections (those apply to the period they cover, whenever accepted)."""
    return revision.kind == "budget-critical" and any(field_of(path) != "corrections" for path in revision.changes)


def effective_from(revisions: Sequence[Revision]) -> list[float]:
    """When each revision's terms take effect (unix seconds; -inf for an unknown moment), monotone."""
    out: list[float] = []
    for revision in revisions:
        at = -math.inf if revision.accepted_at is None else revision.accepted_at.timestamp()
        spec = spec_of_revision(revision)
        if changes_terms(revision) and spec.policy == "nextPeriod" and spec.window.calendar is not None \
                and math.isfinite(at):
            period = current_period(spec.window, at)
            at = at if at == period.start else period.end
        out.append(max([at, *out[-1:]]))
    return out


def terms_for(history: History, period: Period, revision: int | None = None) -> Terms:
    """The terms judging ``period``; ``revision``: judge it all by that revision instead (a what-if)."""
    revisions = history.revisions
    if revision is not None:
        chosen = history.number(revision)
        if chosen is None:
            raise ValueError(f"{history.ref} has no revision {revision} (revisions 1 to {len(revisions)})")
        spec = spec_of_revision(chosen)
        return Terms(period, (Segment(period.start, period.end, chosen, spec),), known=history.known,
                     note=history.note, corrections=tuple(spec.corrections))
    starts = effective_from(revisions)
    # A new segment only where the terms change (a budget-critical revision); each segment is named by
    # the newest revision in force in it (the ones in between change no term).
    cuts = sorted({period.start, *(at for r, at in zip(revisions, starts)
                                   if changes_terms(r) and period.start < at < period.end)})
    ends = cuts[1:] + [period.end]

    def newest(before: float) -> Revision:
        found = [r for r, at in zip(revisions, starts) if at < before]
        return found[-1] if found else revisions[0]  # before the first revision: the first judges (it created the SLA)

    segments = tuple(Segment(a, b, (r := newest(b)), spec_of_revision(r)) for a, b in zip(cuts, ends))
    deferred = tuple(Deferred(r, at) for r, at in zip(revisions, starts)
                     if changes_terms(r) and r.accepted_at is not None
                     and period.start <= r.accepted_at.timestamp() < period.end <= at)
    restated_by = tuple(r for r in revisions if r.accepted_at is not None and r.accepted_at.timestamp() >= period.end
                        and any(field_of(path) == "corrections" for path in r.changes))
    return Terms(period, segments, deferred, history.known, history.note,
                 published=published(history, period), restated_by=restated_by)


def takes_effect(history: History) -> dt.datetime | None:
    """When the newest revision's terms take effect, if that is later than its acceptance (a deferred
    budget-critical change): what `pledge validate` warns about."""
    newest = history.current
    if newest.accepted_at is None:
        return None
    at = effective_from(history.revisions)[-1]
    return dt.datetime.fromtimestamp(at, dt.timezone.utc) if at > newest.accepted_at.timestamp() else None


def published(history: History, period: Period) -> Revision | None:
    """The revision a closed period's figures were first published under: the newest accepted by its
    close (None without history, or when the SLA did not exist yet)."""
    if not history.known:
        return None
    return in_force(history.revisions, dt.datetime.fromtimestamp(period.end, dt.timezone.utc))
