"""The prediction rounds the API and the operator share (pledge.predictions.Rounds): when a round runs,
never two at once, a new SLA not waiting for the next interval, a failed round neither raised nor
retried at every call. Prometheus is an httpx MockTransport seam: the rounds' timing is the subject,
not the forecasts (the answers hold no history, so every SLA's list is empty)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from pledge.api.sources import read_directory
from pledge.clock import fixed
from pledge.predictions import Rounds
from pledge.prom import PrometheusClient, PrometheusError
from pledge.sla import ServiceLevelAgreement

EXAMPLES = read_directory(Path(__file__).resolve().parents[2] / "examples")
AT = 1_795_000_000.0


class Prometheus:
    """Counts the range queries of each round; answers nothing, or 503 while ``down``."""

    def __init__(self) -> None:
        self.queries = 0
        self.down = False

    def transport(self) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            self.queries += 1
            if self.down:
                return httpx.Response(503, text="unavailable")
            return httpx.Response(200, json={"status": "success", "data": {"resultType": "matrix", "result": []}})
        return httpx.MockTransport(answer)


async def settle() -> None:
    """Let a round started in the background finish (its task is the only one pending)."""
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    await asyncio.gather(*pending)


def test_rounds_run_when_stale_or_new_and_never_twice_at_once(caplog: pytest.LogCaptureFixture) -> None:
    prometheus, now = Prometheus(), [0.0]
    known: list[ServiceLevelAgreement] = EXAMPLES[:3]

    async def scenario() -> list[int]:
        seen = []
        async with PrometheusClient("http://prometheus", transport=prometheus.transport()) as client:
            rounds = Rounds(client, lambda: known, fixed(AT), max_age=300, elapsed=lambda: now[0])
            first = known[0].ref
            assert rounds.of(first) == [] and rounds.of(first) == []  # one round started, not two
            await settle()
            seen.append(prometheus.queries)
            rounds.of(first)
            await settle()
            seen.append(prometheus.queries)  # fresh: no round
            now[0] = 301
            rounds.of(first)
            await settle()
            seen.append(prometheus.queries)  # stale: a round
            known.append(EXAMPLES[3])
            rounds.of(EXAMPLES[3].ref)
            await settle()
            seen.append(prometheus.queries)  # a new SLA: a round at once
            rounds.of(EXAMPLES[3].ref)
            await settle()
            seen.append(prometheus.queries)  # known now, even with no history: no round
            prometheus.down, now[0] = True, 700
            rounds.of(first)
            await settle()
            rounds.of(first)
            await settle()
            seen.append(prometheus.queries)  # one failed round, not retried at every call
            assert rounds.computed_at == AT and rounds.cached() == []  # the previous round stays
        return seen

    seen = asyncio.run(scenario())
    per_round = seen[0]
    assert per_round == 1  # the three SLAs are one chunk: errors and requests in one range query
    assert seen[1] == per_round
    assert seen[2] == 2 * per_round
    assert seen[3] > seen[2] and seen[4] == seen[3]
    assert seen[5] > seen[4] and seen[5] - seen[4] <= per_round + 2
    assert "breach predictions not refreshed, Prometheus failed" in caplog.text


def test_the_first_request_computes_a_round_and_prometheus_errors_reach_it() -> None:
    prometheus = Prometheus()

    async def scenario() -> tuple[float, int]:
        async with PrometheusClient("http://prometheus", transport=prometheus.transport()) as client:
            rounds = Rounds(client, lambda: EXAMPLES, fixed(AT), max_age=300)
            predictions, computed_at = await rounds.current()
            assert predictions == []
            queries = prometheus.queries
            await rounds.current()  # cached: asks nothing
            assert prometheus.queries == queries
            prometheus.down = True
            with pytest.raises(PrometheusError):
                await Rounds(client, lambda: EXAMPLES, fixed(AT), max_age=300).current()
            return computed_at, queries

    computed_at, queries = asyncio.run(scenario())
    assert computed_at == AT and queries >= 2
