"""Sending a test message over SMTP and recording where the transaction ended.

Tests want the MTA's answer, not an exception: :func:`send_message` walks
EHLO, MAIL, RCPT and DATA and returns an :class:`SmtpResult` telling at which
stage the MTA stopped it and with what reply (``451 4.7.1`` at MAIL when the
milter is gone, ``550 5.7.1`` after DATA when it rejects, ``250`` when accepted).
"""

from __future__ import annotations

import enum
import re
import smtplib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.policy import SMTP

from devstack.config import TEST_DOMAIN
from devstack.errors import StackError

DEFAULT_SENDER = "sender@client.mailwarden.test"
DEFAULT_RECIPIENT = f"someone@{TEST_DOMAIN}"
DEFAULT_HELO = "client.mailwarden.test"

_BARE_LF = re.compile(rb"(?<!\r)\n")
_QUEUE_ID = (
    re.compile(r"queued as ([0-9A-Za-z]+)"),  # Postfix: 250 2.0.0 Ok: queued as ID
    re.compile(r"^([0-9A-Za-z]+) Message accepted"),  # Sendmail
)


class SmtpStage(enum.Enum):
    """The SMTP step at which a transaction ended."""

    CONNECT = "connect"
    HELO = "helo"
    MAIL = "mail"
    RCPT = "rcpt"
    DATA = "data"
    #: The message was accepted (250 after the end of data).
    DONE = "done"


@dataclass(frozen=True)
class SmtpReply:
    """One SMTP reply: code and text (multi-line text joined with newlines)."""

    code: int
    text: str

    @property
    def is_transient(self) -> bool:
        """A 4xx reply: the client should try again later."""
        return 400 <= self.code < 500

    @property
    def is_permanent(self) -> bool:
        """A 5xx reply: the message is refused for good."""
        return 500 <= self.code < 600

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


@dataclass(frozen=True)
class SmtpResult:
    """How an SMTP transaction ended."""

    #: The step that ended it; ``SmtpStage.DONE`` when the message was accepted.
    stage: SmtpStage
    #: The reply that ended it (the final reply to DATA when accepted).
    reply: SmtpReply
    #: One reply per RCPT TO sent, in order.
    rcpt_replies: tuple[SmtpReply, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.stage is SmtpStage.DONE

    @property
    def queue_id(self) -> str | None:
        """The MTA's queue id from the final reply, when it names one."""
        for pattern in _QUEUE_ID:
            match = pattern.search(self.reply.text)
            if match:
                return match.group(1)
        return None

    def __str__(self) -> str:
        return f"{self.stage.value}: {self.reply}"


def make_message(
    subject: str = "devstack test message",
    body: str = "Hello from the mailwarden test stack.\n",
    sender: str = DEFAULT_SENDER,
    recipient: str = DEFAULT_RECIPIENT,
) -> EmailMessage:
    """A small plain-text message with a unique Message-ID to find it again."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@client.mailwarden.test>"
    message.set_content(body)
    return message


def send_message(
    port: int,
    message: bytes | str | Message,
    mail_from: str = DEFAULT_SENDER,
    rcpt_tos: Sequence[str] = (DEFAULT_RECIPIENT,),
    host: str = "127.0.0.1",
    helo: str = DEFAULT_HELO,
    timeout: float = 120.0,
) -> SmtpResult:
    """Offer *message* to the MTA on *host*:*port*; say how the transaction ended.

    A refused connection (the MTA is not running) raises :class:`StackError`:
    that is a broken stack, not an SMTP answer.
    """
    data = _as_bytes(message)
    try:
        client = smtplib.SMTP(host, port, local_hostname=helo, timeout=timeout)
    except smtplib.SMTPConnectError as exc:
        return SmtpResult(SmtpStage.CONNECT, _reply(exc.smtp_code, exc.smtp_error))
    except OSError as exc:
        raise StackError(f"cannot connect to {host}:{port}: {exc}") from exc

    with client:
        try:
            return _transaction(client, data, mail_from, rcpt_tos)
        except smtplib.SMTPServerDisconnected as exc:
            raise StackError(f"{host}:{port} closed the connection: {exc}") from exc


def _transaction(
    client: smtplib.SMTP, data: bytes, mail_from: str, rcpt_tos: Sequence[str]
) -> SmtpResult:
    code, text = client.ehlo()
    if code != 250:
        return SmtpResult(SmtpStage.HELO, _reply(code, text))

    code, text = client.mail(mail_from)
    if code != 250:
        return SmtpResult(SmtpStage.MAIL, _reply(code, text))

    rcpt_replies = tuple(_reply(*client.rcpt(rcpt)) for rcpt in rcpt_tos)
    if not any(reply.code in (250, 251) for reply in rcpt_replies):
        return SmtpResult(SmtpStage.RCPT, rcpt_replies[-1], rcpt_replies)

    # smtplib raises for a refused DATA command but returns the final reply to
    # the message itself, whatever its code.
    try:
        code, text = client.data(data)
    except smtplib.SMTPDataError as exc:
        return SmtpResult(
            SmtpStage.DATA, _reply(exc.smtp_code, exc.smtp_error), rcpt_replies
        )
    stage = SmtpStage.DONE if code == 250 else SmtpStage.DATA
    return SmtpResult(stage, _reply(code, text), rcpt_replies)


def _reply(code: int, text: bytes | str) -> SmtpReply:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return SmtpReply(code, text)


def _as_bytes(message: bytes | str | Message) -> bytes:
    """The message as SMTP wants it on the wire: every line ending CRLF.

    Sample files often end lines with a bare LF.  Postfix copes, but Sendmail
    (since its SMTP smuggling fix) answers "421 Bare linefeed (LF) not allowed",
    and smtplib leaves bytes as they are, so fix them here as any real client does.
    """
    if isinstance(message, Message):
        return message.as_bytes(policy=SMTP)
    if isinstance(message, str):
        message = message.encode("utf-8")
    return _BARE_LF.sub(b"\r\n", message)
