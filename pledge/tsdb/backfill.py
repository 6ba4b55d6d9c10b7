"""`pledge backfill`: an SLA's tiles recorded from the raw counters already in Prometheus, so a new SLA
on an old service has its period's figures and long-window alerts from the first minute.

The SLA's rules run first; backfill then records, with promtool's rule backfill, the tiles from
before the first one the server recorded, at the very moments of the server's 5-minute cycle
(pledge.tsdb.phase): old and new tiles neither overlap nor leave a gap, so a period's event counts
stay exact across the junction. Blocks move into the server's data directory, which loads new blocks
about once a minute (no restart needed; a restart is safe); the hour tiles, which read the 5 m tiles,
follow once those answer.

Nothing is written where the server's TSDB head still holds samples (pledge.tsdb.head): a block
reaching into the head makes the server drop, at its next restart, every series' samples from before
that block's end. The tiles between the head's start and the rules' first tile wait for a second run,
once the server has written its head there to a block; the command says when.
"""

from __future__ import annotations

import asyncio
import math
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pledge.prom.client import PrometheusClient
from pledge.prom.errors import PrometheusError, PrometheusQueryError, PrometheusUnavailable
from pledge.rules import generate
from pledge.rules.model import Rule, RuleGroup
from pledge.rules.names import ERRORS_HOUR_TILE, ERRORS_TILE, REQUESTS_HOUR_TILE, REQUESTS_TILE, TARGET, TILE
from pledge.rules.queries import sla_matchers
from pledge.rules.render import rule_file, to_yaml
from pledge.rules.tiles import hour_tile_at_or_after
from pledge.sla import ServiceLevelAgreement
from pledge.sla.units import DAY, HOUR, MINUTE
from pledge.slo.periods import current_period
from pledge.tsdb.blocks import block_range, move_blocks, recorded_names, rule_blocks
from pledge.tsdb.head import Head, head_of
from pledge.tsdb.passes import write_passes
from pledge.tsdb.phase import ENCODINGS, group_name_at, group_phase_ms

Say = Callable[[str], None]
LOAD_TIMEOUT = 150.0  # Prometheus looks for new blocks in its data directory once a minute
SEARCH_BACK = 93 * DAY  # how far back the server's first tile is looked for, at least
HOUR_TILES = (REQUESTS_HOUR_TILE, ERRORS_HOUR_TILE)


class BackfillError(Exception):
    """Why nothing, or not everything, was backfilled, in words for the person who ran it."""


class NoTilesYet(Exception):
    """The SLA's rules have recorded no tile yet: there is no junction to backfill up to."""


Span = tuple[float, float]  # [start, end) in unix seconds


@dataclass(frozen=True)
class Work:
    """Rules recording some of a level's series, and the spans of them to record."""

    groups: list[RuleGroup]
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class Plan:
    """One SLA's backfill: per dependency level of its tiles, what to record before ``junction`` (the
    rules' first tile in the server), up to ``until`` (the junction, or the server's head if it
    begins earlier); ``left``: the tiles between the head's start and the junction, left for a second run."""

    sla: ServiceLevelAgreement
    start: float
    junction: float
    until: float
    levels: list[list[Work]]
    head: Head
    left: Span | None = None

    @property
    def selector(self) -> str:
        return selector(self.sla)

    @property
    def phase_ms(self) -> int:
        """Where the server's tiles group evaluates in its 5-minute cycle."""
        return phase_of(self.junction)

    @property
    def left_message(self) -> str | None:
        if self.left is None:
            return None
        begins, junction = self.left
        after = self.head.compacted_past(junction - TILE)
        hour_tile = hour_tile_at_or_after(junction)
        return (f"{self.sla.key}: not backfilled yet: the {span_text(junction - begins)} of tiles from {utc(begins)} to "
                f"the rules' first tile ({utc(junction)}) are still in Prometheus' head, where a block would make the "
                "server drop the samples it holds from before that block's end at its next restart. "
                f"Run this command again after {utc(after)}, once the server has written them to a block (it does so "
                f"every {span_text(self.head.block)}); it records the rest then. Until then the SLA's windows and "
                "periods lack those tiles' events, and the rules' first hour tile "
                f"({utc(hour_tile)}) will lack those of its hour for good (the next run says how many).")


def selector(sla: ServiceLevelAgreement) -> str:
    return sla_matchers(sla.ref)


def utc(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(moment))


def span_text(seconds: float) -> str:
    """``2 h 40 m``, ``25 m``, ``2 h``."""
    minutes = max(1, round(seconds / MINUTE))
    hours, minutes = divmod(minutes, 60)
    return " ".join(part for part in (f"{hours} h" if hours else "", f"{minutes} m" if minutes else "") if part)


def phase_of(moment: float) -> int:
    return round(moment * 1000) % (TILE * 1000)


def default_start(sla: ServiceLevelAgreement, now: float, days: int | None) -> float:
    """``days`` back, or the SLA's rolling window or current calendar period and an hour more (the
    hour tile of the period's first hour reads it)."""
    return now - days * DAY if days is not None else current_period(sla.spec.window, now).start - HOUR


async def sample_time(client: PrometheusClient, sla: ServiceLevelAgreement, name: str, at: float, since: float,
                      earliest: bool = True) -> float | None:
    """When the server holds the SLA's earliest (or latest) sample of ``name`` between ``since`` and
    ``at`` (included); None when it has none. The subquery's steps fall on whole 5 minutes, so the
    samples after its last step are read at ``at`` itself: a tile is found as soon as it is recorded."""
    aggregate = "min" if earliest else "max"
    span = (int(at - since) // TILE + 1) * TILE
    series = f"{name}{{{selector(sla)}}}"
    found = await client.query(
        f'{aggregate}(label_replace({aggregate}_over_time(timestamp({series})[{span}s:{TILE}s]), "pledge_part", '
        f'"steps", "", "") or label_replace(timestamp({series}), "pledge_part", "latest", "", ""))', at=at)
    return found[0].value if found else None


async def first_sample(client: PrometheusClient, sla: ServiceLevelAgreement, name: str, now: float,
                       since: float) -> float | None:
    """When the server holds the SLA's first sample of ``name`` after ``since``; None when it has none."""
    return await sample_time(client, sla, name, now, since)


async def first_tile(client: PrometheusClient, sla: ServiceLevelAgreement, now: float, since: float) -> float | None:
    """When the server recorded the SLA's first 5 m tile after ``since``; None when it has none."""
    return await first_sample(client, sla, REQUESTS_TILE, now, since)


def recorded(level: list[RuleGroup]) -> set[str]:
    return {rule.record for group in level for rule in group.rules if rule.record}


def reaches_back(name: str, first: float, start: float) -> bool:
    """Whether a series whose first sample is at ``first`` covers the range from ``start`` (hour tiles
    are recorded once an hour, in the hour's second evaluation)."""
    return first <= start + (HOUR + 2 * TILE if name in HOUR_TILES else TILE)


def first_moment(span: Span, phase_ms: int, name: str) -> float | None:
    """The first moment in ``span`` at which the tiles group records ``name`` (an hour tile: in the
    second evaluation of a UTC hour); None when there is none."""
    low, high = span
    moment = math.ceil(round(low * 1000, 3))
    moment += (phase_ms - moment) % (TILE * 1000)
    while moment < high * 1000:
        if name not in HOUR_TILES or TILE <= (moment / 1000) % HOUR < 2 * TILE:
            return moment / 1000
        moment += TILE * 1000
    return None


def marker(sla: ServiceLevelAgreement) -> str | None:
    """A series the server's tiles group records at every evaluation and backfill never writes (the
    SLA's target): its first sample is the rules' first evaluation, even once backfilled tiles precede it."""
    for group in generate(sla):
        names = {rule.record: rule for rule in group.rules if rule.record}
        if REQUESTS_TILE in names and (rule := names.get(TARGET)) and rule.expr.startswith("vector("):
            return TARGET
    return None


async def junction_of(client: PrometheusClient, sla: ServiceLevelAgreement, levels: list[list[RuleGroup]],
                      now: float, start: float, since: float) -> float:
    """The rules' first evaluation in the server: the first sample of the marker series, or (rules
    without one) of the tiles that do not reach back to ``start`` yet, or of any tile."""
    if (name := marker(sla)) is not None and (found := await first_sample(client, sla, name, now, since)) is not None:
        return found
    firsts = {name: await first_sample(client, sla, name, now, since) for name in sorted(recorded(sum(levels, [])))}
    if firsts[REQUESTS_TILE] is None:
        raise NoTilesYet(sla.key)
    pending = [first for name, first in firsts.items() if first is not None and not reaches_back(name, first, start)]
    return min(pending or [first for first in firsts.values() if first is not None])


def only(groups: list[RuleGroup], names: set[str]) -> list[RuleGroup]:
    """The groups with only the rules recording ``names``."""
    kept = [RuleGroup(group.name, group.interval, tuple(rule for rule in group.rules if rule.record in names))
            for group in groups]
    return [group for group in kept if group.rules]


async def missing(client: PrometheusClient, sla: ServiceLevelAgreement, name: str, start: float, junction: float,
                  since: float) -> list[Span]:
    """The spans before ``junction`` the server holds none of ``name`` in: before its first sample (when
    that does not reach back to ``start``), and after its last (an earlier run that stopped at the head)."""
    before = junction - 0.001
    first = await sample_time(client, sla, name, before, since)
    if first is None:
        return [(start, junction)]
    last = await sample_time(client, sla, name, before, since, earliest=False)
    assert last is not None
    spans = [] if reaches_back(name, first, start) else [(start, first)]
    return spans + [(last + 1, junction)]  # none when ``last`` is the last moment before the junction (promtool
    # starts at a whole second: a span starting 1 ms after ``last`` would record it again)


async def plan_sla(client: PrometheusClient, sla: ServiceLevelAgreement, now: float, days: int | None, head: Head,
                   say: Say) -> Plan | None:
    """What to record of each level, before the rules' first tile and the server's head; NoTilesYet
    when the SLA's rules have recorded nothing yet."""
    start, levels = default_start(sla, now, days), tile_levels(sla)
    since = min(start, now - SEARCH_BACK)
    junction = await junction_of(client, sla, levels, now, start, since)
    phase = phase_of(junction)
    # up to the tiles group's first moment in the head: promtool ends a span at a whole second, and the
    # tile just before it is then still recorded
    until = min(junction, head.boundary if math.isinf(head.boundary) else
                first_moment((head.boundary, math.inf), phase, REQUESTS_TILE) or junction)
    works: list[list[Work]] = []
    complete: list[str] = []
    left_from: list[float] = []
    for level in levels:
        by_spans: dict[tuple[Span, ...], set[str]] = {}
        for name in sorted(recorded(level)):
            spans = [span for span in await missing(client, sla, name, start, junction, since)
                     if first_moment(span, phase, name) is not None]
            left_from += [moment for span in spans
                          if (moment := first_moment((max(span[0], until), span[1]), phase, name)) is not None]
            kept = tuple((low, min(high, until)) for low, high in spans
                         if first_moment((low, min(high, until)), phase, name) is not None)
            if kept:
                by_spans.setdefault(kept, set()).add(name)
            elif not spans:
                complete.append(name)
        works.append([Work(only(level, names), spans) for spans, names in by_spans.items()])
    left = (min(left_from), junction) if left_from else None
    one = Plan(sla, start, junction, until, [level for level in works if level], head, left)
    if not one.levels:
        if left is None:
            say(f"{sla.key}: tiles recorded since {utc(start)} already: nothing to backfill")
        else:
            say(f"{sla.key}: nothing to record before the server's head (it begins {utc(until)})")
            say(one.left_message or "")
        return None
    if complete and len(complete) < len(set().union(*map(recorded, levels))):
        say(f"{sla.key}: {', '.join(sorted(complete))} reach back already (an earlier backfill stopped): recording "
            "the rest")
    return one


async def plan(client: PrometheusClient, slas: list[ServiceLevelAgreement], now: float, days: int | None, head: Head,
               say: Say) -> list[Plan]:
    """Every SLA's range, or BackfillError naming each SLA whose rules have recorded nothing yet (and
    nothing is written for any SLA)."""
    plans, missing_ones = [], []
    for sla in slas:
        try:
            if one := await plan_sla(client, sla, now, days, head, say):
                plans.append(one)
        except NoTilesYet:
            missing_ones.append(sla.key)
    if missing_ones:
        raise BackfillError(
            f"no tiles recorded yet for {', '.join(missing_ones)}: load the SLA's rules first (pledge generate, or "
            "the operator), wait for their first tile (the tiles group evaluates every 5 minutes), then run "
            "backfill: it records the tiles before it")
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
    """Which label hashing this promtool uses, read off the moment it evaluates a probe group at (the
    probe's blocks stay in ``workdir``)."""
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
    """Return once every SLA's newest backfilled sample answers a query (a server restarted meanwhile
    is waited for); else say which blocks were moved where, so a wrong directory can be cleaned up."""
    matcher = "|".join(sorted(names))
    deadline = time.monotonic() + LOAD_TIMEOUT
    say("waiting for Prometheus to load the blocks (it looks for new ones once a minute; a restart loads them at "
        "once, and is safe)")
    for one in plans:
        last = (newest[one.sla.key] - 1) / 1000  # that very sample: earlier runs' tiles may precede it closely
        series = f'label_replace({{__name__=~"{matcher}", {one.selector}}}, "pledge_name", "$1", "__name__", "(.+)")'
        expr = f"count(timestamp({series}) >= {last - 0.0005:.4f})"
        failed: PrometheusError | None = None
        while True:
            try:
                if await client.query(expr, at=last):
                    break
            except (PrometheusUnavailable, PrometheusQueryError) as exc:  # a restart: refused, or "block is closing"
                failed = exc
            if time.monotonic() > deadline:
                raise BackfillError(
                    f"Prometheus has not loaded the blocks after {LOAD_TIMEOUT:.0f} s"
                    f"{f' (last answer: {failed})' if failed else ''}: is the data directory the one this server was "
                    f"started with (--storage.tsdb.path)? Moved there, to delete if not: "
                    f"{', '.join(block.name for block in moved)}")
            await asyncio.sleep(1)


@dataclass
class Written:
    """One level's blocks, written beside the data directory's blocks and not moved in yet."""

    blocks: list[Path] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    newest: dict[str, int] = field(default_factory=dict)  # per SLA, unix ms
    names: set[str] = field(default_factory=set)

    def discard(self) -> None:
        for output in self.outputs:
            shutil.rmtree(output, ignore_errors=True)


def write_level(url: str, plans: list[Plan], level: int, encoding: str, workdir: Path, data_dir: Path,
                say: Say) -> Written:
    """Record one level of every SLA's tiles into directories beside the data directory's blocks (same
    disk: the moves are renames)."""
    written = Written()
    try:
        for one in plans:
            if level >= len(one.levels):
                continue
            for work in one.levels[level]:
                rules = workdir / "tiles.yaml"
                rules.write_text(to_yaml(rule_file(in_phase(work.groups, rules, one.phase_ms, encoding))),
                                 encoding="utf-8")
                names = recorded_names(rules)
                for low, high in work.spans:
                    began = time.monotonic()
                    output = Path(tempfile.mkdtemp(prefix=".pledge-backfill-", dir=data_dir))
                    written.outputs.append(output)
                    blocks = rule_blocks(url, rules, low, high - 1, f"{TILE}s", output)
                    last = max(filter(None, (last_moment((low, high), one.phase_ms, name) for name in names)),
                               default=low)
                    first = min(filter(None, (first_moment((low, high), one.phase_ms, name) for name in names)),
                                default=low)
                    say(f"{one.sla.key}: recorded {', '.join(sorted(names))} from {utc(first)} to {utc(last)} in "
                        f"{time.monotonic() - began:.1f} s ({len(blocks)} block(s))")
                    written.blocks += blocks
                    if blocks:
                        newest = max(block_range(block)[1] for block in blocks)
                        written.newest[one.sla.key] = max(newest, written.newest.get(one.sla.key, 0))
                written.names |= names
    except BaseException:
        written.discard()
        raise
    return written


def last_moment(span: Span, phase_ms: int, name: str) -> float | None:
    """The last moment in ``span`` at which the tiles group records ``name``."""
    low, high = span
    step = HOUR if name in HOUR_TILES else TILE
    for back in range(int(step // TILE) + 1):
        moment = high - TILE - back * TILE
        if (found := first_moment((moment, high), phase_ms, name)) is not None:
            return found if found >= low else None
    return None


async def move_in(client: PrometheusClient, written: Written, data_dir: Path) -> list[Path]:
    """Move the blocks into the data directory, once more making sure none reaches into the server's
    head (it may have changed since the plan): the blocks as moved."""
    head = await head_of(client)
    for block in written.blocks:
        if block_range(block)[1] > head.boundary * 1000 + 0.5:
            raise BackfillError(
                f"a block written ends at {utc(block_range(block)[1] / 1000)}, after the start of the server's head "
                f"({utc(head.boundary)}): not moved in (the server would drop its own samples from before the block's "
                "end at its next restart); nothing of this level was moved")
    moved = []
    for block in written.blocks:
        move_blocks([block], data_dir)
        moved.append(data_dir / block.name)
    return moved


async def total(client: PrometheusClient, expr: str, at: float) -> float:
    """``expr`` summed into one number (0 when empty)."""
    return sum(sample.value for sample in await client.query(f"sum({expr})", at=at))


async def events_before(client: PrometheusClient, one: Plan) -> tuple[float, float]:
    """Requests and errors in the 5 m tiles from the start up to the junction, or the server's head."""
    span = f"{max(1, int(one.until - one.start))}s"
    return (await total(client, f"sum_over_time({REQUESTS_TILE}{{{one.selector}}}[{span}])", one.until - 1),
            await total(client, f"sum_over_time({ERRORS_TILE}{{{one.selector}}}[{span}])", one.until - 1))


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
        return (f"{self.sla}: the rules' first hour tile ({utc(self.recorded)}) was recorded before the tiles it sums "
                f"from before the rules' start were backfilled, and misses {self.requests:,.0f} requests and "
                f"{self.errors:,.0f} errors of the hour before (a sample cannot be rewritten): calendar periods and "
                "windows over 31 days count that many fewer until that hour leaves them; windows up to 31 days are "
                "exact. (Those tiles were still in Prometheus' head when that hour tile was recorded, or backfill "
                "ran later.)")


async def shortfall(client: PrometheusClient, one: Plan, now: float) -> Shortfall | None:
    """What the server's first hour tile misses, if it was recorded before this backfill."""
    moment = hour_tile_at_or_after(one.junction)
    if moment > now - TILE:
        return None  # recorded after this backfill: it reads the backfilled tiles
    short = []
    for name in HOUR_TILES:
        should = [await total(client, rule.expr, moment)
                  for level in tile_levels(one.sla) for group in level for rule in group.rules if rule.record == name]
        short.append(sum(should) - await total(client, f"{name}{{{one.selector}}}", moment))
    return Shortfall(one.sla.key, moment, short[0], short[1]) if short[0] >= 0.5 else None


def check_data_dir(data_dir: Path) -> None:
    if not (data_dir / "wal").is_dir():
        raise BackfillError(f"{data_dir} is not a Prometheus data directory (no wal/ in it): give the directory "
                            "the server was started with (--storage.tsdb.path)")


async def read_head(client: PrometheusClient, data_dir: Path, say: Say) -> Head:
    """The server's head, or BackfillError: without it, backfill cannot tell where writing is safe."""
    try:
        head = await head_of(client)
    except PrometheusError as exc:
        raise BackfillError(f"cannot read where the server's TSDB head begins (/api/v1/status/tsdb): {exc}; backfill "
                            "writes blocks only before it, or the server would drop samples at its next restart") from exc
    if head.path is not None and Path(head.path).resolve() != data_dir:
        say(f"note: the server reports --storage.tsdb.path={head.path}; the blocks go to {data_dir} (the same "
            "directory seen from here?)")
    if head.start is not None:
        say(f"the server's TSDB head begins at {utc(head.start)}: nothing is written from then on")
    return head


async def backfill(slas: list[ServiceLevelAgreement], url: str, data_dir: Path, now: float, days: int | None,
                   say: Say) -> list[Shortfall]:
    """Backfill every SLA's tiles, before the server's head; what it could not make exact."""
    check_data_dir(data_dir)
    async with PrometheusClient(url) as client:
        head = await read_head(client, data_dir, say)
        plans = await plan(client, slas, now, days, head, say)
        if not plans:
            return []
        with tempfile.TemporaryDirectory(prefix="pledge-backfill-") as tmp:
            encoding = await asyncio.to_thread(probe_encoding, url, Path(tmp), now)
            for level in range(max(len(one.levels) for one in plans)):
                written = await asyncio.to_thread(write_level, url, plans, level, encoding, Path(tmp), data_dir, say)
                try:
                    moved = await move_in(client, written, data_dir)
                finally:
                    written.discard()
                loaded = [one for one in plans if one.sla.key in written.newest]
                await wait_loaded(client, loaded, written.newest, written.names, moved, say)
        for one in plans:
            requests, errors = await events_before(client, one)
            say(f"{one.sla.key}: {requests:,.0f} requests and {errors:,.0f} errors before {utc(one.until)}")
            if message := one.left_message:
                say(message)
        return [short for one in plans if one.left is None and (short := await shortfall(client, one, now))]
