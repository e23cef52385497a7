"""The exceptions devstack raises; everything derives from :class:`StackError`.

A daemon that does not come up raises :class:`DaemonStartError` carrying the tail
of its log, so a failing test run shows why without anyone opening a file.
"""

from __future__ import annotations


class StackError(Exception):
    """The test stack cannot do what was asked (setup, start, stop, a helper)."""


class DaemonStartError(StackError):
    """A daemon exited or did not become ready in time."""

    def __init__(self, daemon: str, reason: str, log_tail: str) -> None:
        self.daemon = daemon
        self.reason = reason
        self.log_tail = log_tail
        super().__init__(
            f"{daemon} did not start: {reason}\n"
            f"--- last lines of the {daemon} log ---\n{log_tail}"
        )


class WaitTimeout(StackError):
    """Something a test waits for (a delivery, an empty queue) did not happen."""
