"""What an MTA still holds: messages in its queue, held or quarantined ones."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QueuedMessage:
    """One message in an MTA's queue.

    ``queue_name`` is Postfix's queue (``hold``, ``deferred``, ``active``,
    ``incoming``, ``maildrop``); for Sendmail it is ``quarantine`` for a message a
    milter quarantined and ``queue`` otherwise.
    """

    queue_id: str
    queue_name: str
    sender: str
    recipients: tuple[str, ...]
    #: Sendmail keeps the milter's quarantine reason; Postfix ignores it (None).
    reason: str | None = None

    @property
    def held(self) -> bool:
        """True when the MTA holds the message back (quarantine / hold queue)."""
        return self.queue_name in ("hold", "quarantine")
