"""Corrections after the fact, applied when a period's figures are read (pure).

A correction (pledge.sla.model.Correction) changes what an interval's recorded events count as:
``exclude`` drops its good and bad events, ``good`` counts its bad events (bad time) as good,
``bad`` counts all its valid events as bad. Nothing is stored: the figures of a period are its
events minus what each correction's pieces held, plus what they count as instead, so a correction
reaches back as far as the recorded events do and withdrawing it restores the figures.

``pieces`` is the one place that turns a period, its exclusions and the corrections into the
intervals whose events are read; ``apply`` is the one arithmetic. Callers pass the corrections (not
the SLA), so a report can compute a period with another revision's corrections.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pledge.sla.identity import Row
from pledge.sla.model import Correction, CorrectionEffect, TimeWindow
from pledge.slo.exclusions import Interval, intervals


@dataclass(frozen=True)
class Piece:
    """One occurrence of a correction inside a period: [start, end) after exclusions and rounding."""

    index: int  # the correction's position in the list given
    correction: Correction
    start: float
    end: float

    @property
    def effect(self) -> CorrectionEffect:
        return self.correction.effect


@dataclass(frozen=True)
class Events:
    """Bad and valid events (or seconds, for a time-slice SLI) of one objective and group value."""

    bad: float
    valid: float

    def __add__(self, other: Events) -> Events:
        return Events(self.bad + other.bad, self.valid + other.valid)

    def __sub__(self, other: Events) -> Events:
        return Events(self.bad - other.bad, self.valid - other.valid)


NONE = Events(0.0, 0.0)


def pieces(corrections: Sequence[Correction], exclusions: Sequence[TimeWindow], start: float, end: float, *,
           objective: str | None = None) -> list[Piece]:
    """The corrections' occurrences within [start, end) (of ``objective``'s when given), sorted.

    Maintenance outranks a correction: excluded time is cut out of every piece (its events are not
    counted in the first place). Pieces never overlap (where occurrences do, the one that starts
    first keeps the time), so no event is corrected twice; pieces shorter than a second are dropped.
    Read from recorded tiles, a piece holds the tiles that start within it, as a period does
    (pledge.rules.queries.piece_events): disjoint pieces hold disjoint tiles.
    """
    excluded = intervals(exclusions, start, end)
    found: list[tuple[float, float, int]] = []
    for index, correction in enumerate(corrections):
        if objective is not None and not correction.applies_to(objective):
            continue
        for a, b in intervals([correction], start, end):
            found += [(x, y, index) for x, y in _without(a, b, excluded)]
    placed: list[Piece] = []
    cursor = start
    for a, b, index in sorted(found):
        a = max(a, cursor)
        if b - a >= 1:
            placed.append(Piece(index, corrections[index], a, b))
            cursor = b
    return placed


def _without(a: float, b: float, excluded: list[Interval]) -> list[Interval]:
    """[a, b) minus the (sorted, merged) excluded intervals."""
    left, cursor = [], a
    for x, y in excluded:
        if y <= cursor or x >= b:
            continue
        if x > cursor:
            left.append((cursor, x))
        cursor = max(cursor, y)
    if cursor < b:
        left.append((cursor, b))
    return left


def change(effect: CorrectionEffect, held: Events) -> Events:
    """What a piece holding ``held`` events adds to the period's (negative: removes)."""
    if effect == "exclude":
        return Events(-held.bad, -held.valid)
    if effect == "good":
        return Events(-held.bad, 0.0)
    return Events(held.valid - held.bad, 0.0)


def apply(recorded: Events, held: Iterable[tuple[Piece, Events]]) -> Events:
    """The period's events after the corrections: ``recorded`` (the uncorrected events, maintenance
    left out) changed by each piece's effect on the events it held. Never below zero (a counter
    read at slightly different moments must not make a negative count)."""
    total = recorded
    for piece, events in held:
        total = total + change(piece.effect, events)
    return Events(max(0.0, total.bad), max(0.0, total.valid))


def touching(corrections: Sequence[Correction], start: float, end: float) -> bool:
    """Whether any correction has time within [start, end): only then is the corrected path needed."""
    return any(intervals([c], start, end) for c in corrections)


@dataclass(frozen=True)
class Held:
    """The corrections' pieces of one period per objective, and the events each held per row
    (``(row, n)``: the row's objective's ``n``-th piece; a piece holding nothing is absent)."""

    pieces: dict[str, list[Piece]]
    events: dict[tuple[Row, int], Events]

    def of(self, row: Row) -> list[tuple[Piece, Events]]:
        return [(p, self.events.get((row, n), NONE)) for n, p in enumerate(self.pieces.get(row.objective, []))]

    def correct(self, row: Row, recorded: Events) -> Events:
        return apply(recorded, self.of(row))

    def __bool__(self) -> bool:
        return any(self.pieces.values())


NOTHING_HELD = Held({}, {})
