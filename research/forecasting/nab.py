"""NAB series (Numenta Anomaly Benchmark, MIT) as SLA event histories, by a rule fixed in advance.

Conversion, per file, using only NAB's probationary period (its first 15 %, which NAB itself
reserves for learning) so nothing is tuned on the scored part: a step is bad when its value lies
outside the [0.5, 99.5] percentile band of the probationary values, one event per step. Goal: the
issue's setting, 99.5 % over a rolling 24 h (1.44 bad steps allowed a day at 5-minute steps).

The 23 series are split once, by the SHA-256 of their names (no look at the data): the first 8 are
the test split (never used to fit or choose anything), the next 5 validation (where choices are
made), the last 10 training (the calibration fit; shipped in research/forecasting/data/nab).
NAB files are not perfectly regular (ec2_request_latency has 11 repeated timestamps and one sample
off the 5-minute grid): samples are snapped to the nearest step of the file's usual spacing and a
step is bad if any sample in it is; steps without a sample count as no traffic.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import numpy as np

from pledge.forecasting.goal import Goal, goal_for
from pledge.forecasting.io import parse_time
from pledge.forecasting.series import Floats, Ints, StepCounts, build
from pledge.sla.duration import Duration
from pledge.sla.model import Window

PROBATION = 0.15
BAND = (0.5, 99.5)
TARGET = Decimal("99.5")
WINDOW = Window(rolling=Duration(86_400))
SPLIT = {"test": 8, "validation": 5, "train": 10}
SHIPPED = Path(__file__).parent / "data" / "nab"  # the training split, with NAB's licence


def split(paths: list[Path]) -> dict[str, list[Path]]:
    """test / validation / train by the SHA-256 of each file's stem (a fixed order, blind to the data)."""
    ordered = sorted(paths, key=lambda p: hashlib.sha256(p.stem.encode()).hexdigest())
    out, first = {}, 0
    for name, size in SPLIT.items():
        out[name], first = ordered[first:first + size], first + size
    return out


def part(directory: Path, name: str) -> list[Path]:
    """One split of the NAB CSVs in ``directory`` (the full set of 23 is needed to split)."""
    paths = sorted(directory.glob("*.csv"))
    if len(paths) != sum(SPLIT.values()):
        raise ValueError(f"{directory}: expected the {sum(SPLIT.values())} NAB series, found {len(paths)}")
    return split(paths)[name]


def band(values: Floats) -> tuple[float, float]:
    head = values[: max(1, int(values.size * PROBATION))]
    low, high = np.percentile(head, BAND)
    return float(low), float(high)


def coarser(stamps: Ints, values: Floats, step: int) -> tuple[Ints, Floats]:
    """The samples averaged over buckets of ``step`` seconds (from the first sample): the same
    service watched at a coarser step, as nyc_taxi (30 min) and ambient_temperature (1 h) are."""
    bucket = (stamps - stamps[0]) // step
    kept, where = np.unique(bucket, return_inverse=True)
    mean = np.bincount(where, values) / np.bincount(where)
    return stamps[0] + step * kept, mean


def convert(path: Path, step: int | None = None) -> tuple[StepCounts, Goal, tuple[float, float]]:
    """The events and goal for one NAB CSV (timestamp,value), gaps counted as no traffic; with
    ``step``, the values averaged to that step first (calibrate.py's coarse-step training copies)."""
    lines = path.read_text(encoding="utf-8").strip().splitlines()[1:]
    stamps = np.array([parse_time(line.split(",")[0]) for line in lines], dtype=np.int64)
    values = np.array([float(line.split(",")[1]) for line in lines])
    if step is not None:
        stamps, values = coarser(stamps, values, step)
    low, high = band(values)
    usual = int(np.bincount(np.diff(stamps)[np.diff(stamps) > 0]).argmax())
    slot = np.rint((stamps - stamps[0]) / usual).astype(np.int64)
    bad = np.zeros(slot[-1] + 1)
    np.maximum.at(bad, slot, ((values < low) | (values > high)).astype(np.float64))
    seen = np.bincount(slot, minlength=bad.size) > 0
    grid = stamps[0] + usual * np.arange(bad.size, dtype=np.int64)
    series = build(grid[seen], bad[seen], np.ones(int(seen.sum())), gaps="zero")
    return series, goal_for(TARGET, WINDOW), (low, high)
