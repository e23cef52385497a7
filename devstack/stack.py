"""The whole throw-away stack: clamd, the milter, Postfix and Sendmail.

``Stack(config).up()`` wipes the state directory (only one devstack made),
writes every configuration file, starts the daemons in dependency order and
returns how long each took; ``down()`` stops whatever runs, also from another
process, since it finds the daemons through the state directory.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol

from devstack.clamd import Clamd, clamd_names
from devstack.config import StackConfig
from devstack.errors import StackError
from devstack.files import make_dir, write_file
from devstack.milterd import MilterDaemon
from devstack.postfix import Postfix
from devstack.process import log_tail
from devstack.sendmail import Sendmail

logger = logging.getLogger("devstack")


@dataclass(frozen=True)
class DaemonStatus:
    """One line of ``python -m devstack status``."""

    name: str
    running: bool
    pid: int | None
    endpoint: str

    def __str__(self) -> str:
        state = f"running (pid {self.pid})" if self.running else "stopped"
        return f"{self.name:<9} {state:<22} {self.endpoint}"


class Stack:
    """The daemons of one state directory and the helpers tests use on them."""

    def __init__(self, config: StackConfig | None = None) -> None:
        self.config = config or StackConfig()
        self.clamd = Clamd(self.config)
        self.extra_clamds: dict[str, Clamd] = {}
        self.milter = MilterDaemon(self.config, [self.clamd.unix_spec])
        self.postfix = Postfix(self.config)
        self.sendmail = Sendmail(self.config)
        #: Seconds each daemon took to become ready during the last up().
        self.startup_seconds: dict[str, float] = {}

    @property
    def mtas(self) -> tuple[Postfix, Sendmail]:
        return (self.postfix, self.sendmail)

    def mta(self, name: str) -> Postfix | Sendmail:
        """The MTA called *name* (``postfix`` or ``sendmail``)."""
        for mta in self.mtas:
            if mta.name == name:
                return mta
        raise StackError(f"no MTA called {name!r}")

    # --- up and down -------------------------------------------------------------

    def up(self) -> dict[str, float]:
        """Start everything from a clean state directory; seconds per daemon.

        On any failure, whatever was started is stopped again and the error (a
        :class:`~devstack.errors.DaemonStartError` with the log tail) propagates.
        """
        if os.geteuid() != 0:
            raise StackError("devstack must run as root: the daemons drop privileges")
        self._prepare_statedir()
        self.startup_seconds = {}
        try:
            self.clamd.prepare()
            self.milter.prepare()
            self.postfix.prepare()
            self.sendmail.prepare()
            self._start("clamd", self.clamd.start)
            self._start("milter", self.milter.start)
            self._start("postfix", self.postfix.start)
            self._start("sendmail", self.sendmail.start)
        except BaseException:
            self.down()
            raise
        return dict(self.startup_seconds)

    def _start(self, name: str, start: _Starter) -> None:
        began = time.monotonic()
        start()
        seconds = time.monotonic() - began
        self.startup_seconds[name] = seconds
        logger.info("%s ready in %.2f s", name, seconds)

    def down(self) -> None:
        """Stop every daemon of this state directory that still runs.

        The milter gets SIGTERM first and is waited for last, so its slow
        pymilter shutdown (about 4 s) overlaps with stopping the others.
        """
        self.milter.begin_stop()
        errors: list[str] = []
        for name, stop in self._stoppers():
            try:
                stop()
            except StackError as exc:
                errors.append(f"{name}: {exc}")
        if errors:
            raise StackError("could not stop everything: " + "; ".join(errors))

    def _stoppers(self) -> Iterator[tuple[str, _Stopper]]:
        yield "sendmail", self.sendmail.stop
        yield "postfix", self.postfix.stop
        for clamd in self._all_clamds():
            yield clamd.name, clamd.stop
        yield "milter", self.milter.stop

    def _all_clamds(self) -> list[Clamd]:
        known = {self.clamd.name: self.clamd, **self.extra_clamds}
        for name in clamd_names(self.config):
            known.setdefault(name, Clamd(self.config, name))
        return list(known.values())

    def __enter__(self) -> Stack:
        self.up()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.down()

    def _prepare_statedir(self) -> None:
        """Stop a previous stack in the state dir, wipe it, lay out the basics."""
        statedir = self.config.statedir
        previous = StackConfig.saved_in(statedir)
        if previous is not None:
            Stack(previous).down()
        elif statedir.exists() and any(statedir.iterdir()):
            raise StackError(
                f"{statedir} exists, is not empty and was not made by devstack: "
                "refusing to wipe it; choose another --statedir"
            )
        _check_traversable(statedir)
        if statedir.exists():
            shutil.rmtree(statedir)
        make_dir(statedir, 0o755)
        make_dir(self.config.pid_dir, 0o755)
        write_file(self.config.state_file, self.config.to_json())

    # --- helpers for tests ----------------------------------------------------------

    def add_clamd(self, name: str = "clamd2", tcp_port: int | None = None) -> Clamd:
        """Start another clamd with its own socket and port (failover tests).

        The port defaults to the first clamd's plus one (13311).  It is stopped
        by :meth:`down` like the first one.
        """
        if tcp_port is None:
            tcp_port = self.config.clamd_port + 1
        if name in self.extra_clamds or name == self.clamd.name:
            raise StackError(f"a clamd called {name!r} already exists")
        clamd = Clamd(self.config, name, tcp_port)
        clamd.prepare()
        self.extra_clamds[name] = clamd
        seconds = clamd.start()
        logger.info("%s ready in %.2f s", name, seconds)
        return clamd

    def remove_clamd(self, name: str) -> None:
        """Stop and forget a clamd started with :meth:`add_clamd`."""
        clamd = self.extra_clamds.pop(name, None)
        if clamd is None:
            raise StackError(f"no extra clamd called {name!r}")
        clamd.stop()

    def check(self) -> None:
        """Raise :class:`StackError` naming every daemon that no longer runs.

        The message carries each dead daemon's log tail, so a test that finds
        the stack broken fails with the reason rather than with a timeout.
        """
        dead = [line.name for line in self.status() if not line.running]
        if not dead:
            return
        tails = {name: path for name, path in self.logs().items() if name in dead}
        report = "\n".join(
            f"--- last lines of {path} ---\n{log_tail(path)}" for path in tails.values()
        )
        raise StackError(f"not running: {', '.join(dead)}\n{report}")

    def reset(self) -> None:
        """Empty both MTAs' queues and Maildirs (between tests)."""
        for mta in self.mtas:
            mta.reset()

    def status(self) -> list[DaemonStatus]:
        """Which daemons run, with their pids and addresses."""
        lines = [
            DaemonStatus(clamd.name, clamd.running(), clamd.pid(), clamd.describe())
            for clamd in self._all_clamds()
        ]
        lines.append(
            DaemonStatus(
                "milter",
                self.milter.running(),
                self.milter.pid(),
                self.config.milter_spec,
            )
        )
        for mta in self.mtas:
            lines.append(
                DaemonStatus(
                    mta.name,
                    mta.running(),
                    mta.pid(),
                    f"smtp 127.0.0.1:{mta.port}, Maildir {mta.maildir.path}",
                )
            )
        return lines

    def logs(self) -> dict[str, Path]:
        """Every log file of the stack, by daemon name."""
        names = [clamd.name for clamd in self._all_clamds()]
        names += ["milter", "postfix", "sendmail"]
        logs = {name: self.config.log_path(name) for name in names}
        logs["sendmail-traffic"] = self.sendmail.traffic_log
        return logs


class _Starter(Protocol):
    def __call__(self) -> float: ...


class _Stopper(Protocol):
    def __call__(self) -> None: ...


def _check_traversable(statedir: Path) -> None:
    """Refuse a state dir below a folder that postfix, clamav or nobody cannot enter."""
    for parent in reversed(statedir.resolve().parents):
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            raise StackError(
                f"{parent} is not searchable by other users (mode "
                f"{stat.filemode(mode)}): the daemons' users cannot reach "
                f"{statedir}; choose another --statedir"
            )
