"""Pure: what the operator makes of a failed Kubernetes API call while reconciling an SLA.

Every API failure is retried with backoff (``OperatorConfig.backoff``: 5 s doubling, at most 5 min by
default), whatever its code: a 403 (a missing RBAC rule), a 422 (a status the CRD refuses), a 404 (a CRD
not installed yet) is fixed outside the SLA, by an admin, and the SLA must become Ready then without
anyone touching it. Only the SLA's own invalidity is final (kopf.PermanentError, in the handlers).

The status says what failed at once, in the API server's words: the condition's reason is the
server's (``Forbidden``, ``Invalid``, ``TooManyRequests``, ...), its message the server's message.
A Warning Event is posted when the failure is worth a human's look, not for every blip.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from pledge.kube import KubeError

FALLBACK_REASON: Final = "ApiError"  # no Status from the server (no answer, a proxy's page) or an odd reason
PERSISTENT: Final = 3  # consecutive transient failures that make a Warning Event
_REASON: Final = re.compile(r"[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?")  # metav1.Condition's reason
_REASON_LENGTH: Final = 1024


def reason_of(exc: KubeError) -> str:
    """The condition (and Event) reason for ``exc``: the API server's reason, in one CamelCase word."""
    word = "".join((exc.api_reason or "").split())
    return word if len(word) <= _REASON_LENGTH and _REASON.fullmatch(word) else FALLBACK_REASON


def ready_reason(status: Mapping[str, Any] | None) -> str | None:
    """The reason of the Ready condition the status shows now, if any."""
    for cond in (status or {}).get("conditions") or []:
        if isinstance(cond, Mapping) and cond.get("type") == "Ready":
            return str(cond.get("reason") or "") or None
    return None


def worth_an_event(exc: KubeError, retry: int, shown: str | None) -> bool:
    """Whether attempt number ``retry`` (0-based) failing with ``exc`` gets a Warning Event; ``shown`` is
    the Ready reason the status held before this attempt.

    A refusal (403, 422, any other answer that retrying soon does not cure) gets one when it is news:
    on the first attempt, or when the status does not already show this reason (so a status that
    cannot be written still gets its Events). A transient failure (5xx, 429, 409, no answer) gets one
    only once it has failed ``PERSISTENT`` times in a row: a blip is retried quietly.
    """
    if exc.transient:
        return retry + 1 == PERSISTENT
    return retry == 0 or shown != reason_of(exc)


def retrying(message: str, retry: int, delay: float) -> str:
    """``message`` with when the next attempt comes, for a condition and the handler's error."""
    return f"{message} (attempt {retry + 1}; retrying in {delay:g} s)"
