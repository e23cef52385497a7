"""Reading what the MTAs delivered into their Maildirs.

Postfix's virtual agent and Sendmail's ``maildir`` mailer both write one file per
message under ``new/``.  Tests find their message by its Message-ID, which both
MTAs keep, with :meth:`Maildir.wait_for_message`.  Looking up a header reads the
header block only: a delivered hostile mail may nest deeper than the email package
can parse without a RecursionError, and every poll reads every message again.
"""

from __future__ import annotations

import email
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import default
from functools import cached_property
from pathlib import Path

from devstack.errors import WaitTimeout

POLL_INTERVAL = 0.02


@dataclass(frozen=True)
class DeliveredMessage:
    """One message file in a Maildir."""

    path: Path
    raw: bytes

    def parsed(self) -> EmailMessage:
        """The whole message parsed with the modern email policy (MIME tree and
        all; :meth:`header` and :meth:`headers` need only the header block)."""
        return email.message_from_bytes(self.raw, policy=default)

    @cached_property
    def _head(self) -> EmailMessage:
        """The top-level header block; the body is left unparsed."""
        parsed: EmailMessage = BytesHeaderParser(policy=default).parsebytes(self.raw)
        return parsed

    def header(self, name: str) -> str | None:
        """The first *name* header, or None."""
        value = self._head[name]
        return None if value is None else str(value)

    def headers(self, name: str) -> list[str]:
        """Every *name* header, in order."""
        return [str(value) for value in self._head.get_all(name, [])]

    @property
    def message_id(self) -> str | None:
        return self.header("Message-ID")


class Maildir:
    """A Maildir the stack delivers to; tests read and empty it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def messages(self) -> list[DeliveredMessage]:
        """Delivered messages, oldest first (files in new/ and cur/)."""
        files: list[Path] = []
        for sub in ("new", "cur"):
            folder = self.path / sub
            if folder.is_dir():
                files.extend(item for item in folder.iterdir() if item.is_file())
        files.sort(key=lambda item: (item.stat().st_mtime, item.name))
        return [DeliveredMessage(item, item.read_bytes()) for item in files]

    def find(self, message_id: str) -> DeliveredMessage | None:
        """The delivered message with Message-ID *message_id*, if there is one."""
        for message in self.messages():
            if message.message_id == message_id:
                return message
        return None

    def wait_for(
        self,
        match: Callable[[DeliveredMessage], bool],
        timeout: float = 10.0,
        what: str = "a matching message",
    ) -> DeliveredMessage:
        """Poll until a delivered message satisfies *match*; raise on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.messages():
                if match(message):
                    return message
            if time.monotonic() >= deadline:
                count = len(self.messages())
                raise WaitTimeout(
                    f"no delivery of {what} to {self.path} after {timeout:g} s "
                    f"({count} other message(s) there)"
                )
            time.sleep(POLL_INTERVAL)

    def wait_for_message(
        self, message_id: str, timeout: float = 10.0
    ) -> DeliveredMessage:
        """Wait until the message with Message-ID *message_id* is delivered."""
        return self.wait_for(
            lambda message: message.message_id == message_id,
            timeout,
            f"Message-ID {message_id}",
        )

    def clear(self) -> None:
        """Delete every message (new/, cur/ and unfinished ones in tmp/)."""
        for sub in ("new", "cur", "tmp"):
            folder = self.path / sub
            if folder.is_dir():
                for item in folder.iterdir():
                    if item.is_file():
                        item.unlink(missing_ok=True)
