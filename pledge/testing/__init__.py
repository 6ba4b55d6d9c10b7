"""What tests, the demo and benchmarks share, as kopf has kopf.testing: synthetic worlds, a local
Prometheus started on a free port, and history written with promtool (raw series, recorded series
level by level, replayed alerts). No product code imports it (an import contract says so); the demo does.
"""

from pledge.testing.backfill import Series, backfill_openmetrics, backfill_rules, write_openmetrics
from pledge.testing.local import LocalPrometheus, check_rules

__all__ = [
    "LocalPrometheus",
    "Series",
    "backfill_openmetrics",
    "backfill_rules",
    "check_rules",
    "write_openmetrics",
]
