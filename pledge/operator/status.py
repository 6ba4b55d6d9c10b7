"""Pure: the SLA's status as the operator writes it (conditions, rule counts, the current revision,
objective readings and breach predictions).

Built through pledge.sla's status models, so what the operator writes is what the CRD declares.
A condition's lastTransitionTime only moves when its status flips (Kubernetes API conventions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from pledge.clock import rfc3339
from pledge.operator.objects import Desired
from pledge.predictions import Prediction
from pledge.slo.budget import worst_state
from pledge.sla.crd import REVISION_KIND, SLARevisionSpec
from pledge.sla.model import Condition, ObjectiveStatus, RulesStatus, SLAStatus
from pledge.status import Reading

ORDER: Final = ("Ready", "Valid", "RulesApplied", "RevisionRecorded")


def condition(kind: str, ok: bool, reason: str, message: str, generation: int | None) -> Condition:
    return Condition(type=kind, status="True" if ok else "False", reason=reason, message=message,
                     observed_generation=generation)


def merge(old: Sequence[Mapping[str, Any]], new: Sequence[Condition], now: str) -> list[dict[str, Any]]:
    """``new`` over ``old`` by type; a condition whose status did not change keeps its transition time."""
    merged = {c.get("type"): dict(c) for c in old}
    for cond in new:
        previous = merged.get(cond.type)
        since = previous.get("lastTransitionTime") if previous and previous.get("status") == cond.status else None
        merged[cond.type] = cond.model_copy(update={"last_transition_time": since or now}).model_dump(
            by_alias=True, exclude_none=True)
    return sorted(merged.values(), key=lambda c: ORDER.index(c["type"]) if c.get("type") in ORDER else len(ORDER))


def _status(old: Mapping[str, Any], generation: int | None, new: Sequence[Condition], now: str,
            rules: RulesStatus | None = None, revision: int | None = None) -> dict[str, Any]:
    status = SLAStatus(observed_generation=generation, rules=rules, revision=revision)
    data = status.model_dump(by_alias=True, exclude_none=True, include={"observed_generation", "rules", "revision"})
    data["conditions"] = merge(old.get("conditions") or [], new, now)
    return data


def applied(old: Mapping[str, Any], generation: int | None, wanted: Desired, kind: str, now: str,
            revision: SLARevisionSpec | None = None) -> dict[str, Any]:
    """Valid spec, rules written (or already in place), and the spec recorded as ``revision``."""
    message = f"{kind} {wanted.name}: {wanted.groups} groups, {wanted.rules} rules"
    conditions = [
        condition("Ready", True, "RulesApplied", message, generation),
        condition("Valid", True, "SpecValid", "the spec is valid", generation),
        condition("RulesApplied", True, "Applied", message, generation),
    ]
    if revision is not None:
        conditions.append(condition(
            "RevisionRecorded", True, "Recorded", f"revision {revision.number} ({revision.kind}, sha256 "
            f"{revision.sha256[:12]}): {REVISION_KIND} {revision.object_name}", generation))
    return _status(old, generation, conditions, now, RulesStatus(name=wanted.name, groups=wanted.groups,
                                                                 rules=wanted.rules),
                   revision.number if revision is not None else None)


def unrecorded(old: Mapping[str, Any], generation: int | None, wanted: Desired, kind: str, message: str,
               now: str) -> dict[str, Any]:
    """Valid spec and rules written, but its revision could not be recorded (retried): not Ready, and
    ``revision`` keeps naming the last one recorded."""
    applied = f"{kind} {wanted.name}: {wanted.groups} groups, {wanted.rules} rules"
    return _status(old, generation, [
        condition("Ready", False, "RevisionFailed", message, generation),
        condition("Valid", True, "SpecValid", "the spec is valid", generation),
        condition("RulesApplied", True, "Applied", applied, generation),
        condition("RevisionRecorded", False, "RevisionFailed", message, generation),
    ], now, RulesStatus(name=wanted.name, groups=wanted.groups, rules=wanted.rules))


def invalid(old: Mapping[str, Any], generation: int | None, problems: Sequence[str], now: str) -> dict[str, Any]:
    """Invalid spec: RulesApplied is left as it was, because the last good rules stay in place."""
    message = "; ".join(problems)
    return _status(old, generation, [
        condition("Ready", False, "InvalidSpec", f"the spec is invalid; the last valid rules stay: {message}", generation),
        condition("Valid", False, "InvalidSpec", message, generation),
    ], now)


def failed(old: Mapping[str, Any], generation: int | None, reason: str, message: str, now: str) -> dict[str, Any]:
    """Valid spec, but the rule object could not be written (API failure or a foreign object)."""
    return _status(old, generation, [
        condition("Ready", False, reason, message, generation),
        condition("Valid", True, "SpecValid", "the spec is valid", generation),
        condition("RulesApplied", False, reason, message, generation),
    ], now)


def unwritten(old: Mapping[str, Any], reason: str, message: str, now: str) -> dict[str, Any]:
    """The short report when the API server refused the full status: Ready=False with its reason and
    message, every other condition (and observedGeneration) as it was, since none of it is new."""
    return _status(old, None, [condition("Ready", False, reason, message, None)], now)


def _rfc3339(unix: int | None) -> str | None:
    return None if unix is None else rfc3339(unix)


def _prediction_fields(reading: Reading, predictions: Sequence[Prediction]) -> dict[str, Any]:
    """The reading's breach probability and expected breach time, when a forecast covers it."""
    for p in predictions:
        if p.row == reading.row:
            return {"breach_probability": f"{p.probability:.3f}", "predicted_breach_at": _rfc3339(p.forecast.breach_at)}
    return {}


def objectives(readings: Sequence[Reading], predictions: Sequence[Prediction] = ()) -> dict[str, Any]:
    """Per objective (and group value): SLI in percent, budget remaining as a ratio, state, and the
    breach prediction if there is one; plus the worst state."""
    entries = [ObjectiveStatus(
        name=str(r.row),
        sli=None if r.compliance.sli is None else f"{r.compliance.sli * 100:.3f}",
        budget_remaining=None if r.compliance.budget_remaining is None else f"{r.compliance.budget_remaining:.3f}",
        state=r.compliance.state,
        **_prediction_fields(r, predictions),
    ) for r in readings]
    budgets = [r.compliance.budget_remaining for r in readings if r.compliance.budget_remaining is not None]
    return SLAStatus(
        objectives=entries, state=worst_state(r.compliance.state for r in readings), budget_remaining=f"{min(budgets):.3f}" if budgets else None,
    ).model_dump(by_alias=True, include={"objectives", "state", "budget_remaining"}, exclude_none=True) | (
        {} if budgets else {"budgetRemaining": None})  # null removes a stale figure (merge patch)
