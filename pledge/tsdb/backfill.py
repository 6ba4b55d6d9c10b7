"""`pledge backfill`: an SLA's tiles recorded from the raw counters already in Prometheus, so a new SLA
on an old service has its period's figures and long-window alerts from the first minute.

The SLA's rules run first; backfill then records, with promtool's rule backfill, the tiles from
before the first one the server recorded, at the very moments of the server's 5-minute cycle
(pledge.tsdb.phase): old and new tiles neither overlap nor leave a gap, so a period's event counts
stay exact across the junction. Blocks move into the server's data directory, which loads new blocks
about once a minute (no restart); the hour tiles, which read the 5 m tiles, follow once those answer.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pledge.prom.client import PrometheusClient
from pledge.rules import generate
from pledge.rules.model import Rule, RuleGroup
from pledge.rules.names import ERRORS_HOUR_TILE, ERRORS_TILE, REQUESTS_HOUR_TILE, REQUESTS_TILE, TILE
from pledge.rules.queries import sla_matchers
from pledge.rules.render import rule_file, to_yaml
from pledge.rules.tiles import hour_tile_at_or_after
from pledge.sla import ServiceLevelAgreement
from pledge.sla.units import DAY, HOUR
from pledge.slo.periods import current_period
from pledge.tsdb.blocks import block_range, move_blocks, recorded_names, rule_blocks
from pledge.tsdb.passes import write_passes
from pledge.tsdb.phase import ENCODINGS, group_name_at, group_phase_ms

Say = Callable[[str], None]
LOAD_TIMEOUT = 150.0  # Prometheus looks for new blocks in its data directory once a minute
SEARCH_BACK = 93 * DAY  # how far back the server's first tile is looked for, at least


class BackfillError(Exception):
    """Why nothing, or not everything, was backfilled, in words for the person who ran it."""


class NoTilesYet(Exception):
    """The SLA's rules have recorded no tile yet: there is no junction to backfill up to."""


@dataclass(frozen=True)
class Plan:
    """One SLA's backfill: the levels of its tiles still to record, from ``start`` up to the server's
    first sample of them, ``first``."""

    sla: ServiceLevelAgreement
    start: float
    first: float
    levels: list[list[RuleGroup]]

    @property
    def selector(self) -> str:
        return selector(self.sla)

    @property
    def phase_ms(self) -> int:
        """Where the server's tiles group evaluates in its 5-minute cycle."""
        return round(self.first * 1000) % (TILE * 1000)


def selector(sla: ServiceLevelAgreement) -> str:
    return sla_matchers(sla.ref)


def utc(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(moment))


def default_start(sla: ServiceLevelAgreement, now: float, days: int | None) -> float:
    """``days`` back, or the SLA's rolling window or current calendar period and an hour more (the
    hour tile of the period's first hour reads it)."""
    return now - days * DAY if days is not None else current_period(sla.spec.window, now).start - HOUR


async def first_sample(client: PrometheusClient, sla: ServiceLevelAgreement, name: str, now: float,
                       since: float) -> float | None:
    """When the server holds the SLA's first sample of ``name`` after ``since``; None when it has none."""
    span = (int(now - since) // TILE + 1) * TILE
    found = await client.query(f"min(min_over_time(timestamp({name}{{{selector(sla)}}})[{span}s:{TILE}s]))", at=now)
    return found[0].value if found else None


async def first_tile(client: PrometheusClient, sla: ServiceLevelAgreement, now: float, since: float) -> float | None:
    """When the server recorded the SLA's first 5 m tile after ``since``; None when it has none."""
    return await first_sample(client, sla, REQUESTS_TILE, now, since)


def recorded(level: list[RuleGroup]) -> set[str]:
    return {rule.record for group in level for rule in group.rules if rule.record}


def reaches_back(name: str, first: float, start: float) -> bool:
    """Whether a series whose first sample is at ``first`` covers the range from ``start`` (hour tiles
    are recorded once an hour, in the hour's second evaluation)."""
    return first <= start + (TILE if name in (REQUESTS_TILE, ERRORS_TILE) else HOUR + 2 * TILE)


def levels_done(levels: list[list[RuleGroup]], firsts: dict[str, float | None], start: float) -> int:
    """How many levels, in order, already reach back to ``start``."""
    def done(level: list[RuleGroup]) -> bool:
        return all((first := firsts[name]) is not None and reaches_back(name, first, start) for name in recorded(level))
    return next((k for k, level in enumerate(levels) if not done(level)), len(levels))


async def plan_sla(client: PrometheusClient, sla: ServiceLevelAgreement, now: float, days: int | None,
                   say: Say) -> Plan | None:
    """The levels still to record from ``start``, up to the server's first sample of any of them (a
    backfill stopped between levels leaves the earlier ones, which a rerun keeps); NoTilesYet when
    the SLA's rules have recorded nothing yet."""
    start, levels = default_start(sla, now, days), tile_levels(sla)
    names = sorted(set().union(*map(recorded, levels)))
    firsts = {name: await first_sample(client, sla, name, now, min(start, now - SEARCH_BACK)) for name in names}
    if (since := firsts[REQUESTS_TILE]) is None:
        raise NoTilesYet(sla.key)
    done = levels_done(levels, firsts, start)
    rest = [first for level in levels[done:] for name in recorded(level) if (first := firsts[name]) is not None]
    if done == len(levels):
        say(f"{sla.key}: tiles recorded since {utc(since)} already: nothing to backfill")
    elif not rest:
        say(f"{sla.key}: the earlier backfill recorded the 5 m tiles; the hour tiles follow once the rules have "
            "recorded their first (in the second evaluation of the next hour): run backfill again then")
    else:
        if done:
            say(f"{sla.key}: {', '.join(sorted(set().union(*map(recorded, levels[:done]))))} reach back already "
                "(an earlier backfill stopped): recording the rest")
        return Plan(sla, start, min(rest), levels[done:])
    return None


async def plan(client: PrometheusClient, slas: list[ServiceLevelAgreement], now: float, days: int | None,
               say: Say) -> list[Plan]:
    """Every SLA's range, or BackfillError naming each SLA whose rules have recorded nothing yet (and
    nothing is written for any SLA)."""
    plans, missing = [], []
    for sla in slas:
        try:
            if one := await plan_sla(client, sla, now, days, say):
                plans.append(one)
        except NoTilesYet:
            missing.append(sla.key)
    if missing:
        raise BackfillError(
            f"no tiles recorded yet for {', '.join(missing)}: load the SLA's rules first (pledge generate, or "
            "the operator), wait for the first tile (5 minutes), then run backfill: it records the tiles before it")
    return plans


def tile_levels(sla: ServiceLevelAgreement) -> list[list[RuleGroup]]:
    """The groups recording the SLA's tiles, per dependency level (a level reads the ones before it)."""
    return [one.groups for one in write_passes(generate(sla), alerts=False) if one.span == "history"]


def in_phase(groups: list[RuleGroup], path: Path, phase_ms: int, encoding: str) -> list[RuleGroup]:
    """The groups renamed so that, written at ``path``, promtool evaluates them ``phase_ms`` into each
    interval (a group's name is not part of what it records)."""
    return [RuleGroup(group_name_at(str(path), group.name, group.interval, phase_ms, encoding), group.interval,
                      group.rules) for group in groups]


def _probe_group(path: Path) -> RuleGroup:
    """A group whose moments tell the label hashings apart (both safe, and different)."""
    for number in range(1000):
        name = f"pledge-backfill-probe-{number}"
        phases = {group_phase_ms(str(path), name, TILE, encoding) for encoding in ENCODINGS}
        if None not in phases and len(phases) == len(ENCODINGS):
            return RuleGroup(name, TILE, (Rule("vector(1)", record="pledge_backfill_probe"),))
    raise AssertionError("no probe group name found")


def probe_encoding(url: str, workdir: Path, now: float) -> str:
    """Which label hashing this promtool uses, read off the moment it evaluates a probe group at."""
    path = workdir / "probe.yaml"
    group = _probe_group(path)
    path.write_text(to_yaml(rule_file([group])), encoding="utf-8")
    blocks = rule_blocks(url, path, now - 2 * TILE, now - 1, f"{TILE}s", workdir / "probe")
    seen = min(block_range(block)[0] for block in blocks) % (TILE * 1000)
    for encoding in ENCODINGS:
        if group_phase_ms(str(path), group.name, TILE, encoding) == seen:
            return encoding
    raise BackfillError("this promtool evaluates rule groups at moments pledge cannot predict, so backfilled "
                        "tiles would not meet the server's: use promtool of Prometheus 2.x or 3.x")


async def wait_loaded(client: PrometheusClient, plans: list[Plan], newest: dict[str, int], names: set[str],
                      moved: list[Path], say: Say) -> None:
    """Return once every SLA's newest backfilled sample answers a query; else say which blocks were
    moved where, so a wrong directory can be cleaned up."""
    matcher = "|".join(sorted(names))
    deadline = time.monotonic() + LOAD_TIMEOUT
    say("waiting for Prometheus to load the blocks (it looks for new ones once a minute)")
    for one in plans:
        expr = f'count({{__name__=~"{matcher}", {one.selector}}})'
        while not await client.query(expr, at=(newest[one.sla.key] - 1) / 1000):
            if time.monotonic() > deadline:
                raise BackfillError(
                    f"Prometheus has not loaded the blocks after {LOAD_TIMEOUT:.0f} s: is the data directory the one "
                    f"this server was started with (--storage.tsdb.path)? Moved there, to delete if not: "
                    f"{', '.join(block.name for block in moved)}")
            await asyncio.sleep(2)


def record_level(url: str, plans: list[Plan], level: int, encoding: str, workdir: Path, data_dir: Path,
                 say: Say) -> tuple[dict[str, int], set[str], list[Path]]:
    """Record one level of every SLA's tiles and move the blocks into ``data_dir``; the newest sample
    per SLA (unix ms), the series recorded, to wait for, and the blocks as moved."""
    newest: dict[str, int] = {}
    names: set[str] = set()
    moved: list[Path] = []
    for one in plans:
        if level >= len(one.levels):
            continue
        rules = workdir / "tiles.yaml"
        rules.write_text(to_yaml(rule_file(in_phase(one.levels[level], rules, one.phase_ms, encoding))),
                         encoding="utf-8")
        began = time.monotonic()
        output = Path(tempfile.mkdtemp(prefix=".pledge-backfill-", dir=data_dir))  # same disk: moves are renames
        try:
            blocks = rule_blocks(url, rules, one.start, one.first - 1, f"{TILE}s", output)
            say(f"{one.sla.key}: recorded {', '.join(sorted(recorded_names(rules)))} from {utc(one.start)} to "
                f"{utc(one.first - TILE)} in {time.monotonic() - began:.1f} s ({len(blocks)} block(s))")
            if blocks:
                newest[one.sla.key] = max(block_range(block)[1] for block in blocks)
                move_blocks(blocks, data_dir)
                moved += [data_dir / block.name for block in blocks]
        finally:
            shutil.rmtree(output, ignore_errors=True)
        names |= recorded_names(rules)
    return newest, names, moved


async def total(client: PrometheusClient, expr: str, at: float) -> float:
    """``expr`` summed into one number (0 when empty)."""
    return sum(sample.value for sample in await client.query(f"sum({expr})", at=at))


async def events_before(client: PrometheusClient, one: Plan) -> tuple[float, float]:
    """Requests and errors in the backfilled 5 m tiles."""
    span = f"{int(one.first - one.start)}s"
    return (await total(client, f"sum_over_time({REQUESTS_TILE}{{{one.selector}}}[{span}])", one.first - 1),
            await total(client, f"sum_over_time({ERRORS_TILE}{{{one.selector}}}[{span}])", one.first - 1))


@dataclass(frozen=True)
class Shortfall:
    """The server's first hour tile of an SLA, recorded before the 5 m tiles it sums were backfilled:
    it stays short of them (a sample cannot be rewritten)."""

    sla: str
    recorded: float
    requests: float
    errors: float

    @property
    def message(self) -> str:
        return (f"{self.sla}: the rules' first hour tile ({utc(self.recorded)}) was recorded before this backfill "
                f"and misses {self.requests:,.0f} requests and {self.errors:,.0f} errors of the hour before; "
                "calendar periods and windows over 31 days count that many fewer until that hour leaves them. "
                "Run backfill before the rules' first hour tile to avoid it (in the hour the rules start).")


async def shortfall(client: PrometheusClient, one: Plan, now: float) -> Shortfall | None:
    """What the server's first hour tile misses, if it was recorded before this backfill."""
    moment = hour_tile_at_or_after(one.first)
    if moment > now - TILE:
        return None  # recorded after this backfill: it reads the backfilled tiles
    short = []
    for name in (REQUESTS_HOUR_TILE, ERRORS_HOUR_TILE):
        should = [await total(client, rule.expr, moment)
                  for level in tile_levels(one.sla) for group in level for rule in group.rules if rule.record == name]
        short.append(sum(should) - await total(client, f"{name}{{{one.selector}}}", moment))
    return Shortfall(one.sla.key, moment, short[0], short[1]) if short[0] >= 0.5 else None


def check_data_dir(data_dir: Path) -> None:
    if not (data_dir / "wal").is_dir():
        raise BackfillError(f"{data_dir} is not a Prometheus data directory (no wal/ in it): give the directory "
                            "the server was started with (--storage.tsdb.path)")


async def backfill(slas: list[ServiceLevelAgreement], url: str, data_dir: Path, now: float, days: int | None,
                   say: Say) -> list[Shortfall]:
    """Backfill every SLA's tiles; what it could not make exact."""
    check_data_dir(data_dir)
    async with PrometheusClient(url) as client:
        plans = await plan(client, slas, now, days, say)
        if not plans:
            return []
        with tempfile.TemporaryDirectory(prefix="pledge-backfill-") as tmp:
            encoding = await asyncio.to_thread(probe_encoding, url, Path(tmp), now)
            for level in range(max(len(one.levels) for one in plans)):
                newest, names, moved = await asyncio.to_thread(record_level, url, plans, level, encoding, Path(tmp),
                                                               data_dir, say)
                await wait_loaded(client, [one for one in plans if one.sla.key in newest], newest, names, moved, say)
        for one in plans:
            requests, errors = await events_before(client, one)
            say(f"{one.sla.key}: {requests:,.0f} requests and {errors:,.0f} errors before {utc(one.first)}")
        return [short for one in plans if (short := await shortfall(client, one, now))]
