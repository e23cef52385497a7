"""A private Postfix instance built from contrib/postfix/{main,master}.cf.

Config in ``<statedir>/postfix``, queue in ``<statedir>/postfix-queue``, log in
``<statedir>/postfix.log``; SMTP on 127.0.0.1:10025.  Mail for example.test is
delivered into the Maildir ``<statedir>/mail/inbox/``; all other mail is
discarded.  Every admin command runs with ``-c <statedir>/postfix``, so the
system's /etc/postfix is never touched.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from email.message import Message

from devstack.config import StackConfig
from devstack.errors import DaemonStartError, StackError, WaitTimeout
from devstack.files import chown, make_dir, render_template, user_ids, write_file
from devstack.maildir import Maildir
from devstack.process import (
    ensure_port_free,
    log_tail,
    run,
    tcp_port_accepts,
    wait_until,
)
from devstack.queue import QueuedMessage
from devstack.smtp import DEFAULT_RECIPIENT, DEFAULT_SENDER, SmtpResult, send_message

START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0


class Postfix:
    """The Postfix instance: life cycle, sending, its queue and its Maildir."""

    name = "postfix"

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.port = config.postfix_port
        self.config_dir = config.postfix_config_dir
        self.queue_dir = config.statedir / "postfix-queue"
        self.data_dir = config.statedir / "postfix-data"
        self.log_path = config.log_path("postfix")
        self.maildir = Maildir(config.postfix_maildir)

    def _admin(self, command: str, *args: str) -> list[str]:
        return [command, "-c", str(self.config_dir), *args]

    # --- life cycle ------------------------------------------------------------

    def prepare(self) -> None:
        """Write main.cf and master.cf and create the instance's folders."""
        uid, gid = user_ids(self.config.mail_user)
        values = {
            "STATEDIR": str(self.config.statedir),
            "MILTER": self.config.postfix_milter_spec,
            "VIRTUAL_UID": str(uid),
            "VIRTUAL_GID": str(gid),
            "SMTP_LISTEN": f"127.0.0.1:{self.port}",
        }
        templates = self.config.contrib_dir / "postfix"
        for name in ("main.cf", "master.cf"):
            write_file(
                self.config_dir / name, render_template(templates / name, values)
            )
        make_dir(self.queue_dir, 0o755)
        make_dir(self.data_dir, 0o700, "postfix")
        self._make_maildir()

    def _make_maildir(self) -> None:
        make_dir(self.config.mail_dir, 0o755)
        for sub in ("", "tmp", "new", "cur"):
            folder = self.config.postfix_maildir / sub
            make_dir(folder, 0o700, self.config.mail_user, self.config.mail_group)

    def start(self) -> float:
        """Create the queue folders, start the master, wait for the SMTP port.

        ``postfix start`` checks the configuration itself (``check-fatal``).
        """
        started = time.monotonic()
        ensure_port_free(self.port, "Postfix")
        self._age_config()
        try:
            run(self._admin("postfix", "start"), "postfix start")
        except StackError as exc:
            raise DaemonStartError(self.name, str(exc), self.log_tail()) from exc
        try:
            wait_until(lambda: tcp_port_accepts(self.port), START_TIMEOUT, "Postfix")
        except WaitTimeout as exc:
            raise DaemonStartError(self.name, str(exc), self.log_tail()) from exc
        return time.monotonic() - started

    def _age_config(self) -> None:
        """Backdate main.cf and master.cf if they were written a moment ago.

        Postfix re-reads a main.cf younger than 2 s until it has aged (0.3 s a
        round), which costs 2 s on a start right after prepare() or postconf -e.
        """
        aged = time.time() - 60
        for name in ("main.cf", "master.cf"):
            path = self.config_dir / name
            if path.stat().st_mtime > aged:
                os.utime(path, (aged, aged))

    def stop(self) -> None:
        """``postfix stop`` and wait for the master to exit (it returns earlier)."""
        if not self.running():
            return
        run(self._admin("postfix", "stop"), "postfix stop")
        wait_until(lambda: not self.running(), STOP_TIMEOUT, "Postfix to stop")

    def running(self) -> bool:
        """``postfix status``: True while the master runs."""
        if not (self.config_dir / "main.cf").is_file():
            return False
        try:
            run(self._admin("postfix", "status"), "postfix status")
        except StackError:
            return False
        return True

    def pid(self) -> int | None:
        pid_file = self.queue_dir / "pid" / "master.pid"
        try:
            return int(pid_file.read_text(encoding="ascii").split()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    # --- mail ----------------------------------------------------------------------

    def send(
        self,
        message: bytes | str | Message,
        mail_from: str = DEFAULT_SENDER,
        rcpt_tos: Sequence[str] = (DEFAULT_RECIPIENT,),
    ) -> SmtpResult:
        """Offer *message* on 127.0.0.1:10025 and say how the MTA answered."""
        return send_message(self.port, message, mail_from, rcpt_tos)

    def queue(self) -> list[QueuedMessage]:
        """Every message in the queue (``postqueue -j``), hold queue included."""
        output = run(self._admin("postqueue", "-j"), "postqueue -j")
        messages = []
        for line in output.splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            messages.append(
                QueuedMessage(
                    queue_id=entry["queue_id"],
                    queue_name=entry["queue_name"],
                    sender=entry["sender"],
                    recipients=tuple(r["address"] for r in entry["recipients"]),
                )
            )
        return messages

    def held(self) -> list[QueuedMessage]:
        """Messages in the hold queue (what a milter quarantined)."""
        return [message for message in self.queue() if message.queue_name == "hold"]

    def read_queued(self, queue_id: str) -> bytes:
        """Headers and body of a queued message (``postcat -bh -q ID``)."""
        argv = self._admin("postcat", "-bh", "-q", queue_id)
        return run(argv, "postcat").encode("utf-8", "surrogateescape")

    def release(self, queue_id: str = "ALL") -> None:
        """Move held mail back to the active queue (``postsuper -H``) and flush."""
        run(self._admin("postsuper", "-H", queue_id), "postsuper -H")
        self.flush()

    def flush(self) -> None:
        """Try to deliver deferred mail now (``postqueue -f``)."""
        run(self._admin("postqueue", "-f"), "postqueue -f")

    def clear_queue(self) -> None:
        """Delete every queued message, held ones included (``postsuper -d ALL``)."""
        run(self._admin("postsuper", "-d", "ALL"), "postsuper -d ALL")

    def wait_for_empty_queue(self, timeout: float = 10.0) -> None:
        """Wait until Postfix has delivered (or discarded) everything not held."""
        wait_until(
            lambda: all(message.held for message in self.queue()),
            timeout,
            "the Postfix queue to drain",
            interval=0.1,
        )

    def reset(self) -> None:
        """Empty the queue and the Maildir."""
        self.clear_queue()
        self.maildir.clear()
        chown(
            self.config.postfix_maildir, self.config.mail_user, self.config.mail_group
        )
