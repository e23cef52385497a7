"""What happened to one message sent through an MTA with mailwarden attached.

The outcome is read from the outside, the way an administrator would check it: the
SMTP reply (5xx reject, 4xx tempfail), the quarantine store and the MTA's hold queue
(quarantine), and the delivered copy's ``X-Mailwarden-Verdict`` header (tag) or its
absence (accept).
"""

from __future__ import annotations

import enum
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from devstack.errors import WaitTimeout
from devstack.postfix import Postfix
from devstack.sendmail import Sendmail
from devstack.smtp import SmtpResult

_MESSAGE_ID = re.compile(rb"^Message-ID:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*", re.I | re.M)
VERDICT_HEADER = "X-Mailwarden-Verdict"


class Outcome(enum.StrEnum):
    ACCEPT = "accept"
    TAG = "tag"
    QUARANTINE = "quarantine"
    REJECT = "reject"
    TEMPFAIL = "tempfail"
    #: Accepted by the MTA but neither delivered nor quarantined in time.
    MISSING = "missing"


@dataclass(frozen=True)
class Observation:
    outcome: Outcome
    result: SmtpResult
    message_id: str
    verdict_header: str | None = None
    quarantine_item: dict[str, object] | None = None
    held: bool = False


def with_unique_message_id(raw: bytes) -> tuple[bytes, str]:
    """*raw* with a fresh Message-ID, so each send can be found on its own."""
    message_id = f"<{uuid.uuid4().hex}@outcome.mailwarden.test>"
    header = f"Message-ID: {message_id}".encode()
    header_end = min(
        (i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0),
        default=len(raw),
    )
    replaced, count = _MESSAGE_ID.subn(header, raw[:header_end], count=1)
    if count == 0:
        newline = b"\r\n" if b"\r\n" in raw[:header_end] else b"\n"
        return header + newline + raw, message_id
    return replaced + raw[header_end:], message_id


def quarantine_item(quarantine_dir: Path, message_id: str) -> dict[str, object] | None:
    """The metadata of the quarantine item holding *message_id*, if any."""
    for path in quarantine_dir.glob("*/*/*/*.json"):
        item: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
        if item.get("message_id") == message_id:
            return item
    return None


def observe(
    mta: Postfix | Sendmail, raw: bytes, quarantine_dir: Path, timeout: float = 15.0
) -> Observation:
    """Send *raw* through *mta* and classify what became of it."""
    raw, message_id = with_unique_message_id(raw)
    result = mta.send(raw)
    if result.reply.is_permanent:
        return Observation(Outcome.REJECT, result, message_id)
    if not result.accepted:
        return Observation(Outcome.TEMPFAIL, result, message_id)

    item = quarantine_item(quarantine_dir, message_id)
    if item is not None:
        held_ids = {queued.queue_id for queued in mta.held()}
        held = result.queue_id in held_ids if result.queue_id else bool(held_ids)
        return Observation(Outcome.QUARANTINE, result, message_id, None, item, held)

    try:
        delivered = mta.maildir.wait_for_message(message_id, timeout)
    except WaitTimeout:
        return Observation(Outcome.MISSING, result, message_id)
    verdict = delivered.header(VERDICT_HEADER)
    outcome = Outcome.TAG if verdict else Outcome.ACCEPT
    return Observation(outcome, result, message_id, verdict)
