"""Events on tiles that never overlap: the one spelling of a long window's and a period's events,
shared by the rules (pledge.rules.generate) and the API (pledge.rules.queries).

A 5 m tile (``pledge:sli_*:increase5m``, recorded by the tiles group every 5 minutes) holds the
events between two evaluations, counters read at both ends, so tiles add up to exactly what the
counters grew by. An hour tile (``increase1h``), recorded at the second evaluation of each UTC hour,
holds the twelve 5 m tiles that started in the hour before. Windows up to 31 days sum 5 m tiles
(8,928 samples at most: promtool's rule tests refuse a query over 10,000); longer ones and calendar
periods sum hour tiles and patch the ends with 5 m tiles. Either way a window ends exactly at the
evaluation and counts each event once. A tile belongs to the window or period it starts in.

promtool's rule tests evaluate every group at the test's ``evaluation_interval``: give it 5m, or the
tiles overlap (ratios still hold, event counts do not).

Every range here stops 1 s short of a tile boundary: ranges are closed on the left in Prometheus 2
and open in Prometheus 3 and VictoriaMetrics, and both then hold the same tiles.
"""

from __future__ import annotations

from collections.abc import Sequence

from pledge.sla.identity import IDENTITY_LABELS
from pledge.rules import names
from pledge.rules.promql import by, escape_label_value
from pledge.sla.duration import format_duration
from pledge.sla.units import DAY, HOUR

SLI_INTERVAL = 30  # the sli and alerts groups' evaluation interval
TILE = names.TILE  # the tiles group's evaluation interval
TILES_PER_HOUR = HOUR // TILE
TILES_UP_TO = 31 * DAY  # longer windows read hour tiles

Kind = tuple[str, str]  # (5 m tile, hour tile) names of one kind of event
ERRORS: Kind = (names.ERRORS_TILE, names.ERRORS_HOUR_TILE)
REQUESTS: Kind = (names.REQUESTS_TILE, names.REQUESTS_HOUR_TILE)


def on_identity(grouping: list[str]) -> str:
    """``on(...)`` matching one objective and group value of one SLA."""
    return f"on({', '.join([*IDENTITY_LABELS, *grouping])})"


def tiles_back(span: float, tile: int = TILE) -> str:
    """A range holding the tiles that started within the last ``span`` seconds."""
    return format_duration(max(1, int(span) - tile + 1))


def tile_sum(name: str, selector: str, span: float, offset: int = 0) -> str:
    """The 5 m tiles that started within the ``span`` seconds before ``offset`` seconds ago, summed
    per series."""
    shifted = f" offset {format_duration(offset)}" if offset else ""
    return f"sum_over_time({name}{{{selector}}}[{tiles_back(span)}]{shifted})"


def tile_of_hour(name: str, selector: str) -> str:
    """At the second evaluation of an hour: the twelve 5 m tiles that started in the hour before
    (the previous evaluation's and eleven earlier ones), summed; empty at every other evaluation."""
    return f"{tile_sum(name, selector, HOUR, TILE)} and {evaluation(1)}"


def evaluation(k: int) -> str:
    """Non-empty at the ``k``-th evaluation (from 0) of the tiles group in each UTC hour."""
    return f"on() (vector(time()) % {HOUR} >= {k * TILE} < {(k + 1) * TILE})"


def hour_tile_at_or_after(moment: float) -> float:
    """The first evaluation from ``moment`` on (``moment`` one of the tiles group's) that records an
    hour tile: the second of a UTC hour, as ``evaluation(1)`` selects."""
    return next(t for t in (moment + k * TILE for k in range(TILES_PER_HOUR + 1)) if TILE <= t % HOUR < 2 * TILE)


def latest_hour(k: int) -> int:
    """5 m tiles since the newest hour tile ends, at the ``k``-th evaluation of an hour: the hour
    before's tile is recorded at its second evaluation."""
    return k if k else TILES_PER_HOUR


def part(expr: str, name: str) -> str:
    """``expr`` told apart from the other parts of one sum by a ``pledge_part`` label."""
    return f'label_replace({expr}, "pledge_part", "{escape_label_value(name)}", "", "")'


def _summed(parts: list[str], grouping: list[str]) -> str:
    """Parts told apart by a label, then added: a part that is empty (no history yet) adds nothing."""
    return f"sum {by([*IDENTITY_LABELS, *grouping])}({' or '.join(parts)})"


def window_sum(kind: Kind, selector: str, window: int, grouping: list[str], extra: Sequence[str] = ()) -> str:
    """Events in exactly the ``window`` seconds before an evaluation of the tiles group, in whole
    5 m tiles. Beyond 31 days: n - 1 hour tiles, the 5 m tiles since the newest one, and the 5 m
    tiles at the old end that fill the window (the last two depend on where in the hour it is).
    ``extra``: more parts (``part``) added to the sum (the corrections, pledge.rules.corrections)."""
    tile, hour_tile = kind
    if window <= TILES_UP_TO:
        if extra:
            return _summed([part(tile_sum(tile, selector, window), "tiles"), *extra], grouping)
        return tile_sum(tile, selector, window)
    hours = window // HOUR - 1
    tiles = window // TILE - hours * TILES_PER_HOUR  # 12 to 23: the recent and the oldest
    parts = [part(f"sum_over_time({hour_tile}{{{selector}}}[{format_duration(hours * HOUR - 1)}])", "hours")]
    for k in range(TILES_PER_HOUR):
        recent = latest_hour(k)
        parts.append(part(f"{tile_sum(tile, selector, recent * TILE)} and {evaluation(k)}", "recent"))
        if oldest := tiles - recent:
            old_end = tile_sum(tile, selector, oldest * TILE, recent * TILE + hours * HOUR)
            parts.append(part(f"{old_end} and {evaluation(k)}", "oldest"))
    return _summed([*parts, *extra], grouping)


def calendar_sum(kind: Kind, selector: str, grouping: list[str], longest: int, index: str, hour_index: str,
                 extra: Sequence[str] = ()) -> str:
    """Events since the period began: the hour tiles tagged with the current period (``index`` mod
    3; a range of the ``longest`` period touches three at most) and the 5 m tiles since the newest
    hour tile, when they started in this period (``hour_index``: the period an hour ago).
    ``extra``: more parts added to the sum (the corrections, pledge.rules.corrections)."""
    tile, hour_tile = kind
    parts = []
    for k in range(3):
        tagged = f'{hour_tile}{{{selector},{names.PERIOD_LABEL}="{k}"}}'
        parts.append(part(f"sum_over_time({tagged}[{format_duration(longest)}]) and on() ({index} % 3 == {k})", "hours"))
    for k in range(TILES_PER_HOUR):
        recent = f"{tile_sum(tile, selector, latest_hour(k) * TILE)} and {evaluation(k)}"
        parts.append(part(recent if k else f"{recent} and on() ({hour_index} == {index})", "recent"))
    return _summed([*parts, *extra], grouping)


def summed_ratio(selector: str, window: int, grouping: list[str]) -> str:
    """Error ratio over the 5 m tiles of the last ``window`` seconds (the API, at any moment):
    request-weighted, and absent instead of NaN without requests."""
    return f"{tile_sum(names.ERRORS_TILE, selector, window)} / {on_identity(grouping)} ({tile_sum(names.REQUESTS_TILE, selector, window)} > 0)"


def summed_events(selector: str, span: float) -> tuple[str, str]:
    """(bad events, valid events) in the 5 m tiles that started within the last ``span`` seconds."""
    return tile_sum(names.ERRORS_TILE, selector, span), tile_sum(names.REQUESTS_TILE, selector, span)
