"""The console's browser and server for tests and screenshots: the system Chromium (Debian's `chromium`,
driven by playwright's own protocol client; playwright's browser downloads are never used), a tab that
records what its page reports, and the API over the world's SLAs served from a thread with its own
event loop, so the synchronously driven browser and the server never share a loop."""

from __future__ import annotations

import shutil
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from playwright.sync_api import ConsoleMessage, Error, Page, Request

from pledge.api.server import running_api
from pledge.clock import fixed
from tests.support import world
from tests.support.served import served_thread
from tests.support.world import entries

CHROMIUM_NAMES = ("chromium", "chromium-browser")


def chromium_path() -> str:
    """The system browser; without it the harness fails with the install hint (never a skip)."""
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    raise RuntimeError("no chromium on PATH: `make chromium` (or apt-get install chromium chromium-driver)")


def api_thread(store_url: str) -> AbstractContextManager[str]:
    """The API over the world's SLAs, as of the world's end, served from a thread until the block ends."""
    return served_thread(lambda: running_api(world.SLAS.values(), store_url, entries(), clock=fixed(world.AT)),
                         "console-api")


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
