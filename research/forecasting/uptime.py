"""Real availability histories (Upptime status repositories, ``../shared/data/uptime``) as pledge
series, their full calendar months, and the split by repository.

A CSV row ``t, good, total`` is the probe's state sampled at ``t`` for the 5 minutes [t, t + 300);
pledge's series put a step's events at the step's *end* (series.py: (t - step, t]), so a row becomes
the step ending at t + 300 with ``errors = total - good``. A calendar month [M0, M1) is then exactly
pledge's period: the steps ending in (M0, M1]. Unmonitored steps (total 0) stay as no traffic.

Each site's series is padded with no-traffic steps from 30 days before its first month to its last
month's end, so the 30 days serving fetches before any decision are always on the array.

The split (never by month of one service): repositories go to train / validation / test by the
SHA-256 of "owner/repo" (its first 32 bits as a fraction: < 0.5 train, < 0.75 validation, else test),
a rule blind to the data. The lists are committed in ``uptime_split.json``; `python -m
research.forecasting.uptime --write-split` adds repositories it does not know yet by the same rule
and never moves one already listed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import gzip
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pledge.forecasting.series import Floats, StepCounts

STEP = 300
DAY_STEPS = 86_400 // STEP
HISTORY = 30 * 86_400  # what serving fetches (pledge.predictions.HISTORY)
FULL = 0.9  # a month is scored when at least 90 % of its steps are monitored
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "uptime"
SPLIT_FILE = Path(__file__).with_name("uptime_split.json")
SPLITS = ("train", "validation", "test")
RULE = "sha256(owner/repo): first 8 hex digits / 2**32 < 0.5 train, < 0.75 validation, else test"


@dataclass(frozen=True)
class Site:
    """One monitored endpoint: a padded pledge series (one event per monitored step)."""

    name: str
    repo: str
    series: StepCounts

    def index(self, at: int) -> int:
        """Array index of the step that ends at ``at``."""
        return (at - int(self.series.timestamps[0])) // self.series.step


@dataclass(frozen=True)
class Month:
    """A full calendar month of one site: [start, end) in UTC seconds, its steps' first array index."""

    site: int  # position in the list of sites
    start: int
    end: int
    first: int  # index of the step ending at start + STEP
    steps: int  # the month's full number of steps
    monitored: int
    bad: int

    @property
    def good(self) -> int:
        return self.monitored - self.bad


def assign(repo: str) -> str:
    """train / validation / test for a repository (RULE)."""
    u = int(hashlib.sha256(repo.encode()).hexdigest()[:8], 16) / 2 ** 32
    return "train" if u < 0.5 else "validation" if u < 0.75 else "test"


def split_lists(repos: list[str], known: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """The committed lists with every repository not yet in them added by RULE (none ever moves)."""
    out = {name: sorted((known or {}).get(name, [])) for name in SPLITS}
    listed = {r for names in out.values() for r in names}
    for repo in repos:
        if repo not in listed:
            out[assign(repo)].append(repo)
    return {name: sorted(names, key=str.lower) for name, names in out.items()}


def load_split(path: Path = SPLIT_FILE) -> dict[str, list[str]]:
    found = json.loads(path.read_text())
    return {name: list(found[name]) for name in SPLITS}


def month_start(t: int) -> int:
    d = dt.datetime.fromtimestamp(t, dt.timezone.utc)
    return int(dt.datetime(d.year, d.month, 1, tzinfo=dt.timezone.utc).timestamp())


def next_month(t: int) -> int:
    d = dt.datetime.fromtimestamp(t, dt.timezone.utc)
    year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    return int(dt.datetime(year, month, 1, tzinfo=dt.timezone.utc).timestamp())


def days_in(start: int) -> int:
    d = dt.datetime.fromtimestamp(start, dt.timezone.utc)
    return calendar.monthrange(d.year, d.month)[1]


def site(name: str, repo: str, first: int, good: Floats, total: Floats) -> Site:
    """A site from per-row samples starting at ``first`` (the CSV's first timestamp, every STEP),
    padded with no traffic from 30 days before its first month to its last month's end."""
    begin = month_start(first) - HISTORY
    end = next_month(first + STEP * (total.size - 1))
    n = (end - begin) // STEP
    at = (first - begin) // STEP
    errors, valid = np.zeros(n), np.zeros(n)
    valid[at:at + total.size] = total
    errors[at:at + total.size] = total - good
    stamps = begin + STEP * np.arange(1, n + 1, dtype=np.int64)  # each step's end
    return Site(name, repo, StepCounts(stamps, errors, valid, STEP))


def from_series(name: str, repo: str, series: StepCounts) -> Site:
    """A site from a pledge series at 5-minute steps (events in the step ending at each timestamp)."""
    if series.step != STEP:
        raise ValueError(f"Upptime steps are {STEP}s, got {series.step}s")
    return site(name, repo, int(series.timestamps[0]) - STEP, series.total - series.errors, series.total)


def months(sites: list[Site]) -> list[Month]:
    """Every calendar month (UTC) of every site with >= 90 % of its steps monitored."""
    out = []
    for k, s in enumerate(sites):
        t = int(s.series.timestamps[0]) - STEP + HISTORY  # the first month's start
        last = int(s.series.timestamps[-1])
        while t < last:
            end = next_month(t)
            first, steps = s.index(t + STEP), (end - t) // STEP
            total = s.series.total[first:first + steps]
            monitored = int(np.sum(total > 0))
            if monitored >= FULL * steps:
                bad = int(np.sum(s.series.errors[first:first + steps] > 0))
                out.append(Month(k, t, end, first, steps, monitored, bad))
            t = end
    return out


def read(path: Path, repo: str) -> Site:
    """One ``<owner>__<repo>__<slug>.csv.gz``: columns timestamp, good, total, degraded."""
    with gzip.open(path, "rt") as f:
        f.readline()
        stamp = f.readline().split(",", 1)[0]
    first = int(dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp())
    values = np.loadtxt(path, delimiter=",", skiprows=1, usecols=(1, 2), dtype=np.float64, ndmin=2)
    return site(path.name.removesuffix(".csv.gz"), repo, first, values[:, 0], values[:, 1])


def index(data: Path = DATA) -> dict[str, str]:
    """Site file stem -> repository, from the data's index.json."""
    found = json.loads((data / "index.json").read_text())
    return {str(v["csv"]).removesuffix(".csv.gz"): str(v["repo"]) for v in found["sites"].values()}


def load(split: str, data: Path = DATA, lists: dict[str, list[str]] | None = None) -> list[Site]:
    """Every site of the split's repositories, in name order."""
    repos = set((lists or load_split())[split])
    unknown = set(index(data).values()) - {r for names in (lists or load_split()).values() for r in names}
    if unknown:
        raise ValueError(f"repositories missing from {SPLIT_FILE.name}: {sorted(unknown)}; run --write-split")
    return [read(data / f"{name}.csv.gz", repo) for name, repo in sorted(index(data).items()) if repo in repos]


if __name__ == "__main__":
    if sys.argv[1:] != ["--write-split"]:
        sys.exit("usage: python -m research.forecasting.uptime --write-split")
    known = load_split() if SPLIT_FILE.exists() else None
    lists = split_lists(sorted(set(index().values())), known)
    SPLIT_FILE.write_text(json.dumps({"rule": RULE, **lists}, indent=2) + "\n")
    print({name: len(names) for name, names in lists.items()})
