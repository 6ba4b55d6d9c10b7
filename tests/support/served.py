"""An API served from a thread with its own event loop until the block ends: the console tests' browser
is driven synchronously from the test's thread, so the server may not share its loop.
tests.support.browser.api_thread serves the world's SLAs this way; ``app_thread`` any app (an API over a
git repository of SLA files, a plain folder)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager, contextmanager
from queue import Queue

from fastapi import FastAPI

from pledge.api.server import serving


def app_thread(make_app: Callable[[], FastAPI], name: str = "served-api") -> AbstractContextManager[str]:
    """``make_app()`` (built in the thread, on its loop) served on a free loopback port; yields its URL."""
    return served_thread(lambda: serving(make_app()), name)


@contextmanager
def served_thread(open_api: Callable[[], AbstractAsyncContextManager[str]], name: str) -> Iterator[str]:
    """``open_api()`` (entered in the thread, on its loop: it yields the API's URL) until the block ends."""
    started: Queue[str | BaseException] = Queue()
    stop: list[asyncio.Event] = []
    loops: list[asyncio.AbstractEventLoop] = []

    async def serve() -> None:
        stop.append(asyncio.Event())
        loops.append(asyncio.get_running_loop())
        async with open_api() as url:
            started.put(url)
            await stop[0].wait()

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # noqa: BLE001 (handed to the test thread, which raises it)
            started.put(exc)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    url = started.get(timeout=60)
    if isinstance(url, BaseException):
        raise url
    try:
        yield url
    finally:
        loops[0].call_soon_threadsafe(stop[0].set)
        thread.join(30)
