"""The forecaster's research bench: synthetic scenarios, the NAB conversion, calibration building and the
scoring report. `pledge.forecasting` ships only their output (calibration.json)."""
