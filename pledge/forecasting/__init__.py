"""Forecasting SLA breaches: window math on counts, baselines, the pledge model, backtests.

Pure except the edges: io.py, fetch.py, plot.py and cli.py (files, Prometheus, images), nab.py (NAB
files), calibrate.py (builds calibration.json) and analogs.calibration() (reads it).
"""
