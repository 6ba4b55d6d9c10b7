"""What an import kept, changed and lost, per peer SLO: the mapping report `pledge import` prints.

Each field of a peer SLO gets a note: exact (pledge alerts and measures as the peer did),
approximated (kept, with a bounded difference the note names), dropped (a detail pledge cannot
hold; the SLO still imports) or unsupported (the SLO cannot be imported at all).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

Fidelity = Literal["exact", "approximated", "dropped", "unsupported"]
RANK: Final[dict[Fidelity, int]] = {"exact": 0, "approximated": 1, "dropped": 2, "unsupported": 3}
EXACT, APPROXIMATED, LOST = 0, 3, 1  # exit codes: all exact; something approximated; dropped or unsupported


@dataclass(frozen=True)
class Note:
    """One peer field and what became of it."""

    field: str
    fidelity: Fidelity
    how: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "fidelity": self.fidelity, "how": self.how}


@dataclass
class Mapping:
    """One peer SLO: where it came from and, unless unsupported, the SLA document it became."""

    source: str  # "file" or "file#document"
    peer: str  # e.g. "Sloth prometheus/v1"
    slo: str
    notes: list[Note] = field(default_factory=list)
    document: dict[str, Any] | None = None  # the SLA, camelCase, as the model validates it

    def note(self, field_name: str, fidelity: Fidelity, how: str) -> None:
        self.notes.append(Note(field_name, fidelity, how))

    @property
    def fidelity(self) -> Fidelity:
        worst: Fidelity = "exact"
        for note in self.notes:
            if RANK[note.fidelity] > RANK[worst]:
                worst = note.fidelity
        return "unsupported" if self.document is None else worst

    @property
    def key(self) -> str | None:
        if self.document is None:
            return None
        metadata = self.document["metadata"]
        return f"{metadata.get('namespace', 'default')}/{metadata['name']}"

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "peer": self.peer, "slo": self.slo, "sla": self.key,
                "fidelity": self.fidelity, "notes": [n.as_json() for n in self.notes]}


def exit_code(mappings: list[Mapping]) -> int:
    """0 when every SLO maps exactly, 3 when something is approximated, 1 when anything is dropped
    or unsupported (or nothing was found to import)."""
    if not mappings:
        return LOST
    worst = max(RANK[m.fidelity] for m in mappings)
    return EXACT if worst == 0 else APPROXIMATED if worst == 1 else LOST


def table(mappings: list[Mapping]) -> str:
    """The report as text: one line per SLO, then its notes that are not exact, indented."""
    lines = []
    for mapping in mappings:
        target = mapping.key or "(not imported)"
        lines.append(f"{mapping.fidelity:<12} {mapping.source}  {mapping.peer} {mapping.slo} -> {target}")
        for note in mapping.notes:
            if note.fidelity != "exact":
                lines.append(f"  {note.fidelity:<12} {note.field}: {note.how}")
    counts = {f: sum(1 for m in mappings if m.fidelity == f) for f in RANK}
    lines.append(", ".join(f"{n} {f}" for f, n in counts.items() if n) or "nothing to import")
    return "\n".join(lines)
