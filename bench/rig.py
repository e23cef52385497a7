"""The benchmark rig: the devstack, a second Postfix without a milter, memory.

The comparison needs two MTAs that differ only in the milter. The devstack's
Postfix (127.0.0.1:10025) runs with ``smtpd_milters`` pointing at mailwarden; the
rig builds a second private Postfix from the very same templates (devstack's own
:class:`~devstack.postfix.Postfix` class, another state directory, the stack's
port + 10) and
empties ``smtpd_milters`` there with ``postconf -e``. Both run side by side and
are measured one after the other, so neither is reloaded mid-run and a failure of
one never leaves the other misconfigured.

By default the rig starts a devstack of its own (``/tmp/mailwarden-bench/stack``,
ports moved by 100) so that other engineers' stacks and test runs, which use the
default ports and may be torn down at any time, are left alone. The baseline
Postfix is stopped when the run ends.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import resource
import shutil
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devstack import Postfix, Stack, StackConfig, StackError
from devstack.process import run

logger = logging.getLogger("bench.rig")

#: The Postfix without a milter listens this far above the stack's Postfix.
BASELINE_PORT_OFFSET = 10


@dataclass(frozen=True)
class Memory:
    """Resident memory of one process, from /proc/PID/status, in KiB.

    ``rss`` = ``anon`` (heap, stacks: what the process allocated) + ``file``
    (mapped files whose pages are in memory, e.g. a spooled message read through
    mmap; page cache the kernel can drop) + shared memory.
    """

    rss_kib: int
    hwm_kib: int
    anon_kib: int = 0
    file_kib: int = 0

    @property
    def rss_mib(self) -> float:
        return self.rss_kib / 1024

    @property
    def hwm_mib(self) -> float:
        return self.hwm_kib / 1024


def memory_of(pid: int) -> Memory:
    """VmRSS and VmHWM (peak RSS since the process started) of *pid*."""
    fields: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                fields[key] = int(value.split()[0])
    return Memory(
        rss_kib=fields["VmRSS"],
        hwm_kib=fields["VmHWM"],
        anon_kib=fields.get("RssAnon", 0),
        file_kib=fields.get("RssFile", 0),
    )


class RssSampler:
    """Samples a process's VmRSS every few milliseconds in a thread; keeps the peak.

    VmHWM is the peak since the process started, so it says nothing about one
    message once the milter has seen a bigger one; the sampler does.
    """

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_kib = 0
        self.peak_anon_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                memory = memory_of(self.pid)
            except (OSError, KeyError):
                return
            self.peak_kib = max(self.peak_kib, memory.rss_kib)
            self.peak_anon_kib = max(self.peak_anon_kib, memory.anon_kib)
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@contextmanager
def devstack(statedir: Path, port_offset: int, keep: bool) -> Iterator[Stack]:
    """The running devstack of *statedir*, started (and later stopped) if needed.

    A stack that already runs there is reused, with the ports it was started
    with, and left running. One that the rig starts gets the default ports moved
    by *port_offset* (so it runs beside the stacks of other engineers and of the
    tests) and is stopped at the end unless *keep*.
    """
    saved = StackConfig.saved_in(statedir)
    if saved is not None:
        stack = Stack(saved)
        if all(line.running for line in stack.status()):
            logger.info("reusing the running devstack in %s", statedir)
            yield stack
            return
    statedir.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    config = StackConfig(statedir).shifted(port_offset)
    logger.info(
        "starting a devstack in %s (SMTP port %d)", statedir, config.postfix_port
    )
    stack = Stack(config)
    stack.up()
    try:
        yield stack
    finally:
        if not keep:
            logger.info("stopping the devstack the benchmark started")
            stack.down()


@contextmanager
def baseline_postfix(stack: Stack, home: Path) -> Iterator[Postfix]:
    """A second Postfix like the stack's, without any milter, on the stack's port + 10.

    Its configuration, queue and log live in *home*.
    """
    port = stack.config.postfix_port + BASELINE_PORT_OFFSET
    config = dataclasses.replace(stack.config, statedir=home, postfix_port=port)
    postfix = Postfix(config)
    postfix.stop()  # a previous run that died may have left it running
    for folder in (postfix.queue_dir, postfix.data_dir, postfix.config_dir):
        shutil.rmtree(folder, ignore_errors=True)
    postfix.prepare()
    run(
        [
            "postconf",
            "-c",
            str(postfix.config_dir),
            "-e",
            "smtpd_milters =",
            "non_smtpd_milters =",
        ],
        "postconf",
    )
    postfix.start()
    try:
        yield postfix
    finally:
        postfix.stop()


def drain(postfix: Postfix, timeout: float = 120.0) -> None:
    """Wait until *postfix* has discarded everything it accepted (held mail stays)."""
    postfix.wait_for_empty_queue(timeout)


def milter_pid(stack: Stack) -> int:
    pid = stack.milter.pid()
    if pid is None:
        raise StackError("the milter of the devstack is not running")
    return pid


def remove_traces(stack: Stack, queue_ids: Iterable[str]) -> tuple[int, int]:
    """Delete the held messages and quarantine items of *queue_ids*.

    Quarantined benchmark mail (the 50 MB message among it) would otherwise pile
    up in the stack's hold queue and quarantine folder run after run. Returns how
    many held messages and quarantine items were removed.
    """
    ours = set(queue_ids)
    held = [m.queue_id for m in stack.postfix.held() if m.queue_id in ours]
    for queue_id in held:
        run(
            ["postsuper", "-c", str(stack.postfix.config_dir), "-d", queue_id],
            "postsuper -d",
        )
    items = 0
    for metadata in stack.config.quarantine_dir.glob("*/*/*/*.json"):
        try:
            record = json.loads(metadata.read_text(encoding="utf-8"))
            queue_id = record["envelope"]["queue_id"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if queue_id in ours:
            metadata.with_suffix(".eml").unlink(missing_ok=True)
            metadata.unlink(missing_ok=True)
            items += 1
    return len(held), items


class CpuMeter:
    """CPU seconds used in a block, by whom.

    *trees* are processes counted with all their descendants, living or reaped
    (a Postfix master with its smtpd, cleanup, qmgr…); a process counts user +
    system time of all its threads. ``client`` is this process and the programs
    it ran (smtp-source). ``machine`` is every core's busy time, whoever used it,
    and ``others`` what is left of it: other engineers' work on a shared machine.
    """

    def __init__(self, trees: dict[str, int | None]) -> None:
        self.trees = {name: pid for name, pid in trees.items() if pid is not None}
        self.seconds: dict[str, float] = {}
        self._start: dict[str, int] = {}

    def _ticks(self) -> dict[str, int]:
        parents = _parents()
        ticks = {name: _tree_ticks(pid, parents) for name, pid in self.trees.items()}
        usage = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
        per_second = os.sysconf("SC_CLK_TCK")
        ticks["client"] = round(
            sum(u.ru_utime + u.ru_stime for u in usage) * per_second
        )
        ticks["machine"] = _machine_ticks()
        return ticks

    def __enter__(self) -> CpuMeter:
        self._start = self._ticks()
        return self

    def __exit__(self, *exc: object) -> None:
        per_second = os.sysconf("SC_CLK_TCK")
        end = self._ticks()
        self.seconds = {
            name: (end[name] - self._start[name]) / per_second for name in end
        }
        ours = sum(v for k, v in self.seconds.items() if k != "machine")
        self.seconds["others"] = max(0.0, self.seconds["machine"] - ours)


def _machine_ticks() -> int:
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle, iowait = fields[3], fields[4]
    return sum(fields[:8]) - idle - iowait


def _stat(pid: int | str) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state is [0])."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()
    except OSError:
        return None


def _parents() -> dict[int, int]:
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (fields := _stat(name)) is not None:
            parents[int(name)] = int(fields[1])
    return parents


def _tree_ticks(root: int, parents: dict[int, int]) -> int:
    """CPU ticks of *root* and its living descendants, plus its reaped ones.

    A reaped child's time moves into its parent's cutime/cstime, so the sum is
    continuous while children come and go.
    """
    fields = _stat(root)
    if fields is None:
        return 0
    total = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    for pid, parent in parents.items():
        if parent == root and (child := _stat(pid)) is not None:
            total += int(child[11]) + int(child[12])
    return total


_SUMMARY = re.compile(r"action=(\S+) .*ms=([0-9.]+)")


def read_milter_log(path: Path, offset: int) -> dict[str, object]:
    """What the milter logged during the run: errors, actions, inspection times."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return {"available": False}
    actions: Counter[str] = Counter()
    inspect_ms: list[float] = []
    errors: list[str] = []
    warnings = tracebacks = 0
    for line in text.splitlines():
        if " ERROR " in line:
            errors.append(line)
        elif " WARNING " in line:
            warnings += 1
        elif line.startswith("Traceback"):
            tracebacks += 1
        match = _SUMMARY.search(line)
        if match:
            actions[match.group(1)] += 1
            inspect_ms.append(float(match.group(2)))
    return {
        "available": True,
        "actions": dict(actions),
        "inspect_ms": inspect_ms,
        "errors": len(errors),
        "first_errors": errors[:5],
        "warnings": warnings,
        "tracebacks": tracebacks,
    }
