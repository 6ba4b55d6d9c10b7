"""Research benches that are not installed: fitting and choosing pledge's forecaster (run from the repository root)."""
