"""The console in a real headless Chromium (Debian's `chromium`, driven by playwright's own protocol
client; playwright's browser downloads are never used), over the API tests' real Prometheus world.

The API runs in a thread with its own event loop for the whole session, so the browser, which the
synchronous playwright API drives from the test's thread, and the server never share a loop.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from queue import Queue

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Playwright, Request, sync_playwright

from pledge.api.server import running_api
from pledge.clock import fixed
from tests.api import world
from tests.api.conftest import World, entries

CHROMIUM_NAMES = ("chromium", "chromium-browser")


def chromium_path() -> str:
    """The system browser; without it the harness fails with the install hint (never a skip)."""
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    raise RuntimeError("no chromium on PATH: `make chromium` (or apt-get install chromium chromium-driver)")


@contextmanager
def api_thread(store_url: str) -> Iterator[str]:
    """The API over the world's SLAs, as of the world's end, served from a thread until the block ends."""
    started: Queue[str | BaseException] = Queue()
    stop: list[asyncio.Event] = []
    loops: list[asyncio.AbstractEventLoop] = []

    async def serve() -> None:
        stop.append(asyncio.Event())
        loops.append(asyncio.get_running_loop())
        async with running_api(world.SLAS.values(), store_url, entries(), clock=fixed(world.AT)) as url:
            started.put(url)
            await stop[0].wait()

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # handed to the test thread, which raises it
            started.put(exc)

    thread = threading.Thread(target=run, name="console-api", daemon=True)
    thread.start()
    url = started.get(timeout=60)
    if isinstance(url, BaseException):
        raise url
    try:
        yield url
    finally:
        loops[0].call_soon_threadsafe(stop[0].set)
        thread.join(30)


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


@dataclass
class Tab:
    """A fresh browser context (its own sessionStorage) and what its page reported."""

    page: Page
    base: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def sign_in(self, token: str, hash_: str = "#/") -> None:
        self.page.goto(f"{self.base}/{hash_}")
        self.page.fill("#token", token)
        self.page.press("#token", "Enter")
        self.page.wait_for_selector("#nav:not([hidden])")

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"console {message.type}: {message.text}")

    def on_page_error(self, error: Error) -> None:
        self.errors.append(f"page error: {error}")

    def on_request(self, request: Request) -> None:
        self.requests.append(request.url)


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
