"""The one source of "now". Everything that describes a moment takes a Clock from its caller.

The API, the operator's status timers, the demo and the forecaster ask their Clock, never the
system, so tests and replays can set the moment (``fixed``) the way kopf's and prometheus_client's
tests pin time. Elapsed-time measurements (timeouts, progress) use ``time.monotonic`` and are not
"now": they are not a Clock's business.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import overload

Clock = Callable[[], float]
"""Unix seconds of "now"."""


def system() -> float:
    """The wall clock: the default of every entry point (`pledge serve`, `pledge operator`)."""
    return time.time()


def fixed(at: float) -> Clock:
    """A clock stopped at ``at``: a replay, a test world, `pledge demo --at`."""
    return lambda: at


def parse_moment(text: str) -> float:
    """RFC 3339 with an offset (``2026-03-29T01:30:00+01:00``, ``...Z``) or unix seconds."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is neither RFC 3339 (2026-03-29T01:30:00+01:00) nor unix seconds") from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset: add Z or +HH:MM so the moment is unambiguous")
    return moment.timestamp()


def rfc3339(unix: float) -> str:
    """``2026-03-29T00:30:00Z``: how moments are shown and passed on (whole seconds)."""
    return dt.datetime.fromtimestamp(int(unix), dt.UTC).isoformat().replace("+00:00", "Z")


@overload
def utc(unix: float) -> dt.datetime: ...
@overload
def utc(unix: None) -> None: ...
@overload
def utc(unix: float | None) -> dt.datetime | None: ...
def utc(unix: float | None) -> dt.datetime | None:
    """A moment as an aware UTC datetime, how the API and the operator's status write it (None stays
    None: a moment not known)."""
    return None if unix is None else dt.datetime.fromtimestamp(unix, dt.UTC)
