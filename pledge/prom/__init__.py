"""The only Prometheus I/O in pledge: the async HTTP API client and its typed errors.

Starting servers and writing history for tests, the demo and benchmarks is pledge.testing's job.
"""

from pledge.prom.client import Alert, PrometheusClient, RangeSeries, Sample, series_text
from pledge.prom.errors import (
    MissingComponent,
    PrometheusBadResponse,
    PrometheusBadValue,
    PrometheusError,
    PrometheusQueryError,
    PrometheusUnavailable,
    PromtoolError,
)

__all__ = [
    "Alert",
    "MissingComponent",
    "PrometheusBadResponse",
    "PrometheusBadValue",
    "PrometheusClient",
    "PrometheusError",
    "PrometheusQueryError",
    "PrometheusUnavailable",
    "PromtoolError",
    "RangeSeries",
    "Sample",
    "series_text",
]
