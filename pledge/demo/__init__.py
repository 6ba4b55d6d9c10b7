"""`pledge demo`: the example SLAs on a local Prometheus with 30 days of synthetic history."""
