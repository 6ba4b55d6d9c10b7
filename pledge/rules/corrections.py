"""One-off corrections (pledge.slo.corrections) in the recorded period events, so the period error
ratio, ``pledge:error_budget_remaining:ratio`` and SLABudgetExhausted/SLABudgetAtRisk read what the
API's corrected figures read (burn-rate alerts stay as recorded: alerts that fired are history).

Each correction piece (``pledge.slo.corrections.pieces``: maintenance cut out, overlaps resolved)
adds parts to the period's sum (pledge.rules.tiles ``window_sum``/``calendar_sum``): what the
piece's 5 m tiles held, read as the API reads them (``pledge.rules.queries.held_tiles``, pinned
with ``@``), times the effect's coefficients (taken from ``pledge.slo.corrections.change`` itself).
A group whose tiles the piece does not hold simply has no such part, so its period series stays.
A part counts from the moment the piece's last tile is recorded (``tiles_recorded``: a correction
is written after the fact, so live that is always already past; a backfill does not subtract
events the period does not hold yet), and:

- calendar windows: until the calendar period that holds the piece closes (in the SLA's time
  zone, pledge.slo.periods; a piece across a boundary is split, one per period);
- rolling windows of W seconds: fully while the whole piece lies within the window, then
  ``clamp((end - (time() - W)) / (end - start), 0, 1)``, gone once its end has left the window.
  An approximation of its tiles aging out one by one: exact at both ends, linear in between (the
  API, reading the tiles themselves, is exact throughout).

Rules must not depend on the moment they are generated, and a recurring correction has no finite
list of occurrences without one: recurring corrections are left to the API, which applies them
when it reads (docs/governance.md, Corrections). The period series is clamped at 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

from pledge.rules import names
from pledge.rules.context import Context
from pledge.rules.promql import in_interval, now_expression
from pledge.rules.queries import held_tiles, tiles_recorded
from pledge.rules.tiles import ERRORS, Kind, part
from pledge.slo.corrections import NONE, Events, Piece, change, pieces
from pledge.slo.numbers import render_number
from pledge.slo.periods import period_starts
from pledge.sla.model import CorrectionEffect

Span = tuple[float, float, str]  # a piece (or its share of one period): start, end, a condition true while it counts
_UNIT = {names.ERRORS_TILE: Events(1.0, 0.0), names.REQUESTS_TILE: Events(0.0, 1.0)}


def coefficient(effect: CorrectionEffect, kind: Kind, held: str) -> float:
    """What one event of the ``held`` tiles adds to the period's ``kind`` events: ``change`` is
    linear in the events held, so its answer for one bad and for one valid event is its table."""
    assert change(effect, NONE) == NONE
    moved = change(effect, _UNIT[held])
    return moved.bad if kind == ERRORS else moved.valid


def one_off_pieces(c: Context) -> list[Piece]:
    """The objective's pieces of the SLA's one-off corrections (recurring ones: see the module)."""
    one_off = [x for x in c.sla.spec.corrections if x.schedule is None]
    if not one_off:
        return []
    start = min(x.start.timestamp() for x in one_off if x.start is not None)
    end = max(x.end.timestamp() for x in one_off if x.end is not None)
    return pieces(one_off, c.sla.spec.exclusions, start, end, objective=c.objective.name)


def _spans(c: Context, piece: Piece) -> Iterator[Span]:
    """Where and while a piece counts: (start, end, a condition non-empty while it does)."""
    window = c.sla.spec.window
    if window.rolling is not None:
        span = int(window.rolling)
        yield piece.start, piece.end, in_interval(tiles_recorded(piece.end), piece.end + span)
        return
    assert window.calendar is not None
    starts = period_starts(window.calendar, window.timezone, piece.start, piece.end)
    for opens, closes in pairwise(starts):
        start, end = max(piece.start, opens), min(piece.end, closes)
        if end - start >= 1:
            yield start, end, in_interval(tiles_recorded(end), closes)


def _weight(c: Context, start: float, end: float) -> str:
    """`` * <share still in the window>`` for a rolling window; nothing for a calendar one."""
    if c.sla.spec.window.rolling is None:
        return ""
    back = f"{now_expression()} - {int(c.sla.spec.window.rolling)}"
    share = f"clamp(({render_number(end)} - ({back})) / {render_number(end - start)}, 0, 1)"
    return f" * on() group_left() {share}"


def correction_parts(c: Context, kind: Kind) -> list[str]:
    """The parts the objective's one-off corrections add to its period's ``kind`` events
    (``pledge.rules.tiles.part``, for ``window_sum``/``calendar_sum``'s ``extra``)."""
    parts = []
    for n, piece in enumerate(one_off_pieces(c)):
        for m, (start, end, counting) in enumerate(_spans(c, piece)):
            for held in (names.ERRORS_TILE, names.REQUESTS_TILE):
                factor = coefficient(piece.effect, kind, held)
                if not factor or (events := held_tiles(held, c.matchers, start, end)) is None:
                    continue
                term = f"({render_number(factor)} * {events}{_weight(c, start, end)}) and on() {counting}"
                parts.append(part(term, f"correction-{n}-{m}-{held}"))
    return parts


def corrected(expr: str, parts: list[str]) -> str:
    """A period's events with correction parts in them: never below zero."""
    return f"clamp_min({expr}, 0)" if parts else expr
