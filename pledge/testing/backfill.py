"""Write history into a LocalPrometheus with promtool, so tests and the demo query real TSDB blocks.

Prometheus 2.42 findings this module is built on:

* `promtool tsdb create-blocks-from openmetrics` re-reads the whole file once per output block, and
  blocks are 2h by default: 30 days of history took 136 s instead of 2 s. The hidden flag
  `--max-block-duration` fixes that (it rounds down to 2h * 3^k).
* It silently drops out-of-order and duplicate-timestamp samples of a series, so samples are
  sorted here. It ignores `# TYPE` lines (blocks hold no metadata) and accepts counter samples
  with or without `_total`; the file still follows OpenMetrics so stricter parsers accept it too.
* Blocks copied into a running server's TSDB appear at its next block reload, up to a minute
  later; a restart loads them at once, so the functions here restart the server.
* `create-blocks-from rules` writes one block per rule per block range, flat in --output-dir,
  and evaluates each range with one range query, which Prometheus caps at 11,000 points.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal

import yaml

from pledge.prom.client import PrometheusClient
from pledge.prom.errors import PrometheusError
from pledge.testing.local import LocalPrometheus, StrPath, promtool

Kind = Literal["counter", "gauge"]
Progress = Callable[[int, int], None]

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_SPECIAL_VALUES = {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}
_ESCAPES = str.maketrans({"\\": r"\\", '"': r"\"", "\n": r"\n"})
# 2h * 3^6, about 60 days: promtool reads the file once or twice instead of once per 2 hours.
_OPENMETRICS_MAX_BLOCK = "1458h"
_MAX_POINTS_PER_QUERY = 11_000
_QUERYABLE_TIMEOUT = 60.0
_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_DURATION_SECONDS = {
    "ms": 0.001,
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 604800,
    "y": 31536000,
}


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


def _blocks(directory: Path) -> list[Path]:
    """Block directories promtool produced, wherever it nested them."""
    return [meta.parent for meta in directory.rglob("meta.json")]


def block_range(block: Path) -> tuple[int, int]:
    """A block's [minTime, maxTime) in unix milliseconds: its first sample and just past its last."""
    meta: dict[str, Any] = json.loads((block / "meta.json").read_text())
    return int(meta["minTime"]), int(meta["maxTime"])


def move_blocks(blocks: list[Path], data_dir: Path) -> None:
    """Move blocks into a TSDB directory, owned like it (a root backfill must not leave blocks the
    server cannot compact or delete)."""
    owner = data_dir.stat()
    for block in blocks:
        target = data_dir / block.name
        shutil.move(block, target)
        if os.geteuid() == 0:
            for path in [target, *target.rglob("*")]:
                os.chown(path, owner.st_uid, owner.st_gid)


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
        await _load_blocks(prom, _blocks(output), {one.name for one in series})


def _seconds(duration: str) -> float:
    """Seconds in a Prometheus duration such as "1h30m"."""
    parts = _DURATION_PART.findall(duration)
    if not parts or "".join(n + unit for n, unit in parts) != duration:
        raise ValueError(f"invalid duration {duration!r}")
    return sum(int(n) * _DURATION_SECONDS[unit] for n, unit in parts)


def _rules_block_hours(step_seconds: float) -> int:
    """Largest promtool block range (2h * 3^k) whose range query stays within 11,000 points."""
    hours = 2
    while hours * 3 * 3600 / step_seconds <= _MAX_POINTS_PER_QUERY:
        hours *= 3
    return hours


def _recording_rules(rule_file: Path, eval_interval: str) -> tuple[set[str], float]:
    """Recorded series names and the shortest evaluation step among the file's groups."""
    groups = (yaml.safe_load(rule_file.read_text()) or {}).get("groups") or []
    names = {
        rule["record"]
        for group in groups
        for rule in group["rules"]
        if "record" in rule
    }
    steps = [_seconds(group.get("interval", eval_interval)) for group in groups]
    return names, min(steps, default=_seconds(eval_interval))


def rule_blocks(url: str, rule_file: Path, start: float, end: float, eval_interval: str,
                output_dir: Path) -> list[Path]:
    """Blocks of the recording rules in ``rule_file`` evaluated over [start, end) against ``url``.

    promtool evaluates a group at the moments the server would (see ``group_offset``), every
    ``interval`` of the group, and writes one block per rule per block range."""
    names, step = _recording_rules(rule_file, eval_interval)
    command = [
        "tsdb",
        "create-blocks-from",
        "rules",
        "--quiet",
        f"--url={url}",
        f"--start={start:.3f}",
        f"--end={end:.3f}",
        f"--eval-interval={eval_interval}",
        f"--max-block-duration={_rules_block_hours(step)}h",
        f"--output-dir={output_dir}",
    ]
    promtool(*command, rule_file)
    return _blocks(output_dir)


def recorded_names(rule_file: Path) -> set[str]:
    """The series a rule file records."""
    return _recording_rules(rule_file, "1m")[0]


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
