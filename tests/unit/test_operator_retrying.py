"""What the operator makes of a failed API call (pledge.operator.retrying): the condition reason in the
API server's words, and which failures are worth a Warning Event."""

from __future__ import annotations

import pytest

from pledge.kube import KubeError
from pledge.operator.retrying import FALLBACK_REASON, PERSISTENT, ready_reason, reason_of, retrying, worth_an_event


def error(status: int | None, api_reason: str | None = None, api_message: str | None = None) -> KubeError:
    return KubeError("create PrometheusRule platform/pledge-x", status, "Forbidden",
                     api_reason=api_reason, api_message=api_message)


def test_the_error_text_carries_the_servers_message() -> None:
    exc = error(403, "Forbidden", 'prometheusrules.monitoring.coreos.com is forbidden: User "x" cannot create')
    assert str(exc) == ('create PrometheusRule platform/pledge-x: 403 Forbidden: '
                        'prometheusrules.monitoring.coreos.com is forbidden: User "x" cannot create')
    assert str(error(403)) == "create PrometheusRule platform/pledge-x: 403 Forbidden"
    assert not exc.transient and error(429).transient and error(None).transient


@pytest.mark.parametrize(("api_reason", "reason"), [
    ("Forbidden", "Forbidden"), ("Invalid", "Invalid"), ("TooManyRequests", "TooManyRequests"),
    ("Object Not Found", "ObjectNotFound"),  # a phrase, joined into one word
    (None, FALLBACK_REASON), ("", FALLBACK_REASON), ("no-such reason!", FALLBACK_REASON), ("9Lives", FALLBACK_REASON),
])
def test_the_condition_reason_is_the_servers(api_reason: str | None, reason: str) -> None:
    assert reason_of(error(403, api_reason)) == reason


def test_a_refusal_is_news_once_a_blip_only_when_it_persists() -> None:
    forbidden = error(403, "Forbidden")
    assert worth_an_event(forbidden, 0, None)
    assert worth_an_event(forbidden, 0, "Forbidden")  # a new change's first attempt
    assert not worth_an_event(forbidden, 1, "Forbidden")  # the status shows it already
    assert worth_an_event(forbidden, 3, "ServiceUnavailable")  # a new cause
    assert worth_an_event(forbidden, 1, None)  # the status could not show it
    unavailable = error(503, "ServiceUnavailable")
    assert [worth_an_event(unavailable, n, None) for n in range(5)] == [n + 1 == PERSISTENT for n in range(5)]


def test_ready_reason_and_retrying_text() -> None:
    status = {"conditions": [{"type": "Valid", "reason": "SpecValid"}, {"type": "Ready", "reason": "Forbidden"}]}
    assert ready_reason(status) == "Forbidden"
    assert ready_reason({}) is None and ready_reason(None) is None
    assert retrying("create failed", 2, 20.0) == "create failed (attempt 3; retrying in 20 s)"
