"""A private Sendmail beside Postfix, built from contrib/sendmail/mailwarden.mc.

Sendmail's .debs are unpacked (never installed: apt would remove Postfix) into
``/opt/mailwarden-sendmail`` by scripts/install.sh.  devstack fills in the .mc,
runs m4 to get ``<statedir>/sendmail/sendmail.cf`` and starts
``sendmail -C sendmail.cf -bD`` (daemon in the foreground) on 127.0.0.1:10026;
nothing under /etc/mail is read or written.

Two things it needs that are not in the .cf:

* a fully qualified host name, or it sleeps 60 s at start before giving up on
  qualifying it.  It runs in a private UTS namespace (``unshare --uts``) whose
  host name is ``mx-sendmail.mailwarden.test``; the system's stays as it is.
* a way to deliver.  Mail for example.test goes to a small ``maildir`` mailer,
  the shell script ``<statedir>/sendmail/deliver-maildir`` run as nobody, which
  stores each message in ``<statedir>/mail/sendmail/new/``.  That keeps Sendmail
  independent of Postfix (no relaying, no second milter pass), and the delivery
  is done before Sendmail answers the final dot (DeliveryMode=interactive).

There is no syslog, so Sendmail's own log lines are lost; ``sendmail.log`` holds
what it prints at start, and ``sendmail/traffic.log`` (``-X``) every SMTP
exchange, the best record of what the milter answered.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from email.message import Message
from pathlib import Path

from devstack.config import TEST_DOMAIN, StackConfig
from devstack.errors import DaemonStartError, StackError
from devstack.files import group_id, make_dir, render_template, user_ids, write_file
from devstack.maildir import Maildir
from devstack.process import (
    Spawned,
    ensure_port_free,
    log_tail,
    run,
    tcp_port_accepts,
)
from devstack.queue import QueuedMessage
from devstack.smtp import DEFAULT_RECIPIENT, DEFAULT_SENDER, SmtpResult, send_message

HOSTNAME = "mx-sendmail.mailwarden.test"
START_TIMEOUT = 20.0
#: How Sendmail marks a macro still to be expanded inside its queue files.
MACRO_BYTE = b"\x81"

_DELIVER_SCRIPT = """\
#!/bin/sh
# Sendmail's "maildir" mailer for the mailwarden test stack: store the message
# on standard input as one file in {maildir}/new/.
set -eu
name="$(date +%s.%N).$$.sendmail"
cat > "{maildir}/tmp/$name"
mv "{maildir}/tmp/$name" "{maildir}/new/$name"
"""


class Sendmail:
    """The Sendmail instance: life cycle, sending, its queue and its Maildir."""

    name = "sendmail"

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.port = config.sendmail_port
        self.dir = config.sendmail_dir
        self.cf = self.dir / "sendmail.cf"
        self.queue_dir = self.dir / "mqueue"
        self.traffic_log = self.dir / "traffic.log"
        self.log_path = config.log_path("sendmail")
        self.maildir = Maildir(config.sendmail_maildir)
        self._process = Spawned(
            "sendmail", config.pid_dir / "sendmail.pid", self.log_path
        )

    @property
    def binary(self) -> Path:
        return self.config.sendmail_root / "usr" / "libexec" / "sendmail" / "sendmail"

    @property
    def m4_library(self) -> Path:
        return self.config.sendmail_root / "usr" / "share" / "sendmail" / "cf"

    # --- life cycle ------------------------------------------------------------

    def prepare(self) -> None:
        """Write the instance's files, build sendmail.cf with m4, make the Maildir."""
        if not self.binary.is_file():
            raise StackError(
                f"{self.binary} is missing: run scripts/install.sh "
                "(it unpacks Sendmail into /opt/mailwarden-sendmail)"
            )
        make_dir(self.dir, 0o755)
        make_dir(self.queue_dir, 0o700)
        maildir = self.config.sendmail_maildir
        deliver = self.dir / "deliver-maildir"
        write_file(deliver, _DELIVER_SCRIPT.format(maildir=maildir), 0o755)
        write_file(self.dir / "hosts", f"127.0.0.1\tlocalhost {HOSTNAME}\n")
        write_file(self.dir / "service.switch", "hosts\tfiles\naliases\tfiles\n")
        make_dir(self.config.mail_dir, 0o755)
        for sub in ("", "tmp", "new", "cur"):
            make_dir(
                maildir / sub, 0o700, self.config.mail_user, self.config.mail_group
            )

        # Numeric ids: given "nobody:nogroup", Sendmail 8.17 sometimes loses the
        # mailer definitions that follow (seen with some state directory paths).
        uid = user_ids(self.config.mail_user)[0]
        gid = group_id(self.config.mail_group)
        values = {
            "CF_DIR": str(self.m4_library),
            "CONF_DIR": f"{self.dir}/",
            "SMTP_PORT": str(self.port),
            "MILTER": self.config.milter_spec,
            "MAILDIR_PROG": str(deliver),
            "MAIL_USER": f"{uid}:{gid}",
        }
        template = self.config.contrib_dir / "sendmail" / "mailwarden.mc"
        mc = self.dir / "sendmail.mc"
        write_file(mc, render_template(template, values))
        write_file(self.cf, run(["m4", str(mc)], "m4 sendmail.mc"))

    def _in_namespace(self, *args: str) -> list[str]:
        """argv running Sendmail with *args* under the dotted host name."""
        unshare = shutil.which("unshare") or "/usr/bin/unshare"
        return [
            unshare, "--uts", "--",
            "/bin/sh", "-c", 'hostname "$0" && exec "$@"', HOSTNAME,
            str(self.binary), "-C", str(self.cf), *args,
        ]  # fmt: skip

    def verify_routing(self) -> None:
        """Check with ``sendmail -bv`` that sendmail.cf routes as intended.

        Mail for example.test must resolve to the maildir mailer and other mail
        to the blackhole one; a broken .cf fails here, not in the first test.
        """
        expected = {
            f"someone@{TEST_DOMAIN}": "mailer maildir",
            "someone@elsewhere.test": "mailer blackhole",
        }
        output = run(self._in_namespace("-bv", *expected), "sendmail -bv")
        for address, mailer in expected.items():
            if not any(
                address in line and mailer in line for line in output.splitlines()
            ):
                raise DaemonStartError(
                    self.name,
                    f"sendmail.cf does not route {address} to {mailer}",
                    output,
                )

    def start(self) -> float:
        """Start the daemon in the foreground and wait for its SMTP port."""
        ensure_port_free(self.port, "Sendmail")
        self.verify_routing()
        args = ["-bD"]
        if self.config.sendmail_traffic_log:
            args += ["-X", str(self.traffic_log)]
        self._process.start(self._in_namespace(*args), cwd=self.dir)
        return self._process.wait_ready(
            lambda: tcp_port_accepts(self.port), START_TIMEOUT
        )

    def stop(self) -> None:
        self._process.stop()

    def running(self) -> bool:
        return self._process.running()

    def pid(self) -> int | None:
        return self._process.pid() if self.running() else None

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    # --- mail ----------------------------------------------------------------------

    def send(
        self,
        message: bytes | str | Message,
        mail_from: str = DEFAULT_SENDER,
        rcpt_tos: Sequence[str] = (DEFAULT_RECIPIENT,),
    ) -> SmtpResult:
        """Offer *message* on 127.0.0.1:10026 and say how the MTA answered."""
        return send_message(self.port, message, mail_from, rcpt_tos)

    def queue(self) -> list[QueuedMessage]:
        """Messages in the queue: ``qf*`` files, and ``hf*`` for quarantined ones."""
        if not self.queue_dir.is_dir():
            return []
        messages = []
        for path in sorted(self.queue_dir.iterdir()):
            if path.name[:2] in ("qf", "hf"):
                messages.append(_parse_queue_file(path))
        return messages

    def held(self) -> list[QueuedMessage]:
        """Messages a milter quarantined (Sendmail keeps them as ``hf*`` files)."""
        return [message for message in self.queue() if message.held]

    def read_queued(self, queue_id: str) -> bytes:
        """Headers (from the control file) and body (``df`` file) of a message."""
        for prefix in ("qf", "hf"):
            control = self.queue_dir / f"{prefix}{queue_id}"
            if control.is_file():
                break
        else:
            raise StackError(f"no message {queue_id} in {self.queue_dir}")
        headers = _queue_file_headers(control.read_bytes())
        body = (self.queue_dir / f"df{queue_id}").read_bytes()
        return headers + b"\n" + body

    def flush(self) -> None:
        """Run the queue once (``sendmail -q``); quarantined mail stays."""
        run(self._in_namespace("-q"), "sendmail -q")

    def clear_queue(self) -> None:
        """Delete every queued file, quarantined messages included."""
        for path in self.queue_dir.iterdir():
            if path.is_file():
                path.unlink(missing_ok=True)

    def reset(self) -> None:
        """Empty the queue and the Maildir."""
        self.clear_queue()
        self.maildir.clear()


def _parse_queue_file(path: Path) -> QueuedMessage:
    """Sender, recipients and quarantine reason from a Sendmail control file."""
    sender = ""
    recipients: list[str] = []
    reason: str | None = None
    for line in path.read_bytes().decode("utf-8", "replace").splitlines():
        if line.startswith("S"):
            sender = line[1:].strip("<>")
        elif line.startswith("R"):
            recipients.append(line.partition(":")[2].strip("<>"))
        elif line.startswith("q"):
            reason = line[1:]
    queue_name = "quarantine" if path.name.startswith("hf") else "queue"
    return QueuedMessage(path.name[2:], queue_name, sender, tuple(recipients), reason)


def _queue_file_headers(control: bytes) -> bytes:
    """The ``H`` lines of a control file as a header block.

    Conditional headers (``H?flags?Name: value``) that still hold unexpanded
    macros, such as ``?P?Return-Path: <$g>``, are added per mailer at delivery
    and are left out.
    """
    lines: list[bytes] = []
    keep = False
    for line in control.split(b"\n"):
        if line.startswith(b"H"):
            header = line[1:]
            if header.startswith(b"?"):
                header = header[header.index(b"?", 1) + 1 :]
            keep = MACRO_BYTE not in header
            if keep:
                lines.append(header)
        elif keep and line[:1] in (b" ", b"\t"):
            lines.append(line)
        else:
            keep = False
    return b"\n".join(lines) + b"\n"
