"""Writing history into a Prometheus TSDB with promtool: blocks, the rule passes that record tiles
level by level, and the phase Prometheus evaluates a group at. Product code (`pledge backfill`) and
the test harness (pledge.testing) both write with it."""
