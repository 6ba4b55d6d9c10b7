"""What tests, the demo and benchmarks share, as kopf has kopf.testing: synthetic worlds, a local
Prometheus started on a free port, and history written with promtool (raw series, recorded series
level by level, replayed alerts). Nothing in the product's request path imports it.
"""

from pledge.testing.backfill import Series, backfill_openmetrics, backfill_rules, write_openmetrics
from pledge.testing.local import LocalPrometheus
from pledge.tsdb.promtool import check_rules, find_binary, promtool

__all__ = [
    "LocalPrometheus",
    "Series",
    "backfill_openmetrics",
    "backfill_rules",
    "check_rules",
    "find_binary",
    "promtool",
    "write_openmetrics",
]
