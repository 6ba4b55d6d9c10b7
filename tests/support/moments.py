"""The instants test worlds are built as of, never the wall clock, and the one way to move them.

Every world ends at a fixed instant by default, so a run tests the same data on any day. Setting
``PLEDGE_WORLD_END`` (RFC 3339 or unix seconds) moves the API and VictoriaMetrics worlds' end, to
replay a failing day or sweep calendar edges: `PLEDGE_WORLD_END=2026-12-01T00:30:00+01:00 make test`.
"""

from __future__ import annotations

import os

from pledge.clock import parse_moment

WORLD_END_VARIABLE = "PLEDGE_WORLD_END"
STEP = 60


def world_end(default: str) -> float:
    """``PLEDGE_WORLD_END`` if set, else ``default``; whole minutes, as the worlds' steps are."""
    text = os.environ.get(WORLD_END_VARIABLE) or default
    try:
        moment = parse_moment(text)
    except ValueError as exc:
        raise SystemExit(f"{WORLD_END_VARIABLE}: {exc}") from None
    return float(int(moment) // STEP * STEP)
