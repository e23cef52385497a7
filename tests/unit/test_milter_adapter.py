"""The pymilter adapter driven in-process through Milter.testctx (no socket).

Proves the envelope is recorded, state resets between messages and on abort, the
decision becomes the right milter reply, and failures tempfail.
"""

from __future__ import annotations

import base64
import mmap
import time
from dataclasses import replace
from pathlib import Path

import Milter
import pytest
from Milter.testctx import TestCtx as MilterTestContext

from mailwarden.config import ClamavConfig, Config, MilterConfig, QuarantineConfig
from mailwarden.detect.base import ScanInput
from mailwarden.errors import ScannerUnavailable
from mailwarden.milter import MailwardenMilter, Service
from mailwarden.model import Finding
from mailwarden.pipeline import Pipeline
from mailwarden.quarantine import QuarantineStore

OK = (Milter.CONTINUE, Milter.NOREPLY)


class Recorder:
    """A detector that remembers what it was given."""

    name = "recorder"

    def __init__(self) -> None:
        self.seen: list[ScanInput] = []
        self.buffer_types: list[type] = []

    def scan(self, message: ScanInput) -> list[Finding]:
        # The buffer is only valid during the inspection: keep a copy.
        self.buffer_types.append(type(message.raw))
        self.seen.append(replace(message, raw=bytes(message.raw)))
        return []


class Down:
    """A detector whose scanner is unreachable."""

    name = "clamav"

    def scan(self, message: ScanInput) -> list[Finding]:
        raise ScannerUnavailable("clamd unix:/nowhere: connection refused")


def service(tmp_path: Path, *extra: object, threshold: int = 1 << 20) -> Service:
    config = Config(
        milter=MilterConfig(spool_threshold=threshold, hold=True),
        clamav=ClamavConfig(enabled=False),
        quarantine=QuarantineConfig(directory=tmp_path / "q"),
    )
    base = Pipeline.from_config(config)
    pipeline = Pipeline(config, base._types, (*base.detectors, *extra))  # type: ignore[arg-type]
    store = QuarantineStore(config.quarantine.directory)
    store.ensure()
    return Service.start(config, pipeline, store)


def send(
    ctx: MilterTestContext,
    headers: list[tuple[str, str]],
    body: bytes,
    rcpts: tuple[str, ...] = ("<someone@example.test>",),
) -> int:
    assert ctx._envfrom("<alice@sender.test>") in OK
    for rcpt in rcpts:
        assert ctx._envrcpt(rcpt) in OK
    for name, value in headers:
        assert ctx._header(name, value) in OK
    assert ctx._eoh() in OK
    assert ctx._priv.body(body) in OK
    return int(ctx._eom())


#: Protocol steps the test MTA offers: everything but the no-reply bits, because
#: TestCtx closes the connection on any answer other than CONTINUE. The real
#: no-reply path is exercised by the integration tests against Postfix.
NO_NOREPLY = 0x1FFFFF & ~(
    Milter.P_NR_CONN
    | Milter.P_NR_HELO
    | Milter.P_NR_MAIL
    | Milter.P_NR_RCPT
    | Milter.P_NR_DATA
    | Milter.P_NR_UNKN
    | Milter.P_NR_EOH
    | Milter.P_NR_BODY
    | Milter.P_NR_HDR
)


@pytest.fixture
def ctx(monkeypatch: pytest.MonkeyPatch) -> MilterTestContext:
    monkeypatch.setattr(
        MilterTestContext, "default_opts", [Milter.CURR_ACTS, NO_NOREPLY, 0, 0]
    )
    context = MilterTestContext()
    context._setsymval("i", "4AbCdE")
    Milter.factory = MailwardenMilter
    return context


def test_envelope_and_two_messages_on_one_connection(
    tmp_path: Path, ctx: MilterTestContext
) -> None:
    """Each message on a connection gets its own envelope and body, nothing carried."""
    recorder = Recorder()
    MailwardenMilter.service = service(tmp_path, recorder)
    assert ctx._connect("mx.sender.test", "helo.sender.test", "192.0.2.7") in OK
    assert (
        send(
            ctx,
            [("Subject", "one")],
            b"first\r\n",
            ("<a@example.test>", "<b@example.test>"),
        )
        == Milter.ACCEPT
    )
    assert send(ctx, [("Subject", "two")], b"second\r\n") == Milter.ACCEPT

    first, second = recorder.seen
    assert first.envelope.client_address == "192.0.2.7"
    assert first.envelope.helo == "helo.sender.test"
    assert first.envelope.mail_from == "alice@sender.test"
    assert first.envelope.rcpt_tos == ("a@example.test", "b@example.test")
    assert first.envelope.queue_id == "4AbCdE"
    assert bytes(first.raw) == b"Subject: one\r\n\r\nfirst\r\n"
    assert second.envelope.rcpt_tos == ("someone@example.test",)
    assert bytes(second.raw) == b"Subject: two\r\n\r\nsecond\r\n"


def test_abort_resets_message_state(tmp_path: Path, ctx: MilterTestContext) -> None:
    """After abort, the next message starts from an empty spool."""
    recorder = Recorder()
    MailwardenMilter.service = service(tmp_path, recorder)
    ctx._connect()
    ctx._envfrom("<x@sender.test>")
    ctx._header("Subject", "aborted")
    ctx._priv.abort()
    send(ctx, [("Subject", "kept")], b"b\r\n")
    assert bytes(recorder.seen[0].raw) == b"Subject: kept\r\n\r\nb\r\n"


def test_large_message_is_spooled_to_disk(
    tmp_path: Path, ctx: MilterTestContext
) -> None:
    """Past the threshold the body goes to a file and arrives intact."""
    recorder = Recorder()
    MailwardenMilter.service = service(tmp_path, recorder, threshold=1024)
    ctx._connect()
    body = b"line of text\r\n" * 10_000
    assert send(ctx, [("Subject", "big")], body) == Milter.ACCEPT
    assert bytes(recorder.seen[0].raw).endswith(body)
    assert recorder.buffer_types == [mmap.mmap]


def test_blocked_attachment_rejected_with_reply(
    tmp_path: Path, ctx: MilterTestContext
) -> None:
    """A .exe attachment gets 550 5.7.1 at end of message."""
    MailwardenMilter.service = service(tmp_path)
    ctx._connect()
    body = (
        b"--b\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="a.exe"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(b"hello")
        + b"\r\n--b--\r\n"
    )
    rc = send(ctx, [("Content-Type", 'multipart/mixed; boundary="b"')], body)
    assert rc == Milter.REJECT
    assert ctx._reply[0] == "550" and ctx._reply[1] == "5.7.1"


def test_scanner_down_tempfails(tmp_path: Path, ctx: MilterTestContext) -> None:
    """clamd unreachable: 451 4.7.1, never an accept."""
    MailwardenMilter.service = service(tmp_path, Down())
    ctx._connect()
    assert send(ctx, [("Subject", "x")], b"x\r\n") == Milter.TEMPFAIL
    assert ctx._reply[0] == "451"


def test_tag_adds_headers_and_strips_forged_ones(
    tmp_path: Path, ctx: MilterTestContext
) -> None:
    """A tagged message gets our headers; a forged verdict header is deleted first."""
    MailwardenMilter.service = service(tmp_path)
    ctx._connect()
    calls: list[tuple[str, ...]] = []
    milter = ctx._priv
    milter.chgheader = lambda name, idx, value: calls.append(
        ("chg", name, str(idx), value)
    )
    milter.addheader = lambda name, value, idx=-1: calls.append(("add", name, value))
    rc = send(
        ctx,
        [("Subject", "pay"), ("X-Mailwarden-Verdict", "clean")],
        b"card 4111 1111 1111 1111\r\n",
    )
    assert rc == Milter.ACCEPT
    assert calls[0] == ("chg", "x-mailwarden-verdict", "1", "")
    assert ("add", "X-Mailwarden-Verdict", "sensitive") in calls
    findings = [c for c in calls if c[:2] == ("add", "X-Mailwarden-Findings")]
    assert findings and "dlp:card_number" in findings[0][2]
    assert "4111 1111" not in findings[0][2]


def test_unexpected_exception_tempfails(tmp_path: Path, ctx: MilterTestContext) -> None:
    """A bug inside the pipeline becomes on_error (tempfail), not a crash or accept."""

    class Broken:
        name = "broken"

        def scan(self, message: ScanInput) -> list[Finding]:
            raise RuntimeError("bug")

    MailwardenMilter.service = service(tmp_path, Broken())
    ctx._connect()
    assert send(ctx, [("Subject", "x")], b"x\r\n") == Milter.TEMPFAIL


def test_quarantine_store_failure_tempfails(
    tmp_path: Path, ctx: MilterTestContext
) -> None:
    """When the quarantine cannot be written the message is tempfailed."""
    svc = service(tmp_path)
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    MailwardenMilter.service = Service.start(
        svc.config, svc.pipeline, QuarantineStore(blocker)
    )
    ctx._connect()
    body = (
        b"--b\r\nContent-Type: text/html\r\n"
        b'Content-Disposition: attachment; filename="invoice.pdf.html"\r\n\r\n'
        b"<html>hi</html>\r\n--b--\r\n"
    )
    rc = send(ctx, [("Content-Type", 'multipart/mixed; boundary="b"')], body)
    assert rc == Milter.TEMPFAIL


def test_quarantine_without_hold_delivers_nothing(
    tmp_path: Path, ctx: MilterTestContext
) -> None:
    """With milter.hold off, a quarantined message is stored and discarded."""
    svc = service(tmp_path)
    config = svc.config.model_copy(
        update={"milter": svc.config.milter.model_copy(update={"hold": False})}
    )
    MailwardenMilter.service = Service.start(config, svc.pipeline, svc.store)
    ctx._connect()
    body = (
        b"--b\r\nContent-Type: text/html\r\n"
        b'Content-Disposition: attachment; filename="invoice.pdf.html"\r\n\r\n'
        b"<html>hi</html>\r\n--b--\r\n"
    )
    rc = send(ctx, [("Content-Type", 'multipart/mixed; boundary="b"')], body)
    assert rc == Milter.DISCARD
    assert len(list((tmp_path / "q").glob("*/*/*/*.eml"))) == 1


def test_slow_inspection_tempfails(tmp_path: Path, ctx: MilterTestContext) -> None:
    """A message that takes longer than milter.inspect_timeout gets 451."""

    class Slow:
        name = "slow"

        def scan(self, message: ScanInput) -> list[Finding]:
            time.sleep(1)
            return []

    svc = service(tmp_path, Slow())
    config = svc.config.model_copy(
        update={"milter": svc.config.milter.model_copy(update={"inspect_timeout": 0.2})}
    )
    MailwardenMilter.service = Service.start(config, svc.pipeline, svc.store)
    ctx._connect()
    assert send(ctx, [("Subject", "x")], b"x\r\n") == Milter.TEMPFAIL
    assert ctx._reply[0] == "451"
