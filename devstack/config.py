"""Where the throw-away mail stack lives and which ports it uses.

One frozen :class:`StackConfig` describes a stack: the state directory that holds
every generated file, socket, queue, log and Maildir, the loopback ports, and the
programs to run.  Every path a test or a human needs is a property here, so the
layout is written down in one place::

    <statedir>/
      devstack.json        this config, so `python -m devstack down` finds the stack
      pids/                process ids of the daemons devstack spawned
      run/milter.sock      the milter's socket (dir owned by the milter user, 0750)
      mailwarden.toml      the milter's configuration, written by devstack
      quarantine/          the milter's quarantine (0700, owned by the milter user)
      clamd/               clamd.conf, clamd.sock, clamd.pid, scratch space
      postfix/             main.cf and master.cf of the private Postfix
      postfix-queue/       its queue_directory; postfix-data/ its data_directory
      sendmail/            sendmail.mc, sendmail.cf, mqueue/, traffic.log
      mail/inbox/          Maildir receiving example.test mail through Postfix
      mail/sendmail/       Maildir receiving example.test mail through Sendmail
      *.log                one log per daemon: clamd, milter, postfix, sendmail
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The repository this package was imported from (devstack/ sits at its root).
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATEDIR = Path("/tmp/mailwarden-stack")
SENDMAIL_ROOT = Path("/opt/mailwarden-sendmail")

POSTFIX_PORT = 10025
SENDMAIL_PORT = 10026
CLAMD_PORT = 13310
#: A second clamd, started on demand for failover tests, takes CLAMD_PORT + 1.

#: Domain whose mail both MTAs deliver into their Maildir; every other domain is
#: accepted and thrown away.
TEST_DOMAIN = "example.test"
#: Placeholder in ``milter_command`` replaced by the path of mailwarden.toml.
CONFIG_PLACEHOLDER = "{config}"


def _default_milter_command() -> tuple[str, ...]:
    executable = REPO_ROOT / ".venv" / "bin" / "mailwarden"
    return (str(executable), "milter", "--config", CONFIG_PLACEHOLDER)


@dataclass(frozen=True)
class StackConfig:
    """Everything that tells one stack from another; all paths derive from it."""

    statedir: Path = DEFAULT_STATEDIR
    repo: Path = REPO_ROOT
    postfix_port: int = POSTFIX_PORT
    sendmail_port: int = SENDMAIL_PORT
    clamd_port: int = CLAMD_PORT
    #: Signature folder clamd loads; the repository's own by default.
    clamav_database: Path = REPO_ROOT / "signatures" / "clamav"
    #: argv of the milter; ``{config}`` becomes the path of mailwarden.toml.
    milter_command: tuple[str, ...] = field(default_factory=_default_milter_command)
    #: Where scripts/install.sh unpacked Sendmail's .debs.
    sendmail_root: Path = SENDMAIL_ROOT
    #: Record every SMTP exchange (whole messages included) in sendmail/traffic.log.
    sendmail_traffic_log: bool = True
    milter_user: str = "mailwarden"
    clamd_user: str = "clamav"
    #: Owner of delivered mail in both Maildirs.
    mail_user: str = "nobody"
    mail_group: str = "nogroup"

    # --- layout -------------------------------------------------------------

    @property
    def pid_dir(self) -> Path:
        return self.statedir / "pids"

    @property
    def run_dir(self) -> Path:
        return self.statedir / "run"

    @property
    def milter_socket(self) -> Path:
        return self.run_dir / "milter.sock"

    @property
    def milter_config(self) -> Path:
        return self.statedir / "mailwarden.toml"

    @property
    def quarantine_dir(self) -> Path:
        return self.statedir / "quarantine"

    @property
    def mail_dir(self) -> Path:
        return self.statedir / "mail"

    @property
    def postfix_maildir(self) -> Path:
        return self.mail_dir / "inbox"

    @property
    def sendmail_maildir(self) -> Path:
        return self.mail_dir / "sendmail"

    @property
    def postfix_config_dir(self) -> Path:
        return self.statedir / "postfix"

    @property
    def sendmail_dir(self) -> Path:
        return self.statedir / "sendmail"

    def log_path(self, daemon: str) -> Path:
        """The log of *daemon* (``clamd``, ``milter``, ``postfix``, ``sendmail``)."""
        return self.statedir / f"{daemon}.log"

    @property
    def state_file(self) -> Path:
        return self.statedir / "devstack.json"

    # --- endpoints in the spellings each program wants ------------------------

    @property
    def milter_spec(self) -> str:
        """The milter socket in libmilter (and Sendmail) syntax."""
        return f"unix:{self.milter_socket}"

    @property
    def postfix_milter_spec(self) -> str:
        """The milter socket in Postfix syntax (identical for unix sockets)."""
        return f"unix:{self.milter_socket}"

    @property
    def contrib_dir(self) -> Path:
        return self.repo / "contrib"

    def shifted(self, offset: int) -> StackConfig:
        """The same stack with every port moved by *offset*.

        Lets two stacks run side by side on one machine (each needs its own
        state directory too).
        """
        return dataclasses.replace(
            self,
            postfix_port=self.postfix_port + offset,
            sendmail_port=self.sendmail_port + offset,
            clamd_port=self.clamd_port + offset,
        )

    # --- persistence, so that `down` in another process finds the stack ---------

    def to_json(self) -> str:
        data: dict[str, Any] = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            data[item.name] = value
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> StackConfig:
        data: Mapping[str, Any] = json.loads(text)
        kwargs: dict[str, Any] = {}
        for item in dataclasses.fields(cls):
            if item.name not in data:
                continue
            value = data[item.name]
            if isinstance(value, list):
                value = tuple(value)
            elif item.type in ("Path",) and isinstance(value, str):
                value = Path(value)
            kwargs[item.name] = value
        return cls(**kwargs)

    @classmethod
    def saved_in(cls, statedir: Path) -> StackConfig | None:
        """The config a previous ``up`` saved in *statedir*, if there is one."""
        path = statedir / "devstack.json"
        if not path.is_file():
            return None
        return cls.from_json(path.read_text(encoding="utf-8"))
