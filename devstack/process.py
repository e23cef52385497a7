"""Starting, watching and stopping the daemons devstack spawns itself.

clamd, the milter and Sendmail run in the foreground under a :class:`Spawned`
handle: a new session (so they outlive ``python -m devstack up``), output appended
to their log, and a pid file under ``<statedir>/pids`` recording the pid and the
process's start time, so a later ``down`` in another process stops exactly that
process and never a recycled pid.  Postfix runs its own master (see postfix.py).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from devstack.errors import DaemonStartError, StackError, WaitTimeout

POLL_INTERVAL = 0.02


def log_tail(path: Path, lines: int = 40) -> str:
    """The last *lines* lines of *path*, or a note that it does not exist."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            text = handle.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return f"({path} does not exist)"
    return "\n".join(text.splitlines()[-lines:]) or f"({path} is empty)"


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.02
) -> None:
    """Poll *condition* until it holds; raise :class:`WaitTimeout` after *timeout*."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def unix_socket_accepts(path: Path) -> bool:
    """True when something accepts connections on the unix socket *path*."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        try:
            sock.connect(str(path))
        except OSError:
            return False
    return True


def tcp_port_accepts(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts TCP connections on *host*:*port*."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def ensure_port_free(port: int, owner: str, host: str = "127.0.0.1") -> None:
    """Raise a clear :class:`StackError` if *port* is taken before *owner* binds it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise StackError(
                f"{host}:{port} is already in use, so {owner} cannot listen there; "
                "is another stack running (python -m devstack status)?"
            ) from exc


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name, or None if there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat.rpartition(")")[2].split()


def start_time(pid: int) -> int | None:
    """When *pid* started, in clock ticks since boot (survives exec)."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def pid_alive(pid: int, started: int | None = None) -> bool:
    """True while *pid* runs (zombies count as dead) and, if given, started then.

    Comparing the start time guards against a pid recycled by an unrelated
    process after the daemon died.
    """
    fields = _stat_fields(pid)
    if fields is None or fields[0] in ("Z", "X"):
        return False
    return started is None or int(fields[19]) == started


class Spawned:
    """One daemon process started by devstack, with its pid file and log."""

    def __init__(self, name: str, pid_file: Path, log_path: Path) -> None:
        self.name = name
        self.pid_file = pid_file
        self.log_path = log_path
        self._popen: subprocess.Popen[bytes] | None = None

    def start(self, argv: Sequence[str], cwd: Path) -> int:
        """Run *argv* detached in a new session; its output goes to the log."""
        if self.running():
            raise StackError(f"{self.name} is already running (pid {self.pid()})")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._popen = subprocess.Popen(
                list(argv),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        pid = self._popen.pid
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.write_text(f"{pid} {start_time(pid)}\n", encoding="utf-8")
        return pid

    def pid(self) -> int | None:
        """The recorded pid, whether or not the process still runs."""
        try:
            return int(self.pid_file.read_text(encoding="utf-8").split()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None

    def _started(self) -> int | None:
        try:
            fields = self.pid_file.read_text(encoding="utf-8").split()
            return int(fields[1])
        except (FileNotFoundError, IndexError, ValueError):
            return None

    def running(self) -> bool:
        if self._popen is not None:
            return self._popen.poll() is None
        pid = self.pid()
        return pid is not None and pid_alive(pid, self._started())

    def wait_ready(self, ready: Callable[[], bool], timeout: float) -> float:
        """Wait until *ready* holds; fail at once if the process exits first."""
        started = time.monotonic()
        deadline = started + timeout
        while not ready():
            if not self.running():
                raise DaemonStartError(
                    self.name, "the process exited", log_tail(self.log_path)
                )
            if time.monotonic() >= deadline:
                raise DaemonStartError(
                    self.name, f"not ready after {timeout:g} s", log_tail(self.log_path)
                )
            time.sleep(POLL_INTERVAL)
        return time.monotonic() - started

    def signal(self, signum: signal.Signals) -> None:
        """Send *signum* to the daemon if it still runs."""
        pid = self.pid()
        if pid is not None and self.running():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, wait up to *timeout* seconds, then SIGKILL; forget the pid."""
        self.signal(signal.SIGTERM)
        try:
            wait_until(lambda: not self.running(), timeout, f"{self.name} to exit")
        except WaitTimeout:
            self.kill()
        self._forget()

    def kill(self) -> None:
        """SIGKILL: the daemon vanishes at once, as in a crash."""
        self.signal(signal.SIGKILL)
        wait_until(lambda: not self.running(), 5.0, f"{self.name} to die")
        self._forget()

    def _forget(self) -> None:
        if self._popen is not None:
            self._popen.wait()
            self._popen = None
        self.pid_file.unlink(missing_ok=True)


def run(argv: Sequence[str], what: str, timeout: float = 60.0) -> str:
    """Run a short admin command; its stdout, or a :class:`StackError` with output."""
    try:
        done = subprocess.run(
            list(argv),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StackError(f"{what}: {' '.join(argv)}: {exc}") from exc
    if done.returncode != 0:
        output = (done.stdout + done.stderr).decode(errors="replace").strip()
        raise StackError(
            f"{what}: {' '.join(argv)} exited {done.returncode}: {output or '(silent)'}"
        )
    return done.stdout.decode(errors="replace")
