"""Adopting the auditor in a team's workflow: the gate (thresholds, required items, waivers),
the baseline file that fails only on regressions, and checking a hand-kept status document."""
