"""The milter on an inet socket behind Postfix.

A second mailwarden listens on ``inet:PORT@127.0.0.1`` and a second smtpd listener
of the test Postfix uses it (``-o smtpd_milters=inet:127.0.0.1:PORT``), so the
unix-socket stack of the other tests is left as it is.
"""

from __future__ import annotations

import socket
import subprocess
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import Stack, make_message, send_message

REPO = Path(__file__).resolve().parents[2]


def _toml(data: dict[str, object]) -> str:
    lines: list[str] = []
    for section, values in data.items():
        assert isinstance(values, dict)
        lines.append(f"[{section}]")
        for key, value in values.items():
            if isinstance(value, str):
                lines.append(f'{key} = "{value}"')
            elif isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            elif isinstance(value, list):
                lines.append(f"{key} = [{', '.join(repr(v) for v in value)}]")
            else:
                lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


def _wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


@pytest.fixture
def inet_listener(stack: Stack, tmp_path: Path) -> Iterator[int]:
    """An smtpd on a spare port whose milter is mailwarden on an inet socket."""
    milter_port = stack.config.postfix_port + 1900
    smtp_port = stack.config.postfix_port + 2
    settings = tomllib.loads(stack.config.milter_config.read_text())
    settings["milter"]["socket"] = f"inet:{milter_port}@127.0.0.1"
    config = tmp_path / "inet.toml"
    config.write_text(_toml(settings))
    log = (tmp_path / "milter.log").open("wb")
    milter = subprocess.Popen(
        [str(REPO / ".venv/bin/mailwarden"), "milter", "--config", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    postconf = ["postconf", "-c", str(stack.postfix.config_dir)]
    service = f"127.0.0.1:{smtp_port}/inet"
    subprocess.run(
        [
            *postconf,
            "-M",
            f"{service}=127.0.0.1:{smtp_port} inet n - n - - smtpd "
            f"-o smtpd_milters=inet:127.0.0.1:{milter_port}",
        ],
        check=True,
    )
    subprocess.run(
        ["postfix", "-c", str(stack.postfix.config_dir), "reload"],
        check=True,
        capture_output=True,
    )
    try:
        _wait_for_port(milter_port)
        _wait_for_port(smtp_port)
        yield smtp_port
    finally:
        subprocess.run([*postconf, "-MX", service], check=True)
        subprocess.run(
            ["postfix", "-c", str(stack.postfix.config_dir), "reload"],
            check=True,
            capture_output=True,
        )
        milter.terminate()
        milter.wait(30)
        log.close()


def test_inet_socket_tags_and_rejects(stack: Stack, inet_listener: int) -> None:
    """Over an inet socket the milter tags and rejects exactly as over unix."""
    tagged = make_message(body="Card 4111 1111 1111 1111\n")
    rejected = make_message()
    rejected.add_attachment(
        b"MZ", maintype="application", subtype="octet-stream", filename="a.exe"
    )

    tagged_result = send_message(inet_listener, tagged)
    rejected_result = send_message(inet_listener, rejected)

    assert tagged_result.accepted, tagged_result
    delivered = stack.postfix.maildir.wait_for_message(tagged["Message-ID"])
    assert delivered.header("X-Mailwarden-Verdict") == "sensitive"
    assert rejected_result.reply.code == 550, rejected_result
