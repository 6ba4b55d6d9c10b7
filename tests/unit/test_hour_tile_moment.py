"""When the tiles group records an hour tile: the second evaluation of each UTC hour, whatever the
group's phase in its 5-minute cycle (``pledge backfill`` asks it of the server's first tile)."""

from __future__ import annotations

import datetime as dt

import pytest

from pledge.rules.tiles import hour_tile_at_or_after


def at(hhmmss: str) -> float:
    return dt.datetime.fromisoformat(f"2026-11-04T{hhmmss}+00:00").timestamp()


@pytest.mark.parametrize(("first", "recorded"), [
    ("05:21:50", "06:06:50"),  # mid-hour: the next hour's second evaluation, in the same phase
    ("06:05:50", "06:05:50"),  # already one
    ("06:00:00", "06:05:00"),  # phase 0: the hour's first evaluation is not one
    ("06:09:59", "06:09:59"),  # the last moment of the second slot
    ("06:10:00", "07:05:00"),
])
def test_the_hour_tile_moment(first: str, recorded: str) -> None:
    assert hour_tile_at_or_after(at(first)) == at(recorded)
