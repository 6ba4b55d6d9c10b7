"""Forecasting SLA breaches: window math on counts, baselines, the pledge model, backtests.

Pure except io.py, fetch.py, plot.py and cli.py, which are the edges (files, Prometheus, images).
"""
