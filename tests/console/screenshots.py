"""Regenerate the console's screenshots (docs/screenshots/*.png) over the API tests' world, in the
system Chromium: `make screenshots`, or `python -m tests.console.screenshots docs/screenshots`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from tests.support import world
from tests.support.world import prometheus_world, say
from tests.support.browser import api_thread, chromium_path

PERIOD = world.iso(world.PREVIOUS_MONTH[0] + 86_400)[:7]
SHOTS = {  # file: (token, view, what to wait for)
    "signin.png": (None, "#/", "#token"),
    "list.png": ("sre-token", "#/", "#sla-rows[data-filled]"),
    "detail.png": ("sre-token", "#/sla/api/bursty", "svg.chart path.line"),
    "customer.png": ("initech-token", "#/customer", "#reports table tbody tr"),
    "report.png": ("initech-token", f"#/report/initech/{PERIOD}", "#report-owed"),
}


@contextmanager
def world_store() -> Iterator[str]:
    """The API tests' world in a throwaway Prometheus, as the ``loaded`` fixture builds it."""
    with contextmanager(prometheus_world)() as built:
        yield built.prom.url


def shoot(page: Page, base: str, token: str | None, view: str, ready: str, path: Path) -> None:
    page.goto(f"{base}/{view}")
    if token is not None:
        page.fill("#token", token)
        page.press("#token", "Enter")
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(path), full_page=path.name != "detail.png")


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with world_store() as store, api_thread(store) as base, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        for name, (token, view, ready) in SHOTS.items():
            context = browser.new_context(viewport={"width": 1280, "height": 860}, device_scale_factor=1)
            shoot(context.new_page(), base, token, view, ready, folder / name)
            context.close()
            say(f"wrote {folder / name}")
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
