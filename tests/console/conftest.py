"""The console in a real headless Chromium (Debian's `chromium`, driven by playwright's own protocol
client; playwright's browser downloads are never used), over the API tests' real Prometheus world.

The API runs in a thread with its own event loop for the whole session, so the browser, which the
synchronous playwright API drives from the test's thread, and the server never share a loop.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.support.browser import Tab, api_thread, chromium_path
from tests.support.world import World


@pytest.fixture(scope="session")
def console_url(loaded: World) -> Iterator[str]:
    with api_thread(loaded.prom.url) as url:
        yield url


@pytest.fixture(scope="module")
def playwright(console_url: str) -> Iterator[Playwright]:
    """Started after the world and stopped with the module: while it runs, its event loop is this
    thread's, and asyncio.run (the other worlds, async tests) refuses to start beside it."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
    yield chromium
    chromium.close()


@pytest.fixture
def tab(browser: Browser, console_url: str) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script("window.PLEDGE_REFRESH_SECONDS = 2")
    page = context.new_page()
    opened = Tab(page, console_url)
    page.on("console", opened.on_console)
    page.on("pageerror", opened.on_page_error)
    page.on("request", opened.on_request)
    yield opened
    context.close()
