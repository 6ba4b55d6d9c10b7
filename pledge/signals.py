"""SIGTERM and SIGHUP stop a long-running command the way Ctrl-C does, so it leaves nothing behind.

Python's default for SIGTERM and SIGHUP ends the process on the spot: no ``finally``, no ``with`` exit,
no atexit, so a child server keeps listening and temporary directories stay. Within
``stopping_like_ctrl_c()`` both take SIGINT's path instead, whoever handles SIGINT at that moment:
``asyncio.run`` cancels its main task (and raises KeyboardInterrupt at a second signal), uvicorn and
kopf begin their graceful stop, plain code gets KeyboardInterrupt. A second signal during the
shutdown therefore hurries it the way a second Ctrl-C does. Once the block is left, the process
ends by the signal it was sent (its parent sees "terminated by SIGTERM", as uvicorn does).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOPPING = (signal.SIGTERM, signal.SIGHUP)


@contextmanager
def stopping_like_ctrl_c() -> Iterator[None]:
    """SIGTERM and SIGHUP act as Ctrl-C inside the block; the previous handlers are back after it,
    and a stopping signal received meanwhile is raised again with them (by default: the process
    ends by that signal, its clean-up done). Outside the main thread it changes nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def as_ctrl_c(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        interrupt = signal.getsignal(signal.SIGINT)
        if callable(interrupt):  # Python's, asyncio's, uvicorn's or kopf's: the signal goes to it
            signal.raise_signal(signal.SIGINT)
        else:  # SIGINT ignored (a background job, nohup) or default: stopping must still work
            raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, as_ctrl_c) for sig in STOPPING}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        signal.raise_signal(received[0])
