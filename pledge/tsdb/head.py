"""Where a Prometheus server's TSDB head begins: `pledge backfill` writes blocks only before it.

Prometheus keeps its newest samples in the head (memory, and the write-ahead log on disk) and writes
them to a block once the head spans one and a half block ranges (2 h by default; the hidden flag
``--storage.tsdb.min-block-duration``): it cuts the range-aligned block its oldest samples are in and
the head then begins where that block ends. At start-up it replays the write-ahead log only from the
end of the newest block in the data directory (Prometheus 2.42, ``tsdb.DB.open``: the head's
``minValidTime``): a block that reaches into the head makes the next restart drop every series'
samples from before that block's end, raw scrapes included. So nothing is written at or after the
head's first sample; what lies there waits until the server has written it to a block itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pledge.prom.client import PrometheusClient
from pledge.sla.duration import parse_duration
from pledge.sla.units import HOUR, MINUTE

DEFAULT_BLOCK = 2 * HOUR  # Prometheus' --storage.tsdb.min-block-duration
COMPACTION_CHECK = MINUTE  # the server looks for a head to compact at least once a minute


@dataclass(frozen=True)
class Head:
    """The head's samples span [``start``, ``end``] (unix seconds), None when it holds none; ``block``
    is the server's block range (seconds), ``path`` its ``--storage.tsdb.path`` when it says."""

    start: float | None
    end: float | None
    block: int = DEFAULT_BLOCK
    path: str | None = None

    @property
    def boundary(self) -> float:
        """Blocks written must end by this moment (their last sample before it): the head's first
        sample, or no limit when the head is empty."""
        return math.inf if self.start is None else self.start

    def compacted_past(self, moment: float) -> float:
        """About when the server will have written its samples up to ``moment`` (included) to a block:
        it cuts the block ending at the first block boundary after ``moment`` once the head spans one
        and a half block ranges from that block's start (or the head's start, if later), and looks for
        that at least once a minute."""
        if self.start is None or moment < self.start:
            return -math.inf
        ends = (math.floor(moment / self.block) + 1) * self.block
        return max(ends - self.block, self.start) + 1.5 * self.block + COMPACTION_CHECK


def _milliseconds(value: Any) -> float | None:
    """A headStats time as unix seconds; None for the empty head's sentinels (±2^63)."""
    number = int(value)
    return None if abs(number) >= 2**62 else number / 1000


async def head_of(client: PrometheusClient) -> Head:
    """The server's head, from /api/v1/status/tsdb and /api/v1/status/flags."""
    stats = (await client.status("tsdb"))["headStats"]
    start, end = _milliseconds(stats["minTime"]), _milliseconds(stats["maxTime"])
    flags: dict[str, str] = await client.status("flags")
    try:
        block = parse_duration(flags.get("storage.tsdb.min-block-duration", "2h"))
    except ValueError:
        block = DEFAULT_BLOCK
    return Head(start if end is not None else None, end, block, flags.get("storage.tsdb.path"))
