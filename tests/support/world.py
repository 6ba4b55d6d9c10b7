"""The API tests' world (VictoriaMetrics' and the console's too): five SLAs with known raw counts,
the exact figures from them, a store holding them, and the API's clients.

Data ends at a fixed instant (tests.support.moments: PLEDGE_WORLD_END moves it) and starts a day
before the previous calendar month (Berlin), so that month is a closed period with a full report.
The alerts of that instant are backfilled with the recorded series (pledge.testing.history), and the
API's clock stands at it: every answer is as of the world's end, whatever day the suite runs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import httpx
from dateutil.relativedelta import relativedelta

from pledge.api.auth import TokenEntry
from pledge.rules import generate, rule_file, to_yaml
from pledge.rules.model import RuleGroup
from pledge.sla.duration import format_duration
from pledge.sla.units import DAY, HOUR
from pledge.slo.exclusions import intervals
from pledge.testing import LocalPrometheus, backfill_rules
from pledge.testing.history import load_history, rules_path
from pledge.testing.synthetic import (
    Metric,
    Timeline,
    combine,
    http_counters,
    request_counts,
    split_errors,
    steady,
    window,
)
from pledge.tsdb.passes import write_passes
from tests.support.moments import world_end
from tests.support.slas import sla

NS = "api"
STEP = 60
BERLIN = ZoneInfo("Europe/Berlin")
NASTY = 'ev"il} or vector(1) \\ x\n{'  # a customer label value built to break naive PromQL
CUSTOMERS = ("acme", "globex", NASTY)
Interval = tuple[float, float]
DEFAULT_END = "2026-11-18T14:37:00Z"  # mid-month: the 7d, 1d and 30d SLAs all sit inside November


def month_start(moment: float, months_back: int = 0) -> float:
    local = dt.datetime.fromtimestamp(moment, BERLIN)
    first = dt.datetime(local.year, local.month, 1, tzinfo=BERLIN) - relativedelta(months=months_back)
    return first.timestamp()


END = world_end(DEFAULT_END)
PREVIOUS_MONTH = (month_start(END, 1), month_start(END))
TIMELINE = Timeline(float(int(PREVIOUS_MONTH[0] - DAY) // STEP * STEP), END, STEP)
SHORT = Timeline(END - 10 * DAY, END, STEP)  # enough for the 7d and 1d SLAs, and much cheaper to record
LONG_SLAS = ("bursty", "monthly")
FRESH = "fresh"  # raw counters over the whole TIMELINE, recorded series only for the last FRESH_HOURS
FRESH_HOURS = 6
AT = END + 1  # the tail of recorded series is evaluated at END + 1 (pledge.testing.history)


CREDITS = [{"below": "99.9", "percent": "10"}, {"below": "99", "percent": "25"}, {"below": "95", "percent": "100"}]
MONTH_OUTAGE = (PREVIOUS_MONTH[0] + 12 * DAY + 10 * HOUR, PREVIOUS_MONTH[0] + 12 * DAY + 16 * HOUR)
ONE_OFF = (PREVIOUS_MONTH[0] + 20 * DAY + 3 * HOUR, PREVIOUS_MONTH[0] + 20 * DAY + 5 * HOUR)
FEE = {"amount": "12500", "currency": "EUR"}  # the monthly SLA's fee: its credits in money
SUNDAYS = {"schedule": "weekly", "day": "sunday", "at": "02:00", "duration": "2h", "timezone": "Europe/Berlin"}


def iso(unix: float) -> str:
    return dt.datetime.fromtimestamp(unix, dt.timezone.utc).isoformat().replace("+00:00", "Z")


SLAS = {
    "bursty": sla("bursty", NS, window={"rolling": "30d"}, warning="99.95", credits=CREDITS, customer="initech"),
    "monthly": sla("monthly", NS, window={"calendar": "month", "timezone": "Europe/Berlin"}, credits=CREDITS, creditCap="20",
                   labels={"team": "billing", "tier": "gold"}, fee=FEE,
                   exclusions=[SUNDAYS, {"start": iso(ONE_OFF[0]), "end": iso(ONE_OFF[1]), "reason": "upgrade"}]),
    "grouped": sla("grouped", NS, window={"rolling": "7d"}, target="99.5", grouping=["customer"],
                   credits=[{"below": "99.5", "percent": "5"}]),
    "quiet": sla("quiet", NS, window={"rolling": "1d"}),
    "burning": sla("burning", NS, window={"rolling": "7d"}, labels={"team": "billing"}),
    FRESH: sla(FRESH, NS, window={"rolling": "30d"}, credits=CREDITS),
}


def masked(excluded: list[Interval]) -> list[Interval]:
    """What the rules leave out, about: each maintenance window and the 5 minutes after it, where the
    5 m tiles that touch it end (README, "Exclusions")."""
    return [(a, b + 300) for a, b in excluded]


@dataclass
class Truth:
    """Per-step request and error counts; step i ends at TIMELINE.timestamps[i + 1]."""

    requests: list[int]
    bad: list[int]
    timeline: Timeline = TIMELINE

    @property
    def stamps(self) -> list[float]:
        return self.timeline.timestamps[1:]

    def events(self, start: float, end: float, excluded: list[Interval] = []) -> tuple[int, int]:
        """(bad, valid) events of the steps ending in (start, end], minus steps inside ``excluded``."""
        bad = valid = 0
        for n, b, t in zip(self.requests, self.bad, self.stamps):
            if start < t <= end and not any(a <= t - STEP and t <= e for a, e in excluded):
                bad, valid = bad + b, valid + n
        return bad, valid

    def ratio(self, start: float, end: float, excluded: list[Interval] = []) -> float:
        bad, valid = self.events(start, end, excluded)
        return bad / valid

    def rate_window(self, at: float, seconds: int, from_previous_sample: bool = False) -> float:
        """What a ratio of rate() over ``seconds`` at ``at`` sees. Prometheus: the steps between the
        first and last sample inside [at - seconds, at]. VictoriaMetrics (``from_previous_sample``)
        counts from the last sample before the window, (at - seconds, at]: every step ending inside."""
        if from_previous_sample:
            return self.ratio(at - seconds, at)
        inside = [t for t in self.timeline.timestamps if at - seconds <= t <= at]
        return self.ratio(inside[0], inside[-1])


def _errors(name: str) -> Callable[[float], float]:
    month_maintenance = intervals(SLAS["monthly"].spec.exclusions, TIMELINE.start, TIMELINE.end)
    incident = END - 10 * DAY - 10 * HOUR
    return {
        "bursty": combine(steady(0.0005), window(incident, incident + 3 * HOUR, 0.2)),
        "monthly": combine(steady(0.0004), window(*MONTH_OUTAGE, 1.0),
                           lambda t: 0.3 if any(a < t <= b for a, b in month_maintenance) else 0.0),
        "burning": combine(steady(0.0005), window(END - 8 * HOUR, END + 1, 0.01)),
        FRESH: combine(steady(0.0003), window(END - 12 * DAY, END - 12 * DAY + 3 * HOUR, 1.0)),
        "quiet": steady(0.001),
    }[name]


GROUP_ERRORS = {"acme": steady(0.001), "globex": combine(steady(0.002), window(END - 2 * DAY, END - 2 * DAY + HOUR, 0.3)),
                NASTY: steady(0.004)}


def _truth(timeline: Timeline, peak: float, errors: Callable[[float], float], rng: random.Random) -> Truth:
    requests = request_counts(timeline, peak, rng)
    return Truth(requests, split_errors(requests, timeline, errors, rng), timeline)


def build() -> tuple[dict[str, list[Metric]], dict[str, Truth]]:
    """Raw series for the LONG_SLAS over TIMELINE and for the others over SHORT, and the truth."""
    rng = random.Random(11)
    truth = {name: _truth(TIMELINE if name in (*LONG_SLAS, FRESH) else SHORT, 20.0, _errors(name), rng)
             for name in ("bursty", "monthly", "burning", "quiet", FRESH)}
    quiet = truth["quiet"]  # traffic stopped three days ago: the 1d period has none
    quiet.requests = [n if t <= END - 3 * DAY else 0 for n, t in zip(quiet.requests, quiet.stamps)]
    quiet.bad = [min(b, n) for b, n in zip(quiet.bad, quiet.requests)]
    metrics: dict[str, list[Metric]] = {name: http_counters({"service": name}, t.requests, t.bad) for name, t in truth.items()}
    for customer, errors in GROUP_ERRORS.items():
        truth[customer] = _truth(SHORT, 10.0, errors, rng)
        metrics.setdefault("grouped", []).extend(
            http_counters({"service": "grouped", "customer": customer}, truth[customer].requests, truth[customer].bad))
    return metrics, truth


def histories(metrics: dict[str, list[Metric]]) -> Iterator[tuple[Timeline, list[Metric], list[RuleGroup]]]:
    """What a store loads, in order: the LONG_SLAS over TIMELINE, the others over SHORT, each
    with the raw series and the rule groups of its SLAs. FRESH's raw series come with TIMELINE but
    its rules are not recorded here (the store records them for the last FRESH_HOURS only)."""
    groups = {name: generate(sla) for name, sla in SLAS.items()}
    short = sorted(set(SLAS) - {*LONG_SLAS, FRESH})
    for timeline, names, raw_only in ((TIMELINE, LONG_SLAS, (FRESH,)), (SHORT, short, ())):
        yield (timeline, [m for n in (*names, *raw_only) for m in metrics[n]],
               [g for n in names for g in groups[n]])


def write_rules(directory: Path) -> Path:
    """Every SLA's generated rules in one rule file, as the store evaluates them live."""
    path = directory / "rules.yaml"
    path.write_text(to_yaml(rule_file([g for sla in SLAS.values() for g in generate(sla)])))
    return path


# --- a store holding the world, and the API's clients -------------------------------------------------

TOKENS = {"sre-token": ["read:all"], "acme-token": ["customer:acme"], "initech-token": ["customer:initech"],
          "nasty-token": [f"customer:{NASTY}"], "no-scope-token": ["write:nothing"]}


ALERTS_TAIL = 900  # the alerts of the world's end need only its last minutes (load_history's tail)


class Store(Protocol):
    """What the tests read from: a Prometheus, or VictoriaMetrics (tests/victoria)."""

    @property
    def url(self) -> str: ...


@dataclass(frozen=True)
class World:
    prom: Store
    truth: dict[str, Truth]
    rate_from_previous_sample: bool = False  # how the store's rate() reads a window: Truth.rate_window


async def _record_recent(prom: LocalPrometheus, groups: list[RuleGroup], seconds: int) -> None:
    """Recorded series over the last ``seconds`` only, as if the rules had just been deployed."""
    end = END + 1
    for one in write_passes(groups):
        start = one.start(end - seconds, end, ALERTS_TAIL if one.span == "alerts" else seconds, groups)
        say(f"recording {one.name} for the last {end - start:.0f} s")
        path = one.write(rules_path(prom))
        await backfill_rules(prom, [path], start, end, format_duration(min(g.interval for g in groups)))


def say(message: str, started: float = time.monotonic()) -> None:
    print(f"{time.monotonic() - started:6.1f} s  {message}")


def prometheus_world() -> Iterator[World]:
    """The world of the ``loaded`` fixture (tests/conftest.py: one build for the API and console tests)."""
    metrics, truth = build()
    with LocalPrometheus() as prom:
        for timeline, raw, groups in histories(metrics):
            asyncio.run(load_history(prom, timeline, raw, groups, step=say))
        asyncio.run(_record_recent(prom, generate(SLAS[FRESH]), FRESH_HOURS * 3600))
        yield World(prom, truth)  # no live rules: every answer is as of AT, alerts included


def entries() -> list[TokenEntry]:
    return [TokenEntry.from_token(token, token, scopes) for token, scopes in TOKENS.items()]


def client(url: str, token: str | None = "sre-token") -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=url, headers=headers, timeout=30.0)


async def until_snapshot(http: httpx.AsyncClient, seconds: float = 20.0) -> None:
    """Wait for the API's first background snapshot: answers about now carry its Age from then on."""
    deadline = time.monotonic() + seconds
    while "age" not in (await http.get("/v1/slas")).headers:
        assert time.monotonic() < deadline, "no snapshot"
        await asyncio.sleep(0.1)
