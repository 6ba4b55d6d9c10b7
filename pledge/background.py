"""Background rounds (the API's figures snapshot, breach predictions for the API and the operator): one
loop for all, so a failed round is logged the same way and never ends the loop."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from pledge.prom import PrometheusError

log = logging.getLogger(__name__)


async def refresh_forever(refresh: Callable[[], Awaitable[None]], interval: float, what: str) -> None:
    """Run ``refresh`` every ``interval`` seconds, counted from the start of each round; a failed
    round leaves the previous answers in place (each owner decides how long they may be served)."""
    while True:
        started = time.monotonic()
        try:
            await refresh()
        except PrometheusError as exc:
            log.warning("%s not refreshed, Prometheus failed: %s", what, exc)
        except Exception:  # the loop must outlive any one bad round
            log.exception("%s not refreshed", what)
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))
