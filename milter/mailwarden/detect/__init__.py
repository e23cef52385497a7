"""Detectors: each looks at every part and reports Findings, never an action."""
