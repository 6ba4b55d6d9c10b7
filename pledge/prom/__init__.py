"""The only Prometheus I/O in pledge: HTTP API client, local servers, promtool and backfill."""

from pledge.prom.backfill import (
    Series,
    backfill_openmetrics,
    backfill_rules,
    write_openmetrics,
)
from pledge.prom.client import Alert, PrometheusClient, RangeSeries, Sample
from pledge.prom.errors import (
    MissingComponent,
    PrometheusBadResponse,
    PrometheusError,
    PrometheusQueryError,
    PrometheusUnavailable,
    PromtoolError,
)
from pledge.prom.local import LocalPrometheus, check_rules, find_binary, promtool

__all__ = [
    "Alert",
    "LocalPrometheus",
    "MissingComponent",
    "PrometheusBadResponse",
    "PrometheusClient",
    "PrometheusError",
    "PrometheusQueryError",
    "PrometheusUnavailable",
    "PromtoolError",
    "RangeSeries",
    "Sample",
    "Series",
    "backfill_openmetrics",
    "backfill_rules",
    "check_rules",
    "find_binary",
    "promtool",
    "write_openmetrics",
]
