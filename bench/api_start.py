"""`pledge serve` from a cold start with 1,000 SLAs on a real Prometheus holding 30 days of their tiles
(issue 12, item 5: ready within 5 s, predictions for 1,000 SLAs within 30 s of start).

Each figure next to a reference measured in the same run (machines are noisy): the API's seconds to
/readyz against a bare FastAPI app started the same way (a fresh interpreter, uvicorn, one route); its
seconds to the first GET /v1/predictions holding every SLA against the same history read by this
process with `fetch()` in the API's chunks (the round's Prometheus reads, no forecast, no HTTP).
The history is written straight as the two recorded 5 m tile series per SLA (what a prediction round
reads), rows of the forecasting scenarios as in bench/forecast.py, ending now.

Usage: python bench/api_start.py [--slas 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import yaml

from forecast import DAYS, STEP, fleet  # bench/forecast.py, next to this file
from pledge.api.auth import TokenEntry, TokensFile
from pledge.predictions import CHUNK
from pledge.prom import PrometheusClient
from pledge.forecasting.fetch import fetch
from pledge.rules.names import ERRORS_TILE, REQUESTS_TILE
from pledge.rules.queries import any_sla_matchers
from pledge.testing import LocalPrometheus
from pledge.testing.backfill import Series, backfill_openmetrics
from pledge.testing.local import free_port

EXAMPLE = Path(__file__).parent.parent / "examples" / "api-availability.yaml"
TOKEN = "bench-start-token"
BARE = ("import fastapi, uvicorn, sys; app = fastapi.FastAPI(); app.get('/readyz')(lambda: {'status': 'ok'}); "
        "uvicorn.run(app, host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')")


def names(count: int) -> list[str]:
    return [f"api-{k}" for k in range(count)]


def write_world(folder: Path, count: int) -> tuple[Path, Path]:
    """``count`` copies of the example SLA (renamed) and a tokens file with one read:all token."""
    slas = folder / "slas"
    slas.mkdir()
    text = EXAMPLE.read_text(encoding="utf-8")
    for name in names(count):
        (slas / f"{name}.yaml").write_text(text.replace("name: api-availability,", f"name: {name},"), encoding="utf-8")
    tokens = folder / "tokens.yaml"
    entries = TokensFile(tokens=[TokenEntry.from_token("bench", TOKEN, ["read:all"])])
    tokens.write_text(yaml.safe_dump(entries.model_dump()), encoding="utf-8")
    return slas, tokens


def tiles(count: int, end: int) -> list[Series]:
    """30 days of each SLA's errors and requests tiles, one point per 5 m, the last one at ``end``."""
    series, _ = fleet(count)
    stamps = [float(t) for t in end - STEP * np.arange(series.timestamps.size)[::-1]]
    found = []
    for row, name in enumerate(names(count)):
        labels = {"sla": name, "sla_namespace": "platform", "objective": "availability"}
        for metric, values in ((ERRORS_TILE, series.errors[row]), (REQUESTS_TILE, series.total[row])):
            found.append(Series(metric, labels, list(zip(stamps, values.tolist()))))
    return found


def until(check: httpx.Client, path: str, done: Callable[[httpx.Response], bool], started: float,
          limit: float = 600) -> float:
    """Seconds from ``started`` until GET ``path`` answers 200 and ``done(answer)`` holds."""
    while time.perf_counter() - started < limit:
        try:
            answer = check.get(path, timeout=limit)
            if answer.status_code == 200 and done(answer):
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise SystemExit(f"GET {path} not answered within {limit:.0f} s")


def bare_ready() -> float:
    port = free_port()
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", BARE, str(port)])
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            return until(http, "/readyz", lambda a: True, started)
    finally:
        child.terminate()
        child.wait(30)


def serve_times(prom_url: str, slas: Path, tokens: Path, count: int) -> tuple[float, float]:
    """`pledge serve` in a child process: seconds to /readyz, then to predictions for every SLA."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "pledge"), "serve", "--prometheus-url", prom_url,
               "--sla-dir", str(slas), "--tokens-file", str(tokens), "--port", str(port)]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            ready = until(http, "/readyz", lambda a: True, started)
            every = until(http, "/v1/predictions", lambda a: len({i["name"] for i in a.json()["items"]}) == count,
                          started)
        return ready, every
    finally:
        child.terminate()
        child.wait(30)


async def fetched(prom_url: str, count: int, end: int) -> float:
    """The round's reads alone: the same history, in the API's chunks of CHUNK SLAs."""
    started = time.perf_counter()
    all_names = names(count)
    async with PrometheusClient(prom_url) as client:
        for first in range(0, count, CHUNK):
            await fetch(client, end - DAYS * 86_400, end, any_sla_matchers(all_names[first:first + CHUNK]))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slas", type=int, default=1_000)
    count = parser.parse_args().slas
    end = int(time.time()) // STEP * STEP
    with tempfile.TemporaryDirectory(prefix="pledge-start-") as tmp, LocalPrometheus() as prom:
        slas, tokens = write_world(Path(tmp), count)
        started = time.monotonic()
        history = tiles(count, end)
        asyncio.run(backfill_openmetrics(prom, history))
        samples = sum(len(s.samples) for s in history)
        del history
        print(f"{count:,} SLAs: {samples:,} tile samples over {DAYS} days written in {time.monotonic() - started:.0f} s")
        bare = bare_ready()
        ready, every = serve_times(prom.url, slas, tokens, count)
        reads = asyncio.run(fetched(prom.url, count, end))
    print(f"pledge serve ready (/readyz 200) in {ready:.2f} s   bare FastAPI app {bare:.2f} s   ratio {ready / bare:.1f}x   "
          f"goal <= 5 s: {'met' if ready <= 5 else 'NOT met'}")
    print(f"predictions for all {count:,} SLAs {every:.1f} s after start   the round's history reads alone {reads:.1f} s "
          f"({2 * -(-count // CHUNK)} range queries)   ratio {every / reads:.1f}x   goal <= 30 s: "
          f"{'met' if every <= 30 else 'NOT met'}")


if __name__ == "__main__":
    main()
