"""pledge's alerts through a real Alertmanager, routed by `pledge alertmanager`, to a webhook here.

One live world, as of now (live servers scrape and evaluate at the wall clock; pledge.clock.system is
its one reading): a scrape target serves the SLIs' counters, continuing two days of backfilled good
traffic, and the API's forecast gauge. Three SLAs of namespace e2e read it:

- ``payments`` (owner team-payments): half its requests failed for the three minutes before the
  world went live. The 1h/5m page fires at the first evaluation, with a 30m/5m ticket tier tuned to
  fire with it and to end first: the ticket must be inhibited, the page sent once, then resolved.
  Its forecast gauge says 0.95 as well: that ticket is not a burn rate's and must go out during the page.
  Its pages carry routing_key, its tickets slack_channel (labels per severity): the inhibition holds.
- ``payments-maintained``: the same counters, inside a maintenance window: nothing may be sent.
- ``forecast`` (customer acme): healthy, but the forecast gauge says 0.95: SLABreachPredicted must
  reach customer success (and the owner's ticket receiver).

pledge's rules evaluate every 30 s, and the page ends when the outage leaves its 5m window: the run
takes about four minutes. Prometheus forgets its Alertmanagers for about 5 s at each reload (2.42), so
the first evaluation's alerts may be lost: it resends every evaluation (``--rules.alert.resend-delay``)
and Alertmanager waits 45 s for a group's first notification (an alert that arrives older than
``group_wait`` is sent at once, before the inhibitor may have seen the page that came with it).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner

from pledge.commands.main import main
from pledge.clock import system
from pledge.rules import generate
from pledge.rules.names import ALERT_BREACH_PREDICTED, ALERT_BURN, BREACH_PROBABILITY, REQUESTS_TILE, TILE
from pledge.sla import parse_sla
from pledge.sla.units import DAY, HOUR, MINUTE
from pledge.testing import LocalPrometheus
from pledge.testing.alertmanager import LocalAlertmanager, check_config
from pledge.testing.history import go_live, load_history
from pledge.testing.synthetic import Metric, Timeline
from tests.support.slas import document

pytestmark = pytest.mark.integration
NS, RPS = "e2e", 20.0
OUTAGE_START, OUTAGE_END, OUTAGE_RATIO = -4 * MINUTE, -1 * MINUTE, 0.5  # relative to the world's start
HISTORY = 2 * DAY
DEADLINE = 8 * MINUTE


def slas(start: float) -> list[dict[str, Any]]:
    # 3 % of the budget in 30m: fires only after the 1h/5m page (2 % in 1h) and ends before it
    ticket = {"tiers": [{"name": "ticket-fast", "longWindow": "30m", "shortWindow": "5m", "budgetConsumed": "3"}]}
    predicted = {"breachPrediction": {"enabled": True, "for": "30s"}}
    # labels per severity (as Sloth's getting-started routes): they differ between the page and the
    # ticket, and must not keep the page from inhibiting the burn ticket
    routed = {"severities": {"page": {"labels": {"routing_key": "pay-oncall"}},
                             "ticket": {"labels": {"slack_channel": "#pay"}}}}
    window = {"start": _rfc3339(start - 10 * MINUTE), "end": _rfc3339(start + HOUR), "reason": "e2e maintenance"}
    common: dict[str, Any] = {"owner": "team-payments", "window": {"rolling": "30d"}}
    return [
        document("payments", NS, service="pay", alerting={**ticket, **predicted, **routed}, **common),
        document("payments-maintained", NS, service="pay", alerting=ticket, exclusions=[window], **common),
        document("forecast", NS, service="fc", customer="acme", alerting=predicted, **common),
    ]


def _rfc3339(unix: float) -> str:
    return dt.datetime.fromtimestamp(unix, dt.timezone.utc).isoformat()


@dataclass(frozen=True)
class Traffic:
    """Cumulative counters as functions of time: RPS requests per second, OUTAGE_RATIO of them failing
    during pay's outage; history and live scrapes read the same functions, so counters never reset."""

    start: float  # the world goes live here; history ends here

    def bad(self, service: str, t: float) -> float:
        if service != "pay":
            return 0.0
        a, b = self.start + OUTAGE_START, self.start + OUTAGE_END
        return RPS * OUTAGE_RATIO * max(0.0, min(t, b) - a)

    def counters(self, service: str, t: float) -> dict[str, float]:
        total = RPS * (t - (self.start - HISTORY))
        bad = self.bad(service, t)
        return {"200": total - bad, "500": bad}

    def history(self) -> tuple[Timeline, list[Metric]]:
        timeline = Timeline(self.start - HISTORY, self.start, 60)
        metrics = [Metric("http_requests_total", {"service": service, "code": code},
                          [self.counters(service, t)[code] for t in timeline.timestamps])
                   for service in ("pay", "fc") for code in ("200", "500")]
        return timeline, metrics

    def exposition(self, t: float) -> str:
        lines = [f'http_requests_total{{service="{s}",code="{code}"}} {value}'
                 for s in ("pay", "fc") for code, value in self.counters(s, t).items()]
        lines += [f'{BREACH_PROBABILITY}{{sla="{name}",sla_namespace="{NS}",objective="availability"}} 0.95'
                  for name in ("forecast", "payments")]
        return "\n".join(lines) + "\n"


@dataclass
class Notification:
    receiver: str
    status: str
    alerts: list[dict[str, Any]]
    at: float  # monotonic

    def slas(self) -> set[str]:
        return {a["labels"]["sla"] for a in self.alerts}


class Servers:
    """The scrape target and the webhook receiver: two small HTTP servers on loopback ports."""

    def __init__(self, traffic: Traffic) -> None:
        self.received: list[Notification] = []
        self.lock = threading.Lock()
        self.target = self._serve(self._target_handler(traffic))
        self.hook = self._serve(self._hook_handler())

    @staticmethod
    def _serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    @staticmethod
    def _target_handler(traffic: Traffic) -> type[BaseHTTPRequestHandler]:
        class Target(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = traffic.exposition(system()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        return Target

    def _hook_handler(self) -> type[BaseHTTPRequestHandler]:
        servers = self

        class Hook(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with servers.lock:
                    servers.received.append(Notification(body["receiver"], body["status"], body["alerts"],
                                                         time.monotonic()))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        return Hook

    def address(self, server: ThreadingHTTPServer) -> str:
        return f"127.0.0.1:{server.server_address[1]}"

    def wait_for(self, what: str, found: Callable[[Notification], bool]) -> Notification:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            with self.lock:
                for notification in self.received:
                    if found(notification):
                        return notification
            time.sleep(0.5)
        raise AssertionError(f"no {what} within {DEADLINE} s; received: {self.received}")

    def close(self) -> None:
        for server in (self.target, self.hook):
            server.shutdown()
            server.server_close()


def alertmanager_config(tmp: Path, files: list[Path], hook: str) -> Path:
    """`pledge alertmanager` as written, with a webhook to this test for every receiver it names."""
    path = tmp / "alertmanager.yml"
    options = ["--customer-route", "--group-wait", "45s", "--group-interval", "2s", "--repeat-interval", "1h"]
    result = CliRunner().invoke(main, ["alertmanager", *options, "-o", str(path), *map(str, files)])
    assert result.exit_code == 0, result.output
    config = yaml.safe_load(path.read_text())
    for receiver in config["receivers"]:
        receiver["webhook_configs"] = [{"url": f"http://{hook}/{receiver['name']}", "send_resolved": True}]
    path.write_text(yaml.safe_dump(config))
    check_config(path)
    return path


@dataclass
class World:
    servers: Servers
    prometheus: LocalPrometheus
    live: float  # monotonic, when the rules went live
    live_at: float  # the same moment, unix


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("e2e")
    start = float(int(system()) // 60 * 60)  # live servers: the world is as of now, whole minutes
    traffic = Traffic(start)
    servers = Servers(traffic)
    files = []
    for one in slas(start):
        files.append(tmp / f"{one['metadata']['name']}.yaml")
        files[-1].write_text(yaml.safe_dump(one))
    groups = [g for one in slas(start) for g in generate(parse_sla(one))]
    with LocalAlertmanager(alertmanager_config(tmp, files, servers.address(servers.hook))) as alertmanager:
        scrape = {"job_name": "e2e", "scrape_interval": "2s", "honor_labels": True,
                  "static_configs": [{"targets": [servers.address(servers.target)]}]}
        extra = {"scrape_configs": [scrape],
                 "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager.port}"]}]}]}}
        with LocalPrometheus(extra_config=extra, extra_flags=["--rules.alert.resend-delay=1s"]) as prom:
            timeline, metrics = traffic.history()
            asyncio.run(load_history(prom, timeline, metrics, groups))
            go_live(prom, groups)
            yield World(servers, prom, time.monotonic(), system())
    servers.close()


def _is(receiver: str, status: str, sla_name: str, alertname: str | None = None) -> Callable[[Notification], bool]:
    return lambda n: (n.receiver == receiver and n.status == status and sla_name in n.slas()
                      and (alertname is None or any(a["labels"]["alertname"] == alertname for a in n.alerts)))


def test_a_breach_prediction_reaches_customer_success(world: World) -> None:
    found = world.servers.wait_for("prediction", _is("customer-success", "firing", "forecast", ALERT_BREACH_PREDICTED))
    print(f"SLABreachPredicted reached customer success {found.at - world.live:.0f} s after the rules went live")
    world.servers.wait_for("prediction to the owner", _is("team-payments-ticket", "firing", "forecast"))


def test_the_outage_pages_once_with_the_burn_ticket_inhibited_then_resolves(world: World) -> None:
    page = world.servers.wait_for("page", _is("team-payments-page", "firing", "payments", ALERT_BURN))
    resolved = world.servers.wait_for("resolved page", _is("team-payments-page", "resolved", "payments"))
    print(f"paged {page.at - world.live:.0f} s and resolved {resolved.at - world.live:.0f} s after the rules went live")
    predicted = world.servers.wait_for("prediction ticket", _is("team-payments-ticket", "firing", "payments"))
    with world.servers.lock:
        pages = [n for n in world.servers.received if n.receiver == "team-payments-page" and "payments" in n.slas()]
        tickets = [a["labels"]["alertname"] for n in world.servers.received  # a resolved one may be listed later
                   if n.receiver == "team-payments-ticket" and "payments" in n.slas() for a in n.alerts
                   if a["status"] == "firing"]
    assert [n.status for n in pages] == ["firing", "resolved"], pages
    assert [a["labels"]["burn_tier"] for a in page.alerts] == ["page-fast"]
    assert [(a["labels"]["routing_key"], "slack_channel" in a["labels"]) for a in page.alerts] == [("pay-oncall", False)]
    assert [a["labels"]["slack_channel"] for a in predicted.alerts if a["labels"]["sla"] == "payments"] == ["#pay"]
    assert set(tickets) == {ALERT_BREACH_PREDICTED}, f"the page should have inhibited the burn ticket only: {tickets}"
    assert predicted.at < resolved.at, "the prediction came after the page: its not being inhibited proves nothing"
    fired = httpx.get(f"{world.prometheus.url}/api/v1/query_range", params={  # live evaluations only
        "query": f'ALERTS{{sla="payments",alertname="{ALERT_BURN}",severity="ticket",alertstate="firing"}}', "start": world.live_at,
        "end": system(), "step": 5}).json()
    assert [s["metric"]["burn_tier"] for s in fired["data"]["result"]] == ["ticket-fast"], "the ticket never fired"


def test_nothing_is_sent_during_maintenance(world: World) -> None:
    """Its counters paged ``payments``; inside its maintenance window nothing reaches any receiver."""
    world.servers.wait_for("resolved page", _is("team-payments-page", "resolved", "payments"))
    with world.servers.lock:
        sent = [n for n in world.servers.received if "payments-maintained" in n.slas()]
    assert sent == []


def test_the_live_tiles_continue_the_backfilled_ones(world: World) -> None:
    """Every tile of ``payments``, backfilled or live, lands at one moment of the 5-minute cycle: live
    tiles of another phase would overlap the last backfilled one and count its events twice."""
    tile = f'{REQUESTS_TILE}{{sla="payments"}}'
    deadline = time.monotonic() + DEADLINE
    while not _query(world, f"timestamp({tile}) > {world.live_at}"):
        assert time.monotonic() < deadline, f"no live tile within {DEADLINE} s"
        time.sleep(2)
    found = httpx.get(f"{world.prometheus.url}/api/v1/query_range", params={
        "query": f"timestamp({tile}) % {TILE}", "start": world.live_at - HOUR, "end": system(), "step": 30}).json()
    phases = sorted({float(value) for series in found["data"]["result"] for _, value in series["values"]})
    apart = [min(d, TILE - d) for d in (abs(phase - phases[0]) for phase in phases)]  # on the 5-minute circle
    assert phases and max(apart) < 0.01, f"tiles at {len(phases)} moments of the cycle: {phases}"


def _query(world: World, expr: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = httpx.get(f"{world.prometheus.url}/api/v1/query", params={"query": expr}).json()["data"]["result"]
    return result
