"""The console's first page over 1,000 SLAs in headless Chromium (Debian's), against references
measured in the same run, in the same browser, from a page of the same origin:

- usable: from navigation start until the table's first page of rows is on screen (filters work),
  against fetching and parsing the raw /v1/slas JSON;
- filled: until the burn-rate and alert columns of that page are filled in (from GET /v1/details, the
  whole list's details in one request), against fetching and parsing the same /v1/details JSON, and
  against the page's SLAs' details one request each (what the console asked before);
- weight: bytes of the console's own files (HTML, JS, CSS; raw and gzip) and of the API data it loads
  (on the wire, gzipped by the API above pledge.api.app.GZIP_FROM, and decoded).

Measured once the API's background snapshot is there (the steady state: every answer about now
comes from it). Usage: python bench/console_bench.py [--runs 7] [--slas 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import shutil
import statistics

import httpx
from playwright.async_api import Browser, async_playwright

from api_bench import AUTH, TOKEN, TOKENS, many, prepare, until_snapshot  # bench/ is the script's folder
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
FETCH = """async ([token, paths]) => {
  const started = performance.now();
  const auth = {headers: {Authorization: `Bearer ${token}`}};
  await Promise.all(paths.map(async (path) => (await fetch(path, auth)).json()));
  return performance.now() - started;
}"""
SHOWN = "() => [...new Set([...document.querySelectorAll('#sla-rows tr')].map((tr) => tr.dataset.sla))]"


async def console_once(browser: Browser, url: str) -> tuple[float, float, dict[str, list[int]], list[str]]:
    """usable and filled (ms since navigation start), the bytes of every resource (on the wire, decoded),
    the SLAs shown."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    await context.add_init_script(f"sessionStorage.setItem('pledge.token', {TOKEN!r});" + MARKS)
    page = await context.new_page()
    await page.goto(f"{url}/#/")
    await page.wait_for_function("() => window.filledAt", timeout=60_000)
    usable, filled = await page.evaluate("[window.usableAt, window.filledAt]")
    sizes = await page.evaluate("""() => Object.fromEntries(performance.getEntriesByType('resource')
        .concat(performance.getEntriesByType('navigation')).map(e => [new URL(e.name).pathname + new URL(e.name).search, [e.encodedBodySize, e.decodedBodySize]]))""")
    shown = await page.evaluate(SHOWN)
    await context.close()
    return usable, filled, sizes, shown


async def fetched(browser: Browser, url: str, paths: list[str]) -> float:
    """ms to fetch and parse ``paths`` at once from a page of the API's origin."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{url}/healthz")
    elapsed = await page.evaluate(FETCH, [TOKEN, paths])
    await context.close()
    return float(elapsed)


def asset_weight() -> tuple[int, int]:
    files = [p.read_bytes() for p in sorted(ASSETS.iterdir())]
    return sum(map(len, files)), sum(len(gzip.compress(f, 9)) for f in files)


async def measure(prom_url: str, count: int, runs: int) -> None:
    slas = many(example_slas(), count)
    chromium = shutil.which("chromium") or "chromium"
    async with running_api(slas, prom_url, TOKENS) as url, async_playwright() as driver, \
            httpx.AsyncClient(base_url=url, headers=AUTH, timeout=120) as http:
        await until_snapshot(http)
        browser = await driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        *_, shown = await console_once(browser, url)  # warm-up: the first prediction round, the model's training
        singles = [f"/v1/slas/{sla}" for sla in shown]
        found: dict[str, list[float]] = {k: [] for k in ("list", "bulk", "singles", "usable", "filled")}
        for _ in range(runs):  # interleaved, so a noisy neighbour slows them alike
            found["list"].append(await fetched(browser, url, ["/v1/slas?limit=1000"]))
            found["bulk"].append(await fetched(browser, url, ["/v1/details?limit=1000"]))
            found["singles"].append(await fetched(browser, url, singles))
            usable, filled, sizes, _ = await console_once(browser, url)
            found["usable"].append(usable)
            found["filled"].append(filled)
        await browser.close()
    m = {k: statistics.median(v) for k, v in found.items()}
    after = statistics.median(f - u for f, u in zip(found["filled"], found["usable"]))
    own, own_gzip = asset_weight()
    data, listing, bulk = (weight(sizes, prefix) for prefix in ("/v1/", "/v1/slas?", "/v1/details?"))
    asked = sum(1 for k in sizes if k.startswith(("/v1/details?", "/v1/slas/")))
    print(f"{count} SLAs, median of {runs} runs in headless Chromium, from the API's snapshot")
    print(f"reference: fetch + parse /v1/slas?limit=1000 JSON        {m['list']:7.0f} ms")
    print(f"reference: fetch + parse /v1/details?limit=1000 JSON     {m['bulk']:7.0f} ms")
    print(f"reference: fetch + parse {len(singles)} x /v1/slas/{{ns}}/{{name}} at once {m['singles']:7.0f} ms")
    print(f"console first page usable (navigation to rows)            {m['usable']:7.0f} ms   "
          f"ratio {m['usable'] / m['list']:5.2f}x the list JSON   (goal: within 1,000 ms)")
    print(f"console burn and alert columns filled ({asked} detail requests) {m['filled']:7.0f} ms   "
          f"ratio {m['filled'] / m['bulk']:5.2f}x the details JSON; {after:.0f} ms after the rows, "
          f"{after / m['singles']:5.2f}x the {len(singles)} details")
    print(f"page weight: console files {own:,} B ({own_gzip:,} B gzip); on the wire (decoded): /v1/slas JSON "
          f"{listing[0]:,} B ({listing[1]:,} B), /v1/details JSON {bulk[0]:,} B ({bulk[1]:,} B), "
          f"all API data {data[0]:,} B ({data[1]:,} B)")


def weight(sizes: dict[str, list[int]], prefix: str) -> tuple[int, int]:
    """Bytes on the wire and decoded of the resources whose path starts with ``prefix``."""
    chosen = [v for k, v in sizes.items() if k.startswith(prefix)]
    return sum(v[0] for v in chosen), sum(v[1] for v in chosen)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--slas", type=int, default=1_000)
    args = parser.parse_args()
    with LocalPrometheus() as prom:
        asyncio.run(prepare(prom, example_slas()))
        asyncio.run(measure(prom.url, args.slas, args.runs))


if __name__ == "__main__":
    main()
