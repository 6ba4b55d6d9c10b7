"""Alertmanager routing for pledge's alerts (pure): a configuration fragment built from SLAs."""
