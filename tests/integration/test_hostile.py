"""Hostile mail through the real Postfix, milter and clamd: tricks that once got
past, and the quarantine when the MTA's hold queue is not used."""

from __future__ import annotations

import base64

from devstack import Stack
from devstack.outcome import Outcome, observe
from samples.build import eicar


def _mail(attachment_headers: str, body: str) -> bytes:
    return (
        "From: mallory@sender.test\r\nTo: someone@example.test\r\n"
        "Subject: invoice\r\nMessage-ID: <h@sender.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        f"--b\r\n{attachment_headers}\r\n\r\n{body}\r\n--b--\r\n"
    ).encode()


def test_eicar_behind_inner_base64_padding_is_rejected(stack: Stack) -> None:
    """'WA==' then the rest of EICAR: clients decode EICAR; so does the milter,
    and clamd gets the decoded part because the encoding is ambiguous."""
    test_file = eicar()
    body = "WA==" + base64.b64encode(test_file[1:]).decode()
    raw = _mail(
        "Content-Type: application/octet-stream\r\n"
        'Content-Disposition: attachment; filename="readme.txt"\r\n'
        "Content-Transfer-Encoding: base64",
        body,
    )

    observation = observe(stack.postfix, raw, stack.config.quarantine_dir)

    assert observation.outcome == Outcome.REJECT, observation
    assert "malware" in observation.result.reply.text


def test_filename_star_beats_filename(stack: Stack) -> None:
    """A .js named only in filename* (what clients show) is rejected."""
    raw = _mail(
        "Content-Type: application/octet-stream\r\n"
        'Content-Disposition: attachment; filename="invoice.pdf"; '
        "filename*=UTF-8''invoice.js",
        base64.b64encode(b"WScript.Echo(1)").decode(),
    )

    observation = observe(stack.postfix, raw, stack.config.quarantine_dir)

    assert observation.outcome == Outcome.REJECT, observation


def test_quarantine_without_hold_queue_delivers_nothing(stack: Stack) -> None:
    """With milter.hold off, a quarantined mail is stored, not delivered, not held."""
    raw = _mail(
        "Content-Type: text/html\r\n"
        'Content-Disposition: attachment; filename="invoice.pdf.html"',
        "<html><body>pay here</body></html>",
    )

    with stack.milter.configured({"milter": {"hold": False}}):
        observation = observe(stack.postfix, raw, stack.config.quarantine_dir)

    assert observation.outcome == Outcome.QUARANTINE, observation
    assert not observation.held
    assert stack.postfix.maildir.find(observation.message_id) is None
