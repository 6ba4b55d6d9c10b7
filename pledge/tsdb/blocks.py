"""TSDB blocks made by promtool and moved into a Prometheus data directory: what `pledge backfill`
writes into a production server, and what tests and the demo write into their local one.

Prometheus 2.42 findings: `create-blocks-from rules` writes one block per rule per block range, flat
in --output-dir, and evaluates each range with one range query, which Prometheus caps at 11,000
points; blocks copied into a running server's TSDB appear at its next block reload, up to a minute
later."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from pledge.tsdb.promtool import promtool

_MAX_POINTS_PER_QUERY = 11_000
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


def blocks_in(directory: Path) -> list[Path]:
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
    return blocks_in(output_dir)


def recorded_names(rule_file: Path) -> set[str]:
    """The series a rule file records."""
    return _recording_rules(rule_file, "1m")[0]
