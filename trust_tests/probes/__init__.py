"""Probe builders and metrics. Pure code: no imports from fixtures/."""
