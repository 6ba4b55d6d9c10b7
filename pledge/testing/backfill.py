"""Write history into a LocalPrometheus with promtool, so tests and the demo query real TSDB blocks.

Prometheus 2.42 findings this module is built on:

* `promtool tsdb create-blocks-from openmetrics` re-reads the whole file once per output block, and
  blocks are 2h by default: 30 days of history took 136 s instead of 2 s. The hidden flag
  `--max-block-duration` fixes that (it rounds down to 2h * 3^k).
* It silently drops out-of-order and duplicate-timestamp samples of a series, so samples are
  sorted here. It ignores `# TYPE` lines (blocks hold no metadata) and accepts counter samples
  with or without `_total`; the file still follows OpenMetrics so stricter parsers accept it too.
* Blocks copied into a running server's TSDB appear at its next block reload, up to a minute
  later; a restart loads them at once, so the functions here restart the server (the blocks
  themselves are pledge.tsdb's, shared with `pledge backfill`).
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Literal

from pledge.prom.client import PrometheusClient
from pledge.prom.errors import PrometheusError
from pledge.testing.local import LocalPrometheus
from pledge.tsdb.blocks import blocks_in, block_range, move_blocks, recorded_names, rule_blocks
from pledge.tsdb.promtool import StrPath, promtool

Kind = Literal["counter", "gauge"]
Progress = Callable[[int, int], None]

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_SPECIAL_VALUES = {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}
_ESCAPES = str.maketrans({"\\": r"\\", '"': r"\"", "\n": r"\n"})
# 2h * 3^6, about 60 days: promtool reads the file once or twice instead of once per 2 hours.
_OPENMETRICS_MAX_BLOCK = "1458h"
_QUERYABLE_TIMEOUT = 60.0


@dataclass(frozen=True)
class Series:
    """One series of history: `name` as stored (counters end in `_total`), samples in unix seconds."""

    name: str
    labels: dict[str, str]
    samples: Sequence[tuple[float, float]]
    kind: Kind = "gauge"

    def __post_init__(self) -> None:
        if not _METRIC_NAME.fullmatch(self.name):
            raise ValueError(f"invalid metric name {self.name!r}")
        for label in self.labels:
            if not _LABEL_NAME.fullmatch(label) or label.startswith("__"):
                raise ValueError(f"invalid label name {label!r} on {self.name}")


def _family(series: Series) -> tuple[str, str]:
    """OpenMetrics family name and type: counter samples carry `_total`, other names stay untyped."""
    if series.kind == "gauge":
        return series.name, "gauge"
    if series.name.endswith("_total"):
        return series.name.removesuffix("_total"), "counter"
    return series.name, "unknown"


def _group_families(series: Iterable[Series]) -> dict[str, tuple[str, list[Series]]]:
    """Group series per family (OpenMetrics forbids interleaving), keeping first-seen order."""
    families: dict[str, tuple[str, list[Series]]] = {}
    for one in series:
        name, kind = _family(one)
        known_kind, members = families.setdefault(name, (kind, []))
        if known_kind != kind:
            raise ValueError(f"metric family {name!r} is both {known_kind} and {kind}")
        members.append(one)
    return families


def _selector(series: Series) -> str:
    """`name{label="value",...}`, with the escaping OpenMetrics and PromQL share."""
    pairs = ",".join(
        f'{k}="{v.translate(_ESCAPES)}"' for k, v in sorted(series.labels.items())
    )
    return f"{series.name}{{{pairs}}}" if pairs else series.name


def _sample_lines(series: Series) -> Iterator[str]:
    """Lines in time order; str() suits ints, floats and numpy scalars, and is the fast path."""
    prefix = _selector(series) + " "
    return (
        f"{prefix}{_SPECIAL_VALUES.get((text := str(value)), text)} {ts}\n"
        for ts, value in sorted(series.samples, key=itemgetter(0))
    )


def write_openmetrics(
    series: Iterable[Series], path: StrPath, *, progress: Progress | None = None
) -> None:
    """Stream `series` to `path` as OpenMetrics text; `progress(samples_done, samples_total)`."""
    families = _group_families(series)
    total = sum(len(one.samples) for _, members in families.values() for one in members)
    done = 0
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as out:
        for name, (kind, members) in families.items():
            out.write(f"# TYPE {name} {kind}\n")
            for one in members:
                out.writelines(_sample_lines(one))
                done += len(one.samples)
                if progress is not None:
                    progress(done, total)
        out.write("# EOF\n")


async def _load_blocks(
    prom: LocalPrometheus, blocks: list[Path], names: Collection[str]
) -> None:
    """Move blocks into the TSDB, restart, and return once the newest block answers a query."""
    if not blocks:
        return
    newest = max(block_range(block)[1] for block in blocks)
    move_blocks(blocks, prom.data_dir)
    await asyncio.to_thread(prom.restart)
    expr = f'count({{__name__=~"{"|".join(sorted(names))}"}})'
    deadline = time.monotonic() + _QUERYABLE_TIMEOUT
    async with PrometheusClient(prom.url) as client:
        while not await client.query(expr, at=(newest - 1) / 1000):
            if time.monotonic() > deadline:
                raise PrometheusError(
                    f"backfilled blocks not queryable after restart: {blocks}"
                )
            await asyncio.sleep(0.2)


async def backfill_openmetrics(
    prom: LocalPrometheus, series: Iterable[Series], *, progress: Progress | None = None
) -> None:
    """Write `series` into the running `prom` (restarting it) so they are queryable on return.

    `progress(samples_written, samples_total)` is called from a worker thread while the file is
    written; promtool and the restart follow (about 2 s per million samples).
    """
    series = list(series)
    with tempfile.TemporaryDirectory(prefix="pledge-backfill-") as tmp:
        source, output = Path(tmp) / "history.om", Path(tmp) / "blocks"
        await asyncio.to_thread(write_openmetrics, series, source, progress=progress)
        command = ["tsdb", "create-blocks-from", "openmetrics", "--quiet"]
        block = f"--max-block-duration={_OPENMETRICS_MAX_BLOCK}"
        await asyncio.to_thread(promtool, *command, block, source, output)
        await _load_blocks(prom, blocks_in(output), {one.name for one in series})


async def backfill_rules(
    prom: LocalPrometheus,
    rule_files_by_level: Sequence[StrPath],
    start: float,
    end: float,
    eval_interval: str = "30s",
) -> None:
    """Evaluate recording rules over [start, end) into `prom`, one promtool pass per file.

    Give one file per dependency level: promtool evaluates against the server, so a rule that
    reads another recorded series only sees history that an earlier pass has already loaded.
    """
    for rule_file in map(Path, rule_files_by_level):
        with tempfile.TemporaryDirectory(prefix="pledge-backfill-rules-") as tmp:
            blocks = await asyncio.to_thread(rule_blocks, prom.url, rule_file, start, end, eval_interval, Path(tmp))
            await _load_blocks(prom, blocks, recorded_names(rule_file))
