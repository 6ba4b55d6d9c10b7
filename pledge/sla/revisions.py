"""An SLA's record: every accepted definition as an immutable, numbered revision, what kind of change
made it, and the diff between consecutive ones. Pure: where the definitions come from (git for files,
the operator's revision objects in Kubernetes) is the caller's business.

A revision's ``spec`` is the canonical accepted spec: the SLA model's dump by alias, in JSON mode,
without the fields left at their defaults (so writing a default out, or a pledge release that adds an
optional field, is no change); ``sha256`` is the hash of its sorted-keys JSON. Consecutive definitions
with one hash are one revision."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pledge.sla.identity import SLARef
from pledge.sla.model import ServiceLevelAgreement

Kind = Literal["created", "budget-critical", "sli", "cosmetic"]
KINDS: Final[tuple[Kind, ...]] = ("created", "budget-critical", "sli", "cosmetic")
NO_HISTORY: Final = "no history: the current definition is the only one known"
UNCOMMITTED: Final = "uncommitted change"

# Top-level spec fields (by alias) whose change changes what an objective owes or is judged by.
BUDGET_CRITICAL: Final = frozenset({"window", "credits", "creditCap", "fee", "exclusions", "corrections", "changePolicy"})
# Fields of an objective (by alias) that are its terms; its "sli" is what it measures.
OBJECTIVE_TERMS: Final = frozenset({"target", "warning"})
# Top-level fields that change what is measured (the rows recorded), as an SLI query does.
MEASURED: Final = frozenset({"grouping"})
# Lists whose items are named: their readable paths say the name ("objectives[availability]").
KEYED: Final = {"objectives": "name"}

Spec = dict[str, Any]
Patch = list[dict[str, Any]]


def spec_of(sla: ServiceLevelAgreement) -> Spec:
    """The canonical accepted spec of ``sla``."""
    spec: Spec = sla.spec.model_dump(by_alias=True, mode="json", exclude_defaults=True)
    return spec


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def spec_hash(spec: Mapping[str, Any]) -> str:
    """sha256 (hex) of the spec's sorted-keys JSON."""
    return hashlib.sha256(canonical_json(spec).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Revision:
    """One accepted definition of an SLA, numbered from 1 per SLA and never rewritten.

    ``accepted_at`` is None only when the moment is unknown (the current definition of an SLA without
    history: ``History.known`` is False); ``tool`` is "git" or a Kubernetes field manager;
    ``changes`` are the readable paths that changed since the previous revision (none for "created")."""

    number: int
    sha256: str
    spec: Spec
    accepted_at: dt.datetime | None
    kind: Kind
    changes: tuple[str, ...] = ()
    author: str | None = None
    tool: str | None = None
    reason: str | None = None
    commit: str | None = None
    uncommitted: bool = False

    @property
    def short(self) -> str:
        """The hash's first 12 digits: how people name a revision's content."""
        return self.sha256[:12]


@dataclass(frozen=True)
class Proposed:
    """A definition as found (one git commit's version, a Kubernetes generation), before numbering."""

    spec: Spec
    accepted_at: dt.datetime | None
    author: str | None = None
    tool: str | None = None
    reason: str | None = None
    commit: str | None = None
    uncommitted: bool = False


@dataclass(frozen=True)
class History:
    """An SLA's revisions, oldest first. ``known`` False: there is no history to read (no git, or a
    source that keeps none), so the current definition is the only one known and ``note`` says so;
    ``notes`` name the versions that could not be read (a commit whose file was not valid)."""

    ref: SLARef
    revisions: tuple[Revision, ...]
    known: bool = True
    note: str | None = None
    source: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def current(self) -> Revision:
        return self.revisions[-1]

    def number(self, n: int) -> Revision | None:
        return self.revisions[n - 1] if 1 <= n <= len(self.revisions) else None


# -- diff -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One readable difference: ``path`` as people read it, the value before and after (None: absent)."""

    path: str
    old: Any
    new: Any

    def text(self) -> str:
        if self.old is None:
            return f"{self.path}: added {_shown(self.new)}"
        if self.new is None:
            return f"{self.path}: removed (was {_shown(self.old)})"
        return f"{self.path}: {_shown(self.old)} -> {_shown(self.new)}"


@dataclass(frozen=True)
class Diff:
    """RFC 6902 JSON patch from the old spec to the new one, and the same as readable changes."""

    patch: Patch = field(default_factory=list)
    changes: tuple[Change, ...] = ()

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(c.path for c in self.changes)

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(c.text() for c in self.changes)


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> Diff:
    """The JSON patch (deterministic: keys in sorted order, lists by longest common run of equal
    items) and the readable changes (named list items by name: "objectives[availability].target")."""
    patch: Patch = []
    _patch(old, new, "", patch)
    changes: list[Change] = []
    _readable(old, new, "", changes)
    return Diff(patch, tuple(changes))


def _pointer(path: str, key: str | int) -> str:
    return f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"


def _same(a: Any, b: Any) -> bool:
    return canonical_json(a) == canonical_json(b)


def _patch(old: Any, new: Any, path: str, out: Patch) -> None:
    if _same(old, new):
        return
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) - set(new)):
            out.append({"op": "remove", "path": _pointer(path, key)})
        for key in sorted(set(old) & set(new)):
            _patch(old[key], new[key], _pointer(path, key), out)
        for key in sorted(set(new) - set(old)):
            out.append({"op": "add", "path": _pointer(path, key), "value": new[key]})
    elif isinstance(old, list) and isinstance(new, list):
        _patch_list(old, new, path, out)
    else:
        out.append({"op": "replace", "path": path, "value": new})


def _patch_list(old: list[Any], new: list[Any], path: str, out: Patch) -> None:
    """Once an opcode is applied the list's prefix equals ``new[:j2]``, so each opcode's items sit at
    their new index ``j1`` when it is applied."""
    matcher = difflib.SequenceMatcher(None, [canonical_json(x) for x in old], [canonical_json(x) for x in new],
                                      autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0  # changed in place, the rest removed or added
        for k in range(paired):
            _patch(old[i1 + k], new[j1 + k], _pointer(path, j1 + k), out)
        start = j1 + paired
        out.extend({"op": "remove", "path": _pointer(path, start)} for _ in range(i2 - i1 - paired))
        out.extend({"op": "add", "path": _pointer(path, start + k), "value": new[start + k]}
                   for k in range(j2 - j1 - paired))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _readable(old: Any, new: Any, path: str, out: list[Change]) -> None:
    if _same(old, new):
        return
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new)):
            if key not in new:
                out.append(Change(_join(path, key), old[key], None))
            elif key not in old:
                out.append(Change(_join(path, key), None, new[key]))
            else:
                _readable(old[key], new[key], _join(path, key), out)
    elif isinstance(old, list) and isinstance(new, list) and path in KEYED and _named(old, new, KEYED[path]):
        _readable_named(old, new, path, KEYED[path], out)
    elif isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            before = old[index] if index < len(old) else None
            after = new[index] if index < len(new) else None
            if before is None or after is None:
                out.append(Change(f"{path}[{index}]", before, after))
            else:
                _readable(before, after, f"{path}[{index}]", out)
    else:
        out.append(Change(path, old, new))


def _named(old: list[Any], new: list[Any], key: str) -> bool:
    return all(isinstance(item, Mapping) and isinstance(item.get(key), str) for item in (*old, *new))


def _readable_named(old: list[Any], new: list[Any], path: str, key: str, out: list[Change]) -> None:
    before = {item[key]: item for item in old}
    after = {item[key]: item for item in new}
    for name in [*before, *(n for n in after if n not in before)]:
        where = f"{path}[{name}]"
        if name not in after:
            out.append(Change(where, before[name], None))
        elif name not in before:
            out.append(Change(where, None, after[name]))
        else:
            _readable({k: v for k, v in before[name].items() if k != key},
                      {k: v for k, v in after[name].items() if k != key}, where, out)
    common_before, common_after = [n for n in before if n in after], [n for n in after if n in before]
    if common_before != common_after:
        out.append(Change(f"{path} order", common_before, common_after))


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and "target" in value:  # an objective added or removed: its terms
        return ", ".join(f"{key} {value[key]}" for key in ("target", "warning") if key in value)
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


# -- kinds ----------------------------------------------------------------------------------------


def field_of(path: str) -> str:
    """The spec's top-level field a readable change path is under ("objectives[a].target": objectives)."""
    return path.split(".", 1)[0].split("[", 1)[0].split(" ", 1)[0]


def kind_of_path(path: str) -> Kind:
    """What one readable change path is: a term (budget-critical), the measurement (sli), or neither."""
    top = field_of(path)
    if top in BUDGET_CRITICAL:
        return "budget-critical"
    if top in MEASURED:
        return "sli"
    if top in KEYED:
        rest = path[len(top):]
        if rest.startswith("[") and "]" in rest:
            field_path = rest[rest.index("]") + 1:]
            if not field_path:  # an objective added or removed
                return "budget-critical"
            leaf = field_path.lstrip(".").split(".", 1)[0].split("[", 1)[0]
            if leaf in OBJECTIVE_TERMS:
                return "budget-critical"
            if leaf == "sli":
                return "sli"
            return "cosmetic"
        if rest.startswith("["):  # not named: the list changed wholesale
            return "budget-critical"
    return "cosmetic"


RANK: Final[dict[Kind, int]] = {"cosmetic": 0, "sli": 1, "budget-critical": 2, "created": 3}


def classify(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> Kind:
    """The most significant kind among the changes from ``old`` to ``new`` (None: "created").

    budget-critical: a target or warning, the window, credits, the credit cap, exclusions, corrections
    or the change policy changed, or an objective was added or removed; sli: only what is measured
    changed (an objective's SLI, the grouping) besides cosmetic fields; cosmetic: anything else."""
    if old is None:
        return "created"
    kinds = [kind_of_path(path) for path in diff(old, new).paths]
    return max(kinds, key=RANK.__getitem__, default="cosmetic")


# -- numbering and reading ------------------------------------------------------------------------


def numbered(found: Iterable[Proposed]) -> list[Revision]:
    """Revisions from definitions in the order they were accepted: a definition with the hash of the
    one before is not a new revision."""
    revisions: list[Revision] = []
    for each in found:
        digest = spec_hash(each.spec)
        previous = revisions[-1] if revisions else None
        if previous is not None and previous.sha256 == digest:
            continue
        changes = diff(previous.spec, each.spec).paths if previous is not None else ()
        kind = classify(previous.spec if previous is not None else None, each.spec)
        revisions.append(Revision(len(revisions) + 1, digest, each.spec, each.accepted_at, kind, changes,
                                  each.author, each.tool, each.reason, each.commit, each.uncommitted))
    return revisions


def current_only(sla: ServiceLevelAgreement, note: str = NO_HISTORY, source: str | None = None) -> History:
    """The history of an SLA whose earlier definitions cannot be known: its current one as revision 1."""
    spec = spec_of(sla)
    revision = Revision(1, spec_hash(spec), spec, None, "created")
    return History(sla.ref, (revision,), known=False, note=note, source=source)


def between(revisions: Sequence[Revision], number: int) -> Diff:
    """The diff from revision ``number - 1`` to ``number`` (empty for the first)."""
    if number <= 1:
        return Diff()
    return diff(revisions[number - 2].spec, revisions[number - 1].spec)


def in_force(revisions: Sequence[Revision], at: dt.datetime) -> Revision | None:
    """The revision in force at ``at``: the last accepted at or before it (one whose moment is unknown
    counts as accepted before anything); None before the first."""
    found = None
    for revision in revisions:
        if revision.accepted_at is None or revision.accepted_at <= at:
            found = revision
    return found
