"""VictoriaMetrics and vmalert for the compatibility tests (Debian package victoria-metrics).

A single-node victoria-metrics on a free loopback port with a temporary storage directory; raw
history goes in through /api/v1/import; recorded history is written by `vmalert -replay`, one pass
per dependency level of the generated rules (the same passes `pledge.testing.history` feeds promtool);
then a live vmalert evaluates the rules and VictoriaMetrics proxies /api/v1/alerts and /api/v1/rules
to it (-vmalert.proxyURL), so pledge's one Prometheus client reads everything from one URL.

Findings (VictoriaMetrics 1.79.5) this module is built on:

* rate() and increase() count from the last sample before the window to the last one inside and
  do not extrapolate: over a window of whole scrape intervals they hold exactly the events of the
  steps ending in it, where Prometheus sees one step fewer and extrapolates. The burn rates read
  from raw counters (5m, 30m, 1h) differ accordingly (tests/support/world.py, Truth.rate_window).

* vmalert's replay evaluates each group rule by rule with range queries and remote-writes the
  results; it does not know that one rule reads another's output, so chained rules need one
  replay per dependency level, with a flush in between (/internal/force_flush) before the next
  level can read them.
* Replay splits the range into queries of -replay.maxDatapointsPerQuery points whose ends touch:
  the sample at each boundary is written twice, and without deduplication VictoriaMetrics keeps
  both (30 days of 30 s base rates held 8 duplicates: +1.2e-4 on period event counts). A 1 ms
  -dedup.minScrapeInterval keeps one sample per timestamp and nothing else changes.
* Replay sends -datasource.queryStep (5m by default) as the range query step, overriding each
  group's interval: 0s makes it use the group interval, as live evaluation does.
* A bare series in a subquery is looked up over the subquery step (1h in the calendar-period
  rules), not Prometheus' 5 minute lookback delta, so a fully excluded maintenance hour is counted
  at the rate of the hour before. -search.maxStalenessInterval=5m restores Prometheus' behaviour
  (tests/victoria/test_recorded_periods.py).
* Instant queries close to "now" are moved back by -search.latencyOffset (30 s by default), and
  range queries are aligned to the step for the response cache; both are turned off here so a
  query at a given time reads exactly that time, as Prometheus does.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from pledge.testing.backfill import Series
from pledge.clock import rfc3339
from pledge.prom.client import PrometheusClient
from pledge.testing.history import Step, to_series
from pledge.tsdb.passes import Pass, write_passes
from pledge.testing.local import free_port, stop_process
from pledge.rules import rule_file, to_yaml
from pledge.rules.model import RuleGroup
from pledge.sla.duration import format_duration
from pledge.testing.synthetic import Metric, Timeline

INSTALL_HINT = ("{name} is missing: install VictoriaMetrics with `apt-get install -y victoria-metrics` "
                "(Debian; `make victoria` does it) and retry")
_READY_TIMEOUT = 30.0


def binary(name: str) -> str:
    """Absolute path of a VictoriaMetrics binary; a failure (never a skip) says how to install it."""
    path = shutil.which(name)
    if path is None:
        raise AssertionError(INSTALL_HINT.format(name=name))
    return path


def _log_tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"


def _spawn(command: list[str], log: Path, ready_url: str) -> subprocess.Popen[bytes]:
    """Start a server and wait until ``ready_url`` answers 200; on failure leave nothing running."""
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + _READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{command[0]} exited with {process.returncode}; log tail:\n{_log_tail(log)}")
        try:
            if httpx.get(ready_url, timeout=1.0).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    stop_process(process)
    raise AssertionError(f"{command[0]} not ready after {_READY_TIMEOUT} s; log tail:\n{_log_tail(log)}")


def alerting_pass(groups: list[RuleGroup]) -> Pass:
    """The generated alerting rules as they are, for vmalert's own replay of them."""
    alerting = [RuleGroup(g.name, g.interval, tuple(r for r in g.rules if r.alert)) for g in groups]
    return Pass("alerts", [g for g in alerting if g.rules], "alerts")


@dataclass
class Victoria:
    """A running victoria-metrics (``url``, Prometheus-compatible) and, once started, its vmalert."""

    workdir: Path
    url: str
    vmalert_url: str
    processes: list[subprocess.Popen[bytes]]

    def import_series(self, series: Sequence[Series]) -> None:
        """Raw samples through /api/v1/import (JSON lines: one series per line, timestamps in ms)."""
        lines = (json.dumps({"metric": {"__name__": s.name, **s.labels},
                             "values": [float(v) for _, v in s.samples],
                             "timestamps": [int(t * 1000) for t, _ in s.samples]}) + "\n" for s in series)
        response = httpx.post(f"{self.url}/api/v1/import", content="".join(lines).encode(), timeout=120.0)
        response.raise_for_status()
        self.flush()

    def flush(self) -> None:
        """Make every sample written so far searchable."""
        httpx.get(f"{self.url}/internal/force_flush", timeout=60.0).raise_for_status()

    def replay(self, rule_file: Path, start: float, end: float) -> None:
        """Evaluate the rules of ``rule_file`` over [start, end] and store the results (alerting
        rules write their ALERTS series, ``for`` included: vmalert replays them itself).

        The rules of one file never read each other (one dependency level), so no delay between
        them; a rule that fails makes vmalert exit non-zero, and the harness with it."""
        command = [binary("vmalert"), f"-rule={rule_file}", f"-datasource.url={self.url}",
                   f"-remoteWrite.url={self.url}", f"-replay.timeFrom={rfc3339(start)}",
                   f"-replay.timeTo={rfc3339(end)}", "-replay.disableProgressBar",
                   "-replay.rulesDelay=0s", "-replay.maxDatapointsPerQuery=10000", "-datasource.queryStep=0s",
                   "-loggerLevel=ERROR"]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise AssertionError(f"vmalert replay of {rule_file.name} failed ({result.returncode}):\n"
                                 f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
        self.flush()

    def load_history(self, timeline: Timeline, metrics: Sequence[Metric], groups: list[RuleGroup],
                     *, tail: int = 900, step: Step | None = None) -> None:
        """What pledge.testing.history.load_history does for Prometheus: raw history, then the passes
        of recorded series (base rates over the whole timeline, the rest over the last ``tail`` s)."""
        say = step or (lambda _: None)
        say(f"importing {sum(len(m.values) for m in metrics):,} raw samples ({len(metrics)} series)")
        self.import_series(to_series(timeline, metrics))
        self.record(groups, timeline.end + 1, tail, timeline.start, step=say)

    def record(self, groups: list[RuleGroup], end: float, tail: int, whole_from: float | None = None,
               *, step: Step | None = None) -> None:
        """Replay the passes up to ``end``: base rates from ``whole_from`` (default: the tail too),
        the rest over the last ``tail`` seconds."""
        say = step or (lambda _: None)
        passes = Path(tempfile.mkdtemp(prefix="passes-", dir=self.workdir))
        for one in [*write_passes(groups, alerts=False), alerting_pass(groups)]:
            start = one.start(end - tail if whole_from is None else whole_from, end, tail, groups)
            say(f"replaying {one.name} ({format_duration(int(end - start))})")
            self.replay(one.write(passes / f"{one.name}.yaml"), start, end)

    def start_vmalert(self, rule_files: Sequence[Path]) -> None:
        """Evaluate the rules live (alerts included) on the port VictoriaMetrics proxies to.

        vmalert refuses alerting rules without an Alertmanager: it gets a free port nobody listens
        on (sending fails, quietly at this log level); the tests read alerts from vmalert's API."""
        command = [binary("vmalert"), *(f"-rule={p}" for p in rule_files), f"-datasource.url={self.url}",
                   f"-remoteWrite.url={self.url}", f"-remoteRead.url={self.url}", "-evaluationInterval=30s",
                   "-remoteWrite.flushInterval=1s",
                   f"-notifier.url=http://127.0.0.1:{free_port()}",
                   f"-httpListenAddr={self.vmalert_url.removeprefix('http://')}", "-loggerLevel=ERROR"]
        self.processes.append(_spawn(command, self.workdir / "vmalert.log", f"{self.vmalert_url}/-/healthy"))


@contextmanager
def running_victoria() -> Iterator[Victoria]:
    """victoria-metrics on free loopback ports and a temporary storage; everything stopped and
    removed on exit, pass or fail."""
    with tempfile.TemporaryDirectory(prefix="pledge-victoria-") as tmp:
        workdir = Path(tmp)
        port, vmalert_port = free_port(), free_port()
        url, vmalert_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{vmalert_port}"
        command = [binary("victoria-metrics"), f"-storageDataPath={workdir / 'data'}",
                   f"-httpListenAddr=127.0.0.1:{port}", "-retentionPeriod=100y", "-dedup.minScrapeInterval=1ms",
                   "-search.maxStalenessInterval=5m", "-search.latencyOffset=0s", "-search.disableCache",
                   f"-vmalert.proxyURL={vmalert_url}", "-loggerLevel=ERROR"]
        victoria = Victoria(workdir, url, vmalert_url, [])
        victoria.processes.append(_spawn(command, workdir / "victoria-metrics.log", f"{url}/health"))
        try:
            yield victoria
        finally:
            for process in reversed(victoria.processes):
                stop_process(process)


def _evaluated(groups: list[dict[str, object]], suffix: str) -> list[float]:
    """When each group named ``*suffix`` was last evaluated (0 for never)."""
    stamps = [str(g.get("lastEvaluation", "")) for g in groups if str(g["name"]).endswith(suffix)]
    return [datetime.fromisoformat(s).timestamp() if s and not s.startswith("0001") else 0.0 for s in stamps]


async def alerts_evaluated(url: str, timeout: float = 180.0) -> None:
    """Wait until the vmalert just started has run every SLI group, then every alert group after
    them (its own lastEvaluation stamps: no wall clock needed); the hourly period groups may take an hour."""
    async with PrometheusClient(url) as client:
        deadline, sli_done = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            groups = await client.rule_groups()
            sli, alerts = _evaluated(groups, "-sli"), _evaluated(groups, "-alerts")
            if sli_done is None and sli and min(sli) > 0:
                sli_done = max(sli)
            if sli_done is not None and alerts and min(alerts) > sli_done:
                return
            await asyncio.sleep(0.5)
    raise TimeoutError("vmalert did not evaluate the SLI and then the alert rules in time")
