"""Pure SLO math: windows and burn rates, budgets, exclusions, credits, periods."""
