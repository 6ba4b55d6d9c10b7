"""`pledge backfill` into a live Prometheus, restarted after each step on the same data directory: no
sample of any series is lost, and the backfilled tiles meet the rules' own exactly.

Prometheus replays its write-ahead log at start-up only from the end of the newest block: a block
that reaches into the head drops every series' samples from before its end at the next restart. The
world puts samples in the server's real head: the SLA's raw counters of the last 90 minutes (written
with Prometheus' remote-write receiver, as a scrape would have), a live scrape of the server itself,
and the rules, loaded live, whose first tile falls seconds after the world is built. The history
before the head is in blocks. Backfill runs as a user would; the test restarts the server whenever
it waits for its blocks to load (the restart loads them at once) and once more at the end, and counts
the raw samples before and after.

The server writes its head to a block only once it spans three hours; the second run, which records
the tiles left in the head, follows a real compaction brought forward with one sample four hours
ahead (written last: the server then refuses samples of the present, and nothing here needs any).
"""

from __future__ import annotations

import asyncio
import os
import signal
import random
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from pledge.prom import PrometheusClient
from pledge.rules import generate
from pledge.rules.model import RuleGroup
from pledge.rules.names import (ERRORS_HOUR_TILE, ERRORS_PERIOD, ERRORS_TILE, REQUESTS_HOUR_TILE, REQUESTS_PERIOD,
                                REQUESTS_TILE, TILE)
from pledge.rules.render import rule_file, to_yaml
from pledge.sla import ServiceLevelAgreement, parse_sla
from pledge.sla.units import DAY, HOUR, MINUTE
from pledge.testing import LocalPrometheus
from pledge.testing.backfill import Series, backfill_openmetrics
from pledge.testing.history import to_series
from pledge.testing.synthetic import Timeline, combine, http_counters, request_counts, split_errors, steady, window
from pledge.tsdb.backfill import first_moment, probe_encoding, span_text, utc
from pledge.tsdb.blocks import block_range
from pledge.tsdb.phase import group_name_at
from pledge.clock import system as now  # a live server's head runs on the wall clock: this test follows it
from pledge.tsdb.phase import uvarint
from tests.support.events import Truth

pytestmark = pytest.mark.integration

HEAD = 90 * MINUTE  # the raw counters' last 90 minutes are in the head
WINDOW = DAY
SELF = "pledge-self"  # the scrape job of the server itself: raw samples of another kind in the head


def document() -> dict[str, object]:
    return {"apiVersion": "pledge.dev/v1alpha1", "kind": "ServiceLevelAgreement",
            "metadata": {"name": "checkout", "namespace": "shop"},
            "spec": {"service": "checkout", "window": {"rolling": "1d"},
                     "objectives": [{"name": "availability", "target": "99.9", "sli": {"ratio": {
                         "errors": 'http_requests_total{service="checkout",code="500"}',
                         "total": 'http_requests_total{service="checkout"}'}}}]}}


SLA = parse_sla(document())
SELECTOR = 'sla="checkout", sla_namespace="shop"'


# Prometheus' remote-write protocol (protobuf WriteRequest, snappy block format), written by hand: a
# snappy stream of literals only is valid snappy, and the message has four small types.

def _message(field: int, payload: bytes) -> bytes:
    return uvarint(field << 3 | 2) + uvarint(len(payload)) + payload


def write_request(series: Sequence[tuple[dict[str, str], Sequence[tuple[float, float]]]]) -> bytes:
    """A WriteRequest: TimeSeries(labels = 1: Label(name = 1, value = 2), samples = 2: Sample(value = 1
    double, timestamp = 2 int64 ms))."""
    body = b""
    for labels, samples in series:
        one = b"".join(_message(1, _message(1, name.encode()) + _message(2, value.encode()))
                       for name, value in sorted(labels.items()))
        one += b"".join(_message(2, b"\x09" + struct.pack("<d", value) + b"\x10" + uvarint(round(at * 1000)))
                        for at, value in samples)
        body += _message(1, one)
    return body


def snappy(data: bytes) -> bytes:
    out = bytearray(uvarint(len(data)))
    for offset in range(0, len(data), 1 << 16):
        chunk = data[offset:offset + (1 << 16)]
        out += bytes([61 << 2]) + (len(chunk) - 1).to_bytes(2, "little") + chunk  # literal, 2-byte length
    return bytes(out)


def remote_write(url: str, series: Sequence[tuple[dict[str, str], Sequence[tuple[float, float]]]]) -> None:
    response = httpx.post(f"{url}/api/v1/write", content=snappy(write_request(series)), timeout=30, headers={
        "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
        "X-Prometheus-Remote-Write-Version": "0.1.0"})
    assert response.status_code == 204, response.text


def tsdb_head(url: str) -> tuple[float, float]:
    stats = httpx.get(f"{url}/api/v1/status/tsdb", timeout=10).json()["data"]["headStats"]
    return stats["minTime"] / 1000, stats["maxTime"] / 1000


async def query(url: str, expr: str, at: float) -> float | None:
    async with PrometheusClient(url, timeout=60) as client:
        found = await client.query(f"sum({expr})", at=at)
        return found[0].value if found else None


def value(url: str, expr: str, at: float) -> float | None:
    return asyncio.run(query(url, expr, at))


def until(condition: str, check: Callable[[], bool], timeout: float = 90) -> None:
    """Poll a condition the server reports (no fixed sleeps): AssertionError naming it after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not after {timeout:.0f} s: {condition}"
        time.sleep(0.2)


@dataclass
class World:
    prom: LocalPrometheus
    truth: Truth
    file: Path
    built: float  # the raw counters' last sample
    head_start: float  # their first sample in the head
    scrape_start: float
    junction: float  # the rules' first tile


def live_rules(prom: LocalPrometheus, first_in: float) -> float:
    """The SLA's rules loaded into the server, the tiles group named so that its first evaluation
    comes about ``first_in`` seconds from now (Prometheus evaluates a group at a phase its name hashes
    to); when that is.  Loaded again, later, if finding the name took longer than that."""
    path = prom.workdir / "rules.yaml"
    encoding = probe_encoding(prom.url, prom.workdir, now())
    while True:
        moment = now() + first_in
        phase = round(moment * 1000) % (TILE * 1000)
        groups = [RuleGroup(group_name_at(str(path), group.name, group.interval, phase, encoding), group.interval,
                            group.rules) if group.interval == TILE else group for group in generate(SLA)]
        path.write_text(to_yaml(rule_file(groups)), encoding="utf-8")
        prom.reload([path])
        if now() < moment - 1:
            return moment
        first_in *= 2


def build(prom: LocalPrometheus, directory: Path) -> World:
    """Raw counters for the last 26 hours (in blocks, the last 90 minutes in the head), a scrape of the
    server every second, and the SLA's rules, live, with their first tile recorded."""
    end = float(int(now()))
    timeline = Timeline(end - WINDOW - 2 * HOUR, end, 30)
    rng = random.Random(7)
    requests = request_counts(timeline, 5.0, rng)
    head_start = end - HEAD
    bad = split_errors(requests, timeline, combine(steady(0.002), window(head_start - 20 * MINUTE, head_start + 20 * MINUTE,
                                                                           0.3)), rng)
    series = to_series(timeline, http_counters({"service": "checkout"}, requests, bad))
    asyncio.run(backfill_openmetrics(prom, [Series(one.name, one.labels, [s for s in one.samples if s[0] < head_start],
                                                   one.kind) for one in series]))
    remote_write(prom.url, [({"__name__": one.name, **one.labels}, [s for s in one.samples if s[0] >= head_start])
                            for one in series])
    prom.extra_config = {"scrape_configs": [{"job_name": SELF, "scrape_interval": "1s", "static_configs": [
        {"targets": [prom.url.removeprefix("http://")]}]}]}
    prom.reload(prom.rule_files)  # (the server applies new targets within 5 s)
    until("the first scrape", lambda: value(prom.url, f'up{{job="{SELF}"}}', now()) is not None, timeout=30)
    moment = live_rules(prom, first_in=10)
    until("the rules' first tile", lambda: value(prom.url, f"{REQUESTS_TILE}{{{SELECTOR}}}", now()) is not None,
          timeout=moment - now() + 30)
    junction = value(prom.url, f"timestamp({REQUESTS_TILE}{{{SELECTOR}}})", now())
    assert junction is not None and junction - end < TILE
    file = directory / "checkout.yaml"
    file.write_text(yaml.safe_dump(document()), encoding="utf-8")
    first_scrape = value(prom.url, f'min_over_time(timestamp(up{{job="{SELF}"}})[1m:1s])', now())
    assert first_scrape is not None
    # the head begins where the newest block (the history) ends: its samples before the head's are dropped
    head = tsdb_head(prom.url)[0]
    assert head == pytest.approx(head_start - 30 + 0.001, abs=0.0005)
    return World(prom, Truth(timeline.timestamps[1:], requests, bad), file, end, head, first_scrape, junction)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with LocalPrometheus(extra_flags=["--web.enable-remote-write-receiver"]) as prom:
        yield build(prom, tmp_path_factory.mktemp("slas"))


def backfill(world: World) -> tuple[int, str]:
    """`pledge backfill` as a user runs it; the server restarted (same port, same data directory)
    each time the command waits for its blocks to load, and once more after it ends."""
    command = [sys.executable, "-m", "pledge", "backfill", str(world.file), "--prometheus", world.prom.url,
               "--data-dir", str(world.prom.data_dir)]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True, start_new_session=True) as child:
        assert child.stderr is not None
        lines = []
        for line in child.stderr:
            lines.append(line)
            if line.startswith("waiting for Prometheus to load the blocks"):
                # held meanwhile (promtool too), or the server's own reload, once a minute, could let it
                # start the next level against a server going down
                os.killpg(child.pid, signal.SIGSTOP)
                world.prom.restart()
                os.killpg(child.pid, signal.SIGCONT)
        code = child.wait(timeout=120)
    world.prom.restart()
    output = "".join(lines)
    print(output)
    return code, output


@dataclass(frozen=True)
class Counts:
    """Raw samples the server holds: the SLA's counters in the head's range, the scrapes of itself."""

    counters: float | None
    scrapes: float | None

    @staticmethod
    def of(world: World, at: float) -> Counts:
        counters = f'count_over_time(http_requests_total{{service="checkout"}}[{HEAD}s])'
        scrapes = f'count_over_time(up{{job="{SELF}"}}[{int(at - world.scrape_start) + 1}s])'
        return Counts(value(world.prom.url, counters, world.built), value(world.prom.url, scrapes, at))


def blocks(world: World) -> dict[str, tuple[int, int]]:
    return {meta.parent.name: block_range(meta.parent) for meta in world.prom.data_dir.glob("*/meta.json")}


def period(world: World, at: float) -> tuple[float | None, float | None]:
    """The SLA's requests and errors over its window, as its rules compute them at ``at``."""
    rules = {r.record: r.expr for g in generate(SLA) for r in g.rules if r.record in (ERRORS_PERIOD, REQUESTS_PERIOD)}
    return value(world.prom.url, rules[REQUESTS_PERIOD], at), value(world.prom.url, rules[ERRORS_PERIOD], at)


def tile_sums(world: World, first: float, last: float) -> dict[str, float | None]:
    """Every tile series summed over the tiles recorded at ``first`` .. ``last``."""
    return {name: value(world.prom.url, f"sum_over_time({name}{{{SELECTOR}}}[{int(last - first) + 1}s])", last)
            for name in (REQUESTS_TILE, ERRORS_TILE, REQUESTS_HOUR_TILE, ERRORS_HOUR_TILE)}


def expected_sums(truth: Truth, first: float, last: float, junction: float) -> dict[str, float]:
    """The same from the raw samples: a 5 m tile holds the 5 minutes before it; an hour tile, recorded
    at an hour's second evaluation, the twelve 5 m tiles before the one before it."""
    hours = [m for m in (junction - k * TILE for k in range(int((junction - first) // TILE) + 1))
             if first <= m <= last and TILE <= m % HOUR < 2 * TILE]
    tiles = truth.events(first - TILE, last)
    hourly = truth.events(min(hours) - HOUR - TILE, max(hours) - TILE)
    return {REQUESTS_TILE: tiles[1], ERRORS_TILE: tiles[0], REQUESTS_HOUR_TILE: hourly[1], ERRORS_HOUR_TILE: hourly[0]}


@dataclass
class Run:
    code: int
    output: str
    before: Counts
    after: Counts
    blocks: dict[str, tuple[int, int]]  # the data directory's blocks after the run
    head_start: float  # the server's head as the run began
    began: float


def run(world: World) -> Run:
    at = now()
    before, head_start = Counts.of(world, at), tsdb_head(world.prom.url)[0]
    code, output = backfill(world)
    return Run(code, output, before, Counts.of(world, at), blocks(world), head_start, at)


@dataclass
class Runs:
    first: Run
    second: Run


@pytest.fixture(scope="module")
def runs(world: World) -> Runs:
    began = time.monotonic()
    first = run(world)
    ran = time.monotonic()
    # bring the head's compaction forward: it cuts blocks until it spans less than three hours
    remote_write(world.prom.url, [({"__name__": "pledge_test_fast_forward"}, [(now() + 4 * HOUR, 1.0)])])
    until("the head written to blocks past the rules' first tile", lambda: tsdb_head(world.prom.url)[0] > world.junction)
    compacted = time.monotonic()
    second = run(world)
    print(f"first run {ran - began:.1f} s, compaction {compacted - ran:.1f} s, second run {time.monotonic() - compacted:.1f} s")
    return Runs(first, second)


def last_tile_before(world: World, moment: float) -> float:
    return world.junction - ((world.junction - moment) // TILE + 1) * TILE


def test_the_first_run_writes_nothing_where_the_head_holds_samples_and_says_what_it_left(world: World,
                                                                                        runs: Runs) -> None:
    first = runs.first
    assert first.code == 0, first.output
    assert first.head_start == pytest.approx(world.head_start)
    # the server's own blocks (the history, and what it merges) end there too: it has not compacted its head yet
    assert all(high <= world.head_start * 1000 for _, high in first.blocks.values()), first.blocks
    gap = first_moment((world.head_start, world.junction), round(world.junction * 1000) % (TILE * 1000), REQUESTS_TILE)
    assert gap is not None and gap == last_tile_before(world, world.head_start) + TILE
    assert f"the server's TSDB head begins at {utc(world.head_start)}: nothing is written from then on" in first.output
    assert (f"shop/checkout: not backfilled yet: the {span_text(world.junction - gap)} of tiles from {utc(gap)} to "
            f"the rules' first tile ({utc(world.junction)}) are still in Prometheus' head") in first.output
    assert "Run this command again after " in first.output


def test_restarts_after_each_run_lose_no_sample(world: World, runs: Runs) -> None:
    for one in (runs.first, runs.second):
        print(f"raw samples before {one.before}, after the run and its restarts {one.after}")
        assert one.after == one.before
    assert runs.first.before.counters == 2 * (HEAD // 30 + 1)  # both counters, every 30 s, in the head


def test_each_run_is_exact_and_the_second_meets_the_rules_first_tile(world: World, runs: Runs) -> None:
    second = runs.second
    assert second.code == 0, second.output
    assert "not backfilled yet" not in second.output
    assert f"to {utc(world.junction - TILE)} in " in second.output  # up to the rules' first tile, not beyond
    start = world.junction - 22 * HOUR  # hour tiles from there on sum whole backfilled hours
    before_head = last_tile_before(world, world.head_start)
    sums, expected = tile_sums(world, start, before_head), expected_sums(world.truth, start, before_head, world.junction)
    print(f"first run's tiles: {sums}; raw samples say {expected}")
    assert sums == expected
    last = world.junction - TILE
    sums, expected = tile_sums(world, start, last), expected_sums(world.truth, start, last, world.junction)
    print(f"both runs' tiles: {sums}; raw samples say {expected}")
    assert sums == expected
    bad, valid = world.truth.events(world.junction - WINDOW, world.junction)
    print(f"window at the rules' first tile: {period(world, world.junction)}; raw samples say {valid}, {bad}")
    assert period(world, world.junction) == (valid, bad)


def test_a_tile_is_found_as_soon_as_it_is_recorded(world: World, runs: Runs) -> None:
    """The first run began seconds after the rules' first tile, before the next whole 5 minutes."""
    assert "no tiles recorded yet" not in runs.first.output
    crossed = runs.first.began // TILE != world.junction // TILE
    print(f"first tile {utc(world.junction)}, first run {utc(runs.first.began)}: "
          f"{'after' if crossed else 'before'} the next whole 5 minutes")


def test_when_the_server_will_have_written_its_head_past_a_moment() -> None:
    """Prometheus cuts the block-range-aligned block of its oldest head samples once the head spans one
    and a half block ranges, and looks at least once a minute."""
    from pledge.tsdb.head import Head

    day = 1796601600.0  # a midnight UTC
    aligned = Head(day, day + 1.5 * HOUR)  # compacted before: the head begins on a block boundary
    assert aligned.compacted_past(day + 70 * MINUTE) == day + 3 * HOUR + MINUTE  # block [00:00, 02:00) at 03:00
    assert aligned.compacted_past(day + 2 * HOUR) == day + 5 * HOUR + MINUTE  # 02:00 itself is in [02:00, 04:00)
    fresh = Head(day + 40 * MINUTE, day + HOUR)  # never compacted: begins where its newest block ended
    assert fresh.compacted_past(day + 70 * MINUTE) == day + 40 * MINUTE + 3 * HOUR + MINUTE
    assert fresh.compacted_past(day + 30 * MINUTE) == float("-inf")  # already in a block
    assert Head(None, None).boundary == float("inf")


def test_the_tiles_groups_moments_in_a_span() -> None:
    phase = 25_123  # ms into each 5 minutes
    day = 1796601600.0
    assert first_moment((day, day + TILE), phase, REQUESTS_TILE) == day + 25.123
    assert first_moment((day + 25.123, day + TILE), phase, REQUESTS_TILE) == day + 25.123
    assert first_moment((day + 25.124, day + TILE), phase, REQUESTS_TILE) is None
    # an hour tile is recorded at the second evaluation of a UTC hour
    assert first_moment((day, day + HOUR), phase, REQUESTS_HOUR_TILE) == day + TILE + 25.123
    assert first_moment((day + 6 * MINUTE, day + HOUR), phase, REQUESTS_HOUR_TILE) is None
    assert span_text(90 * MINUTE) == "1 h 30 m" and span_text(2 * HOUR) == "2 h" and span_text(20) == "1 m"
