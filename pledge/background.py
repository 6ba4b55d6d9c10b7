"""Background rounds (the API's figures snapshot, breach predictions for the API and the operator): one
loop for all, so a failed round is logged the same way and never ends the loop."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from pledge.prom import PrometheusError

log = logging.getLogger(__name__)


async def once(refresh: Callable[[], Awaitable[None]], what: str) -> None:
    """One round; a failure is logged, never raised, and leaves the previous answers in place (each
    owner decides how long they may be served)."""
    try:
        await refresh()
    except PrometheusError as exc:
        _stop_if_cancelled(exc)
        log.warning("%s not refreshed, Prometheus failed: %s", what, exc)
    except Exception as exc:  # a round runs in the background: nobody else would see it fail
        _stop_if_cancelled(exc)
        log.exception("%s not refreshed", what)


def _stop_if_cancelled(exc: Exception) -> None:
    """A cancel that came while a connection attempt failed can surface as that failure (anyio's
    connect_tcp raises the attempts' error, not CancelledError): the round must still end its loop,
    or the app's shutdown, which cancels it and waits, never ends."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from exc


async def refresh_forever(refresh: Callable[[], Awaitable[None]], interval: float, what: str) -> None:
    """Run ``refresh`` every ``interval`` seconds, counted from the start of each round; a failed round
    never ends the loop."""
    while True:
        started = time.monotonic()
        await once(refresh, what)
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))
