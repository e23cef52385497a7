"""The test stack's own helpers that need no daemon: Maildir reading, demo options."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.config import CLAMD_PORT, DEFAULT_STATEDIR, POSTFIX_PORT, SENDMAIL_PORT
from devstack.demo import stack_config
from devstack.maildir import DeliveredMessage


def nested(depth: int) -> bytes:
    """A message with *depth* multiparts one inside the other."""
    level = b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n%s\n--b%d--\n"
    part = b"\ninnermost\n"
    for n in range(depth):
        part = level % (n, n, part, n)
    return (
        b"Message-ID: <deep@example.test>\nSubject: deep\n"
        b"X-Mailwarden-Verdict: clean\nX-Mailwarden-Verdict: forged\n" + part
    )


def test_headers_of_a_deeply_nested_delivery() -> None:
    """Header lookups on a delivered mail read its header block only, so a mail
    nested 1000 deep (where parsed() raises RecursionError) still answers."""
    delivered = DeliveredMessage(Path("new/1"), nested(1000))
    assert delivered.message_id == "<deep@example.test>"
    assert delivered.header("Subject") == "deep"
    assert delivered.header("X-Missing") is None
    assert delivered.headers("X-Mailwarden-Verdict") == ["clean", "forged"]


def test_demo_port_offset_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The demo takes its port offset from MAILWARDEN_DEVSTACK_PORTS, as the
    integration tests do, moves every port and suffixes the state directory; an
    explicit --port-offset or --statedir wins."""
    monkeypatch.setenv("MAILWARDEN_DEVSTACK_PORTS", "600")
    config, keep = stack_config([])
    ports = (config.postfix_port, config.sendmail_port, config.clamd_port)
    assert ports == (POSTFIX_PORT + 600, SENDMAIL_PORT + 600, CLAMD_PORT + 600)
    assert config.statedir == DEFAULT_STATEDIR.with_name(f"{DEFAULT_STATEDIR.name}-600")
    assert not keep

    config, _ = stack_config(["--port-offset", "5", "--statedir", "/tmp/x"])
    assert (config.postfix_port, config.statedir) == (POSTFIX_PORT + 5, Path("/tmp/x"))

    monkeypatch.delenv("MAILWARDEN_DEVSTACK_PORTS")
    config, _ = stack_config(["--keep"])
    assert (config.postfix_port, config.statedir) == (POSTFIX_PORT, DEFAULT_STATEDIR)
