"""pledge's HTTP API: SLA status, budgets, burn rates, reports and credits, read from Prometheus."""
