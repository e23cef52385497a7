"""The mailwarden milter as a daemon of the test stack.

devstack writes ``<statedir>/mailwarden.toml`` (the contract below), starts
``.venv/bin/mailwarden milter --config <statedir>/mailwarden.toml`` as root (the
milter drops to its user and sets its socket's mode itself) and waits until the
socket accepts connections.  Output goes to ``<statedir>/milter.log``.

The base configuration::

    [milter]      socket, user, socket_mode = "0660", hold = true
    [clamav]      servers = [the stack's clamd], timeout = 10.0
    [quarantine]  directory = "<statedir>/quarantine"
    [logging]     level = "INFO"

Tests lay their own keys over it with :meth:`MilterDaemon.reconfigure`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from devstack.config import CONFIG_PLACEHOLDER, StackConfig
from devstack.errors import StackError
from devstack.files import accessible_by, deep_merge, make_dir, render_toml, write_file
from devstack.process import Spawned, log_tail, unix_socket_accepts

logger = logging.getLogger("devstack.milter")

#: pymilter loads signatures and compiles YARA rules before it listens.
START_TIMEOUT = 60.0
#: A pymilter process takes about 4 s to leave libmilter's loop after SIGTERM.
STOP_TIMEOUT = 15.0


class MilterDaemon:
    """The milter process and the configuration file it reads."""

    def __init__(self, config: StackConfig, clamd_servers: Sequence[str]) -> None:
        self.config = config
        self.clamd_servers = tuple(clamd_servers)
        self.socket = config.milter_socket
        self.config_path = config.milter_config
        self.log_path = config.log_path("milter")
        self.overrides: Mapping[str, object] = {}
        self._process = Spawned("milter", config.pid_dir / "milter.pid", self.log_path)

    def base_settings(self) -> dict[str, object]:
        """The configuration contract between the stack and the milter."""
        return {
            "milter": {
                "socket": self.config.milter_spec,
                "user": self.config.milter_user,
                "socket_mode": "0660",
                "hold": True,
            },
            "clamav": {
                "servers": list(self.clamd_servers),
                "timeout": 10.0,
                # clamd.conf: StreamMaxLength 100M
                "max_stream_bytes": 100 * 1024 * 1024,
            },
            "quarantine": {"directory": str(self.config.quarantine_dir)},
            "logging": {"level": "INFO"},
        }

    def settings(self) -> dict[str, object]:
        """The base configuration with the current overrides laid over it."""
        return deep_merge(self.base_settings(), self.overrides)

    def prepare(self) -> None:
        """Create run/ and quarantine/ for the milter user; write mailwarden.toml.

        run/ is mode 0750 and group ``mailwarden``: Postfix's smtpd (user postfix,
        a member of that group) reaches the socket, nobody else does, and Sendmail
        accepts it because the folder is not group- or world-writable.
        """
        user = self.config.milter_user
        make_dir(self.config.run_dir, 0o750, user)
        make_dir(self.config.quarantine_dir, 0o700, user)
        self.write_config()
        executable = Path(self.argv()[0])
        if not accessible_by(user, executable, os.X_OK):
            logger.warning(
                "user %s cannot reach %s: the milter may fail after dropping "
                "privileges",
                user,
                executable,
            )

    def write_config(self) -> None:
        header = (
            "# Written by devstack for the test stack; regenerated on every start.\n"
        )
        write_file(self.config_path, header + render_toml(self.settings()))

    def argv(self) -> list[str]:
        command = self.config.milter_command
        return [
            part.replace(CONFIG_PLACEHOLDER, str(self.config_path)) for part in command
        ]

    def start(self) -> float:
        """Start the milter and wait for its socket; the seconds it took."""
        argv = self.argv()
        if not Path(argv[0]).exists():
            raise StackError(f"{argv[0]} does not exist: run scripts/install.sh first")
        self.socket.unlink(missing_ok=True)
        self._process.start(argv, cwd=self.config.statedir)
        return self._process.wait_ready(
            lambda: unix_socket_accepts(self.socket), START_TIMEOUT
        )

    def stop(self) -> None:
        """Stop the milter gracefully (SIGTERM; SIGKILL after 15 s)."""
        self._process.stop(STOP_TIMEOUT)

    def begin_stop(self) -> None:
        """Send SIGTERM without waiting; :meth:`stop` waits for the exit."""
        self._process.signal(signal.SIGTERM)

    def kill(self) -> None:
        """Kill the milter at once, as in a crash; its socket file stays behind."""
        self._process.kill()

    def restart(self) -> float:
        self.stop()
        return self.start()

    def reconfigure(self, overrides: Mapping[str, object]) -> float:
        """Restart with *overrides* laid over the base configuration.

        ``reconfigure({})`` goes back to the base configuration.
        """
        self.overrides = dict(overrides)
        self.kill()
        self.write_config()
        return self.start()

    @contextlib.contextmanager
    def configured(self, overrides: Mapping[str, object]) -> Iterator[None]:
        """Run the body with *overrides* in effect, then restore the previous ones.

        For example ``with stack.milter.configured({"milter": {"hold": False}}):``.
        """
        previous = self.overrides
        self.reconfigure(overrides)
        try:
            yield
        finally:
            self.reconfigure(previous)

    def running(self) -> bool:
        return self._process.running()

    def pid(self) -> int | None:
        return self._process.pid() if self.running() else None

    @contextlib.contextmanager
    def stopped(self, graceful: bool = False) -> Iterator[None]:
        """Run the body with the milter gone, and start it again afterwards.

        By default the milter is killed (instant, like a crash); ``graceful=True``
        sends SIGTERM and waits for it to exit (about 4 s with pymilter).
        """
        if graceful:
            self.stop()
        else:
            self.kill()
        try:
            yield
        finally:
            self.start()

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)
