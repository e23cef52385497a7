"""Load generators: Postfix's smtp-source, and a threaded SMTP client for a corpus.

Every generator is bounded: a message count, a socket timeout on every SMTP
step, and a wall-clock deadline after which no new message is started. Traffic
goes to 127.0.0.1 only.
"""

from __future__ import annotations

import base64
import contextlib
import random
import re
import shutil
import smtplib
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

HOST = "127.0.0.1"
HELO = "bench.mailwarden.test"
_QUEUE_ID = re.compile(r"queued as ([0-9A-Za-z]+)")


@dataclass(frozen=True)
class Outgoing:
    """One message ready for the wire: CRLF, dot-stuffed, ends with CRLF."""

    name: str
    kind: str
    mail_from: str
    rcpt_tos: tuple[str, ...]
    wire: bytes
    #: "reject": must get a 5xx from a milter with ClamAV.
    expect: str = "any"


def for_the_wire(message: bytes) -> bytes:
    """*message* with CRLF line ends, leading dots doubled (RFC 5321 4.5.2)."""
    message = message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    if message.startswith(b"."):
        message = b"." + message
    return message.replace(b"\r\n.", b"\r\n..")


@dataclass(frozen=True)
class Sent:
    """What happened to one message."""

    name: str
    kind: str
    expect: str
    code: int
    text: str
    #: Seconds from MAIL FROM to the reply that ended the transaction.
    seconds: float

    @property
    def queue_id(self) -> str | None:
        match = _QUEUE_ID.search(self.text)
        return match.group(1) if match else None


@dataclass
class LoadResult:
    """One workload through one MTA."""

    messages: int
    seconds: float
    sent: list[Sent] = field(default_factory=list)
    #: Failures outside SMTP replies (lost connections, timeouts, a crashed tool).
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0

    def codes(self) -> Counter[int]:
        return Counter(s.code for s in self.sent)

    def latency_ms(self, quantile: float) -> float | None:
        """The *quantile* (0..1) of per-message latency, nearest rank."""
        if not self.sent:
            return None
        ordered = sorted(s.seconds for s in self.sent)
        rank = max(0, min(len(ordered) - 1, round(quantile * len(ordered)) - 1))
        return ordered[rank] * 1000

    def missed_rejects(self) -> list[Sent]:
        """Messages that had to get a 5xx and did not."""
        return [s for s in self.sent if s.expect == "reject" and s.code // 100 != 5]


# --- smtp-source ----------------------------------------------------------------


def smtp_source(
    port: int, count: int, size: int, sessions: int, timeout: float
) -> LoadResult:
    """``smtp-source``: *count* messages of *size* bytes over *sessions* sessions.

    Each session sends its messages over one connection (``-d``). Without ``-A``
    smtp-source stops at the first reply that is not positive, so a clean exit
    means every message was accepted.
    """
    program = shutil.which("smtp-source", path="/usr/sbin:/usr/bin:/sbin:/bin")
    if program is None:
        return LoadResult(0, 0.0, errors=["smtp-source is not installed (postfix)"])
    argv = [
        program,
        "-4",
        "-d",
        "-s",
        str(sessions),
        "-m",
        str(count),
        "-l",
        str(size),
        "-M",
        HELO,
        "-f",
        f"source@{HELO}",
        "-t",
        "sink@sink.test",
        "-S",
        "smtp-source 1 KB",
        f"{HOST}:{port}",
    ]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return LoadResult(0, timeout, errors=[f"smtp-source ran over {timeout:g} s"])
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        output = (done.stdout + done.stderr).decode(errors="replace").strip()
        return LoadResult(0, seconds, errors=[f"smtp-source: {output[-300:]}"])
    return LoadResult(count, seconds)


# --- a corpus over concurrent sessions -------------------------------------------


def send_corpus(
    port: int,
    messages: Sequence[Outgoing],
    sessions: int,
    deadline: float,
    timeout: float = 120.0,
    rate: float | None = None,
) -> LoadResult:
    """Send *messages* over *sessions* concurrent connections, each reused.

    Every session connects and says EHLO first; the clock starts when all of
    them are ready. No new message is started after *deadline* seconds.

    Without *rate* every session sends its next message as soon as the last one
    is answered (a closed loop: the MTA's speed sets the rate, and latency is
    sessions / rate). With *rate* (messages per second, all sessions together)
    session k starts its n-th message no earlier than n * sessions / rate
    seconds after the start (offset by k / rate): an offered load, whose latency
    shows the service time rather than the queue.
    """
    pending = list(reversed(messages))
    lock = threading.Lock()
    results: list[Sent] = []
    errors: list[str] = []
    started = [time.perf_counter()]
    stop_at = [started[0] + deadline]

    def go() -> None:  # run by the barrier once every session is connected
        started[0] = time.perf_counter()
        stop_at[0] = started[0] + deadline

    ready = threading.Barrier(sessions + 1, action=go)

    def take() -> Outgoing | None:
        with lock:
            if not pending or time.perf_counter() > stop_at[0]:
                return None
            return pending.pop()

    def session(number: int) -> None:
        client = _connect(port, timeout, errors)
        try:
            ready.wait()
        except threading.BrokenBarrierError:
            return
        due = started[0] + (number / rate if rate else 0.0)
        while (message := take()) is not None:
            if rate:
                time.sleep(max(0.0, due - time.perf_counter()))
                due += sessions / rate
            if client is None:
                client = _connect(port, timeout, errors)
                if client is None:
                    continue
            try:
                sent = transaction(client, message)
            except (OSError, smtplib.SMTPException) as exc:
                errors.append(f"{message.name}: {type(exc).__name__}: {exc}")
                _close(client)
                client = None
                continue
            with lock:
                results.append(sent)
            if sent.code == 421:
                _close(client)
                client = None
        if client is not None:
            _quit(client)

    threads = [
        threading.Thread(target=session, args=(i,), name=f"smtp-{i}", daemon=True)
        for i in range(sessions)
    ]
    for thread in threads:
        thread.start()
    try:
        ready.wait(timeout=timeout)
    except threading.BrokenBarrierError:
        errors.append("not every session could connect")
    for thread in threads:
        thread.join(deadline + 2 * timeout)
    seconds = time.perf_counter() - started[0]
    if pending:
        errors.append(f"{len(pending)} messages not sent within {deadline:g} s")
    return LoadResult(len(results), seconds, results, errors)


def transaction(client: smtplib.SMTP, message: Outgoing) -> Sent:
    """MAIL, RCPT, DATA for *message* on an open session; never raises on a reply."""
    started = time.perf_counter()

    def ended(code: int, text: bytes | str) -> Sent:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if code // 100 != 2 and code != 421:
            client.rset()
        return Sent(
            message.name,
            message.kind,
            message.expect,
            code,
            text,
            time.perf_counter() - started,
        )

    code, text = client.mail(message.mail_from)
    if code != 250:
        return ended(code, text)
    accepted = 0
    for recipient in message.rcpt_tos:
        code, text = client.rcpt(recipient)
        accepted += code in (250, 251)
    if not accepted:
        return ended(code, text)
    code, text = client.docmd("DATA")
    if code != 354:
        return ended(code, text)
    client.send(message.wire + b".\r\n")
    code, text = client.getreply()
    return ended(code, text)


def _connect(port: int, timeout: float, errors: list[str]) -> smtplib.SMTP | None:
    try:
        client = smtplib.SMTP(HOST, port, local_hostname=HELO, timeout=timeout)
        client.ehlo()
    except (OSError, smtplib.SMTPException) as exc:
        errors.append(f"connect: {type(exc).__name__}: {exc}")
        return None
    return client


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        _close(client)


def _close(client: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        client.close()


# --- one big message --------------------------------------------------------------


def big_message(megabytes: float, seed: int = 50) -> Outgoing:
    """A message of about *megabytes* MB: a note and base64 of random bytes.

    Random bytes do not compress, so nothing on the way can shortcut them.
    """
    raw_size = int(megabytes * 1_000_000 * 57 / 78)  # base64 lines: 76 + CRLF per 57
    payload = random.Random(seed).randbytes(raw_size)
    encoded = base64.encodebytes(payload).replace(b"\n", b"\r\n")
    boundary = f"=_bench_big_{seed}"
    head = (
        "From: Backup Robot <backup@bench.mailwarden.test>\r\n"
        "To: archive@sink.test\r\n"
        f"Subject: nightly backup, {megabytes:g} MB\r\n"
        "Date: Mon, 03 Mar 2025 02:00:00 +0000\r\n"
        f"Message-ID: <big.{seed}@bench.mailwarden.test>\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        "Tonight's backup is attached.\r\n\r\n"
        f"--{boundary}\r\n"
        'Content-Type: application/octet-stream; name="backup.bin"\r\n'
        'Content-Disposition: attachment; filename="backup.bin"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode()
    wire = head + encoded + f"\r\n--{boundary}--\r\n".encode()
    return Outgoing(
        name=f"big-{megabytes:g}MB",
        kind="big",
        mail_from="backup@bench.mailwarden.test",
        rcpt_tos=("archive@sink.test",),
        wire=wire,
    )


def send_one(port: int, message: Outgoing, timeout: float) -> LoadResult:
    """One message over one new session."""
    errors: list[str] = []
    client = _connect(port, timeout, errors)
    if client is None:
        return LoadResult(0, 0.0, errors=errors)
    started = time.perf_counter()
    try:
        sent = transaction(client, message)
    except (OSError, smtplib.SMTPException) as exc:
        _close(client)
        return LoadResult(
            0, time.perf_counter() - started, errors=[f"{type(exc).__name__}: {exc}"]
        )
    _quit(client)
    return LoadResult(1, sent.seconds, [sent])
