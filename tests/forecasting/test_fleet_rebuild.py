"""The documented rebuild of the shipped fleet tables (`python -m research.forecasting.fleet`), run end to
end on a small fleet written in the Upptime data's own format (CI has no real data): it must recover the
incident rate and the durations it was given, record how it chose, write tables serving loads, and write
the same bytes when run again."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from pledge.forecasting.fleet import TABLES, Tables, load_tables
from research.forecasting import fleet

STEP = 300
START = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
STEPS = 4 * 31 * 288  # four months of 5-minute probes
LENGTHS = (1, 1, 1, 2, 2, 3, 6, 12, 40)  # incident lengths in steps, drawn uniformly
REPOS = {"train": ["a/one", "a/two", "b/three", "b/four", "c/five"], "validation": ["d/six", "d/seven"],
         "test": ["e/eight"]}


def write_fleet(root: Path, rng: np.random.Generator) -> tuple[float, Counter[int]]:
    """One site per repository: incidents at a gamma-distributed rate per site, never adjacent.
    Returns the mean rate per step used and the train sites' incident lengths."""
    rates = rng.gamma(2.0, 1.0 / (2.0 * 31 * 288 / 3), size=sum(map(len, REPOS.values())))  # ~3 a month
    sites, train = {}, Counter[int]()
    for k, (split, repo) in enumerate((s, r) for s, names in REPOS.items() for r in names):
        up = np.ones(STEPS, dtype=np.int64)
        at = int(rng.integers(1, 400))
        while True:
            at += int(rng.geometric(min(rates[k], 0.5)))
            length = int(rng.choice(LENGTHS))
            if at + length + 1 >= STEPS:
                break
            up[at:at + length] = 0
            if split == "train":
                train[length] += 1
            at += length + 1  # a good step after each incident: runs never merge
        name = repo.replace("/", "__") + "__site"
        stamps = [(START + dt.timedelta(seconds=STEP * n)).strftime("%Y-%m-%dT%H:%M:%SZ") for n in range(STEPS)]
        with gzip.open(root / f"{name}.csv.gz", "wt") as out:
            out.write("timestamp,good,total,degraded\n")
            out.writelines(f"{t},{g},1,0\n" for t, g in zip(stamps, up.tolist()))
        sites[name] = {"csv": f"{name}.csv.gz", "repo": repo}
    (root / "index.json").write_text(json.dumps({"sites": sites}))
    return float(np.mean(rates[:len(REPOS["train"])])), train


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, float, Counter[int]]:
    root = tmp_path_factory.mktemp("uptime")
    rate, train = write_fleet(root, np.random.default_rng(26))
    split = root / "split.json"
    split.write_text(json.dumps(REPOS))
    out = root / "fleet_tables.json"
    fleet.main(["--data", str(root), "--split-file", str(split), "--out", str(out)])
    return out, split, rate, train


def test_the_rebuild_recovers_the_fleet_it_was_given(rebuilt: tuple[Path, Path, float, Counter[int]]) -> None:
    out, _, rate, train = rebuilt
    t = load_tables(out)
    assert t.durations == dict(train)  # every train incident's length, counted once
    prior_mean = t.alpha / t.beta  # incident starts per good step
    assert prior_mean == pytest.approx(rate, rel=0.35)
    assert t.chosen["train"]["sites"] == len(REPOS["train"])
    assert t.chosen["form"] in fleet.FORMS
    assert {k: v for k, v in t.chosen["grid"].items()} == {k: list(v) for k, v in fleet.GRID.items()}
    assert (t.strength, t.half_life_days, t.dispersion, t.duration_weight) in {
        (s, h, d, w) for s in fleet.GRID["strength"] for h in fleet.GRID["half_life_days"]
        for d in fleet.GRID["dispersion"] for w in fleet.GRID["duration_weight"]}


def test_the_rebuild_writes_the_same_bytes_again(rebuilt: tuple[Path, Path, float, Counter[int]],
                                                 tmp_path: Path) -> None:
    out, split, _, _ = rebuilt
    again = tmp_path / "again.json"
    fleet.main(["--data", str(out.parent), "--split-file", str(split), "--out", str(again)])
    assert again.read_bytes() == out.read_bytes()


def test_the_shipped_tables_are_what_the_rebuild_writes() -> None:
    """The committed file is the rebuild's own output (no hand edits): it parses and re-serialises
    to the same bytes, and records how it was chosen."""
    shipped = TABLES.read_text()
    assert Tables.from_json(shipped).to_json() + "\n" == shipped
    assert Tables.from_json(shipped).chosen["criterion"].startswith("mean validation Brier skill")
