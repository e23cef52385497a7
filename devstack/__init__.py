"""devstack: a private, throw-away mail stack for mailwarden's tests and demos.

Everything runs on loopback under one state directory (default
``/tmp/mailwarden-stack``): clamd on a unix socket and 127.0.0.1:13310, the
mailwarden milter on ``<statedir>/run/milter.sock``, Postfix on 127.0.0.1:10025
and Sendmail on 127.0.0.1:10026, both delivering mail for ``example.test`` into
Maildirs and discarding everything else.  Started as root; each daemon drops
privileges where it can.

    from devstack import Stack, make_message

    with Stack() as stack:
        message = make_message(subject="hello")
        result = stack.postfix.send(message)
        assert result.accepted
        stack.postfix.maildir.wait_for_message(message["Message-ID"])

From a shell: ``python -m devstack up|down|status [--statedir DIR]``.
Standard library only: tests, the demo script and the benchmarks import it.
"""

from devstack.clamd import Clamd
from devstack.config import StackConfig
from devstack.errors import DaemonStartError, StackError, WaitTimeout
from devstack.maildir import DeliveredMessage, Maildir
from devstack.milterd import MilterDaemon
from devstack.postfix import Postfix
from devstack.queue import QueuedMessage
from devstack.sendmail import Sendmail
from devstack.smtp import SmtpReply, SmtpResult, SmtpStage, make_message, send_message
from devstack.stack import DaemonStatus, Stack

__all__ = [
    "Clamd",
    "DaemonStartError",
    "DaemonStatus",
    "DeliveredMessage",
    "Maildir",
    "MilterDaemon",
    "Postfix",
    "QueuedMessage",
    "Sendmail",
    "SmtpReply",
    "SmtpResult",
    "SmtpStage",
    "Stack",
    "StackConfig",
    "StackError",
    "WaitTimeout",
    "make_message",
    "send_message",
]
