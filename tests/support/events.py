"""Exact event counts from the raw samples, to hold the rules' tiles against."""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field

from pledge.rules.names import TILE


@dataclass
class Truth:
    """Requests and bad requests per scrape step, the steps ending at ``stamps``."""

    stamps: list[float]
    requests: list[int]
    bad: list[int]
    _requests: list[int] = field(init=False)
    _bad: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self._requests = [0, *itertools.accumulate(self.requests)]
        self._bad = [0, *itertools.accumulate(self.bad)]

    def events(self, start: float, end: float) -> tuple[int, int]:
        """(bad, valid) in the steps ending in (start, end]: the counters' growth between them."""
        first, last = bisect.bisect_right(self.stamps, start), bisect.bisect_right(self.stamps, end)
        return self._bad[last] - self._bad[first], self._requests[last] - self._requests[first]

    def tiled(self, start: float, end: float, masked: list[tuple[float, float]] | None = None) -> tuple[float, int]:
        """Error ratio and valid events of the 5 m tiles ending at ``end``, ``end`` - 5 m, ... that
        started at ``start`` or later, without the tiles that touch maintenance (as the rules mask them)."""
        errors = total = 0
        tile_end = end
        while tile_end - TILE >= start:
            if not any(a <= tile_end < b + TILE for a, b in masked or []):
                bad, valid = self.events(tile_end - TILE, tile_end)
                errors, total = errors + bad, total + valid
            tile_end -= TILE
        return errors / total, total
