"""Review packs (issue 28): the pack's data (pure), its renderings, and its PDF."""
