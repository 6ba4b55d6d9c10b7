"""`pledge backfill` on a real Prometheus: a calendar-month SLA whose rules started days after the
month did has its month's events exact once the command ran, tile for tile across the junction.

The world (4 Nov 2026 10:37 UTC): raw counters since 30 Oct, and two SLAs whose rules "ran" (their
tiles recorded by promtool at the moments a server with the rule file at another path would) since
05:17 and 10:12. Backfill then runs as a user would, into the running server's data directory (no
restart: the server picks the blocks up within a minute). Incidents straddle both junctions and the
month's start, so one tile too many or too few would show. The late SLA's first backfill is
stopped with Ctrl-C after its first level moved: the run that follows records the rest.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pledge.tsdb.backfill import first_tile, tile_levels
from pledge.commands.main import main
from pledge.prom import PrometheusClient
from pledge.rules import generate
from pledge.rules.names import (ERRORS_HOUR_TILE, ERRORS_PERIOD, ERRORS_TILE, REQUESTS_HOUR_TILE,
                                 REQUESTS_PERIOD, REQUESTS_TILE, TILE)
from pledge.rules.render import rule_file, to_yaml
from pledge.rules.tiles import hour_tile_at_or_after
from pledge.sla import ServiceLevelAgreement, parse_sla
from pledge.sla.units import DAY, HOUR, MINUTE
from pledge.testing import LocalPrometheus
from pledge.testing.backfill import backfill_openmetrics, backfill_rules
from pledge.testing.history import to_series
from pledge.testing.synthetic import ErrorRatio, Timeline, combine, http_counters, request_counts, split_errors, steady, window
from tests.support.events import Truth

pytestmark = pytest.mark.integration

END = dt.datetime(2026, 11, 4, 10, 37, tzinfo=dt.timezone.utc).timestamp()
MONTH = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc).timestamp()
LIVE = {"late": END - 5 * HOUR - 20 * MINUTE, "early": END - 25 * MINUTE}  # when each SLA's rules started


def document(name: str) -> dict[str, object]:
    return {"apiVersion": "pledge.dev/v1alpha1", "kind": "ServiceLevelAgreement",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {"service": name, "window": {"calendar": "month"},
                     "objectives": [{"name": "availability", "target": "99.9", "sli": {"ratio": {
                         "errors": f'http_requests_total{{service="{name}",code="500"}}',
                         "total": f'http_requests_total{{service="{name}"}}'}}}]}}


SLAS = {name: parse_sla(document(name)) for name in LIVE}


def errors_of(name: str) -> ErrorRatio:
    junction = LIVE[name]
    return combine(steady(0.001), window(junction - 20 * MINUTE, junction + 20 * MINUTE, 0.4),
                   window(MONTH - 15 * MINUTE, MONTH + 15 * MINUTE, 0.3))


async def run_rules_since(prom: LocalPrometheus, sla: ServiceLevelAgreement, since: float) -> None:
    """The SLA's tiles as its server would have recorded them from ``since`` on (its rule file at a
    path of its own, so in a phase of its own)."""
    path = prom.workdir / f"server-rules-{sla.metadata.name}.yaml"
    for level in tile_levels(sla):
        path.write_text(to_yaml(rule_file(level)), encoding="utf-8")
        await backfill_rules(prom, [path], since, END + 1, "5m")


@dataclass
class World:
    prom: LocalPrometheus
    truth: dict[str, Truth]
    files: dict[str, Path]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    timeline = Timeline(END - 4 * DAY - 12 * HOUR, END, 30)
    rng, metrics, truth, files = random.Random(11), [], {}, {}
    directory = tmp_path_factory.mktemp("slas")
    for name, sla in SLAS.items():
        requests = request_counts(timeline, 5.0, rng)
        bad = split_errors(requests, timeline, errors_of(name), rng)
        truth[name] = Truth(timeline.timestamps[1:], requests, bad)
        metrics += http_counters({"service": name}, requests, bad)
        files[name] = directory / f"{name}.yaml"
        files[name].write_text(yaml.safe_dump(document(name)), encoding="utf-8")
    with LocalPrometheus() as prom:
        asyncio.run(backfill_openmetrics(prom, to_series(timeline, metrics)))
        for name, sla in SLAS.items():
            asyncio.run(run_rules_since(prom, sla, LIVE[name]))
        yield World(prom, truth, files)


@dataclass(frozen=True)
class Month:
    """The month's events as the SLA's period rules compute them at ``at``, its last tile before END."""

    errors: float
    requests: float
    at: float
    first: float  # the SLA's first tile in the server


async def month(url: str, sla: ServiceLevelAgreement) -> Month:
    rules = {r.record: r.expr for g in generate(sla) for r in g.rules if r.record in (ERRORS_PERIOD, REQUESTS_PERIOD)}
    async with PrometheusClient(url, timeout=60) as client:
        first = await first_tile(client, sla, END, END - 10 * DAY)
        assert first is not None
        at = first + (END - first) // TILE * TILE
        events = [sum(s.value for s in await client.query(f"sum({rules[name]})", at=at))
                  for name in (ERRORS_PERIOD, REQUESTS_PERIOD)]
        return Month(events[0], events[1], at, first)


def backfill(world: World, *names: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(main, ["backfill", *(str(world.files[n]) for n in names), "--prometheus", world.prom.url,
                                  "--data-dir", str(world.prom.data_dir), "--at", str(END)])
    return result.exit_code, result.stdout, result.stderr


def interrupted(world: World, name: str) -> tuple[int, str]:
    """`pledge backfill` stopped with Ctrl-C while it waits for its first level's blocks to load."""
    command = [sys.executable, "-m", "pledge", "backfill", str(world.files[name]), "--prometheus", world.prom.url,
               "--data-dir", str(world.prom.data_dir), "--at", str(END)]
    # pytest-xdist's workers ignore SIGINT and a child inherits that: the run would never see Ctrl-C
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)) as child:
        assert child.stderr is not None
        lines = []
        for line in child.stderr:
            lines.append(line)
            if line.startswith("waiting for Prometheus to load the blocks"):
                child.send_signal(signal.SIGINT)
                break
        lines.append(child.communicate(timeout=60)[1])
    return child.returncode, "".join(lines)


def wait_for_first_level(world: World, name: str) -> None:
    """Until the server has loaded the blocks the interrupted run moved (it looks once a minute)."""
    deadline = time.monotonic() + 150
    while (first := asyncio.run(month(world.prom.url, SLAS[name])).first) > MONTH - HOUR + TILE:
        assert time.monotonic() < deadline, f"the interrupted run's tiles never loaded (first tile {first})"
        time.sleep(2)


@dataclass
class Backfilled:
    before: dict[str, Month]  # the rules alone
    interrupted: tuple[int, str]  # the late SLA's first run
    code: int
    err: str


@pytest.fixture(scope="module")
def backfilled(world: World) -> Backfilled:
    before = {name: asyncio.run(month(world.prom.url, sla)) for name, sla in SLAS.items()}
    stopped = interrupted(world, "late")
    print(stopped[1])
    wait_for_first_level(world, "late")
    code, _, err = backfill(world, "late", "early")
    print(err)
    return Backfilled(before, stopped, code, err)


def test_a_stopped_backfill_says_how_to_finish_and_the_next_run_records_the_rest(backfilled: Backfilled) -> None:
    code, output = backfilled.interrupted
    assert code == 130, output
    assert re.search(f"shop/late: recorded {REQUESTS_TILE} from ", output), output
    assert "interrupted: run the same command again; it keeps the levels already moved" in output
    assert f"shop/late: {REQUESTS_TILE} reach back already (an earlier backfill stopped): recording the rest" \
        in backfilled.err
    assert not re.search(f"shop/late: recorded .*{REQUESTS_TILE}", backfilled.err)


def test_a_month_backfilled_is_exact_across_the_junction(world: World, backfilled: Backfilled) -> None:
    assert backfilled.code == 0, backfilled.err
    for name, sla in SLAS.items():
        output = backfilled.err + (backfilled.interrupted[1] if name == "late" else "")
        for tile in (REQUESTS_TILE, ERRORS_TILE, REQUESTS_HOUR_TILE, ERRORS_HOUR_TILE):
            assert re.search(f"shop/{name}: recorded .*{tile}", output)
        alone, after = backfilled.before[name], asyncio.run(month(world.prom.url, sla))
        bad, valid = world.truth[name].events(after.at - (after.at - MONTH) // TILE * TILE, after.at)
        missed_bad, missed_valid = missed_by_first_hour_tile(world.truth[name], name, alone.first, backfilled.err)
        print(f"{name}: month so far {valid:,} requests, {bad:,} errors; rules alone {alone.requests:,.0f}, "
              f"{alone.errors:,.0f}; backfilled {after.requests:,.0f}, {after.errors:,.0f} (+ {missed_valid:,}, "
              f"{missed_bad:,} the server's first hour tile missed)")
        assert alone.requests < valid / 2  # the rules alone count from their start
        assert (after.requests + missed_valid, after.errors + missed_bad) == (valid, bad)


def missed_by_first_hour_tile(truth: Truth, name: str, first: float, err: str) -> tuple[int, int]:
    """The events of the hour before the server's first hour tile that came before its first 5 m
    tile (at ``first``), if that hour tile was recorded before the backfill (the warning says how many)."""
    hour_tile = hour_tile_at_or_after(first)
    if hour_tile > END:
        assert f"shop/{name}: the rules' first hour tile" not in err
        return 0, 0
    bad, valid = truth.events(hour_tile - HOUR - TILE, first - TILE)
    assert f"shop/{name}: the rules' first hour tile" in err
    assert f"misses {valid:,} requests and {bad:,} errors" in err
    return bad, valid


def test_a_second_run_has_nothing_to_do(world: World, backfilled: Backfilled) -> None:
    blocks = sorted(p.name for p in world.prom.data_dir.iterdir())
    code, _, err = backfill(world, "early")
    assert code == 0 and "shop/early: tiles recorded since" in err and "nothing to backfill" in err
    assert sorted(p.name for p in world.prom.data_dir.iterdir()) == blocks


def test_an_sla_without_rules_stops_everything_before_anything_is_written(world: World, tmp_path: Path) -> None:
    unruled = tmp_path / "unruled.yaml"
    unruled.write_text(yaml.safe_dump(document("unruled")), encoding="utf-8")
    blocks = sorted(p.name for p in world.prom.data_dir.iterdir())
    runner = CliRunner()
    result = runner.invoke(main, ["backfill", str(world.files["late"]), str(unruled), "--prometheus", world.prom.url,
                                  "--data-dir", str(world.prom.data_dir), "--at", str(END)])
    assert result.exit_code == 1
    assert "error: no tiles recorded yet for shop/unruled: load the SLA's rules first" in result.stderr
    assert sorted(p.name for p in world.prom.data_dir.iterdir()) == blocks


def test_a_directory_that_is_not_a_tsdb_is_refused(world: World, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["backfill", str(world.files["late"]), "--prometheus", world.prom.url,
                                       "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert f"error: {tmp_path} is not a Prometheus data directory (no wal/ in it)" in result.stderr
