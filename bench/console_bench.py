"""The console's first page over 1,000 SLAs in headless Chromium (Debian's), against a reference
measured in the same run, in the same browser: fetching and parsing the raw /v1/slas JSON itself.

- usable: from navigation start until the table's first page of rows is on screen (filters work);
- filled: until the burn-rate and alert columns of that page are filled in (one detail per SLA shown);
- weight: bytes of the console's own files (HTML, JS, CSS; raw and gzip) and of the API data it loads.

Usage: python bench/console_bench.py [--runs 7] [--slas 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import shutil
import statistics
import tempfile
from pathlib import Path

from playwright.async_api import Browser, async_playwright

from api_bench import TOKEN, TOKENS, many, prepare  # bench/ is the script's folder
from pledge.api.server import running_api
from pledge.console import ASSETS
from pledge.demo.run import example_slas
from pledge.testing import LocalPrometheus

MARKS = """
new MutationObserver((_, observer) => {
  const rows = document.querySelector('#sla-rows tr');
  if (rows && !window.usableAt) window.usableAt = performance.now();
  if (document.querySelector('#sla-rows[data-filled]')) { window.filledAt = performance.now(); observer.disconnect(); }
}).observe(document, {subtree: true, childList: true, attributes: true});
"""
RAW_FETCH = """async (token) => {
  const started = performance.now();
  const page = await (await fetch('/v1/slas?limit=1000', {headers: {Authorization: `Bearer ${token}`}})).json();
  return [performance.now() - started, page.items.length];
}"""


async def console_once(browser: Browser, url: str) -> tuple[float, float, dict[str, int]]:
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    await context.add_init_script(f"sessionStorage.setItem('pledge.token', {TOKEN!r});" + MARKS)
    page = await context.new_page()
    await page.goto(f"{url}/#/")
    await page.wait_for_function("() => window.filledAt", timeout=60_000)
    usable, filled = await page.evaluate("[window.usableAt, window.filledAt]")
    sizes = await page.evaluate("""() => Object.fromEntries(performance.getEntriesByType('resource')
        .concat(performance.getEntriesByType('navigation')).map(e => [new URL(e.name).pathname + new URL(e.name).search, e.encodedBodySize]))""")
    await context.close()
    return usable, filled, sizes


async def raw_once(browser: Browser, url: str) -> float:
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{url}/healthz")
    elapsed, _ = await page.evaluate(RAW_FETCH, TOKEN)
    await context.close()
    return float(elapsed)


def asset_weight() -> tuple[int, int]:
    files = [p.read_bytes() for p in sorted(ASSETS.iterdir())]
    return sum(map(len, files)), sum(len(gzip.compress(f, 9)) for f in files)


async def measure(prom_url: str, count: int, runs: int) -> None:
    slas = many(example_slas(), count)
    chromium = shutil.which("chromium") or "chromium"
    async with running_api(slas, prom_url, TOKENS) as url, async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        await console_once(browser, url)  # warm-up: the first prediction round, the model's training
        raw, usable, filled = [], [], []
        for _ in range(runs):  # interleaved, so a noisy neighbour slows both alike
            raw.append(await raw_once(browser, url))
            u, f, sizes = await console_once(browser, url)
            usable.append(u), filled.append(f)
        await browser.close()
    r, u, f = (statistics.median(x) for x in (raw, usable, filled))
    own, own_gzip = asset_weight()
    data = sum(v for k, v in sizes.items() if k.startswith("/v1/"))
    listing = sum(v for k, v in sizes.items() if k.startswith("/v1/slas?"))
    details = sum(1 for k in sizes if k.startswith("/v1/slas/"))
    print(f"{count} SLAs, median of {runs} runs in headless Chromium")
    print(f"reference: fetch + parse /v1/slas?limit=1000 JSON  {r:7.0f} ms")
    print(f"console first page usable (navigation to rows)      {u:7.0f} ms   ratio {u / r:5.2f}x   (goal: within 1,000 ms)")
    print(f"console burn and alert columns filled ({details} details) {f:7.0f} ms   ratio {f / r:5.2f}x")
    print(f"page weight: console files {own:,} B ({own_gzip:,} B gzip), /v1/slas JSON {listing:,} B, all API data {data:,} B")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--slas", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, LocalPrometheus() as prom:
        asyncio.run(prepare(prom, example_slas(), Path(tmp)))
        asyncio.run(measure(prom.url, args.slas, args.runs))


if __name__ == "__main__":
    main()
