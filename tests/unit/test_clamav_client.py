"""The clamd client's failure modes, with fake servers for faults a real clamd does
not easily produce (silence, garbage). Detection itself is tested against a real
clamd in tests/integration.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailwarden.config import ClamavConfig
from mailwarden.detect.base import ScanInput
from mailwarden.detect.clamav import ClamavDetector, ClamdClient
from mailwarden.errors import ScannerTimeout, ScannerUnavailable
from mailwarden.model import Defect, Envelope, FindingKind, Part


def fake_clamd(path: Path, answer: Callable[[socket.socket], None]) -> threading.Thread:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(8)

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection, contextlib.suppress(EOFError):
                answer(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def read_stream(connection: socket.socket) -> bytes:
    """Consume one INSTREAM request; return the streamed bytes.

    pyclamd opens and closes one connection to test the socket: that one ends
    before any command, and ``EOFError`` stops its handler.
    """
    data = b""
    while b"\0" not in data[:12]:
        chunk = connection.recv(4096)
        if not chunk:
            raise EOFError
        data += chunk
    buffer = data[data.index(b"\0") + 1 :]
    payload = b""
    while True:
        while len(buffer) < 4:
            buffer += connection.recv(65536)
        size = int.from_bytes(buffer[:4], "big")
        buffer = buffer[4:]
        if size == 0:
            return payload
        while len(buffer) < size:
            buffer += connection.recv(65536)
        payload += buffer[:size]
        buffer = buffer[size:]


@pytest.fixture
def socket_path(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "clamd.sock"


def test_unreachable_clamd_is_unavailable(socket_path: Path) -> None:
    """No socket: ScannerUnavailable naming the server."""
    client = ClamdClient(f"unix:{socket_path}", timeout=1)
    with pytest.raises(ScannerUnavailable, match=str(socket_path)):
        client.instream(b"data")


def test_silent_clamd_times_out(socket_path: Path) -> None:
    """A clamd that reads but never answers gives ScannerTimeout, not a hang."""
    fake_clamd(socket_path, lambda c: (read_stream(c), c.recv(1)))
    client = ClamdClient(f"unix:{socket_path}", timeout=0.5)
    with pytest.raises(ScannerTimeout):
        client.instream(b"data")


def test_garbage_answer_is_unavailable(socket_path: Path) -> None:
    """An answer that is neither OK nor FOUND is an error, never a clean result."""
    fake_clamd(socket_path, lambda c: (read_stream(c), c.sendall(b"HELLO?\0")))
    with pytest.raises(ScannerUnavailable, match="unexpected answer"):
        ClamdClient(f"unix:{socket_path}", timeout=2).instream(b"data")


def test_stream_framing_and_found(socket_path: Path) -> None:
    """A large stream arrives intact in chunks; FOUND gives the signature name."""
    received: list[bytes] = []

    def answer(connection: socket.socket) -> None:
        received.append(read_stream(connection))
        connection.sendall(b"stream: Test.Sig.UNOFFICIAL FOUND\0")

    fake_clamd(socket_path, answer)
    payload = bytes(range(256)) * 4096
    client = ClamdClient(f"unix:{socket_path}", timeout=5)
    assert client.instream(payload) == "Test.Sig.UNOFFICIAL"
    assert received[-1] == payload


def test_size_limit_becomes_unscannable_flag(socket_path: Path) -> None:
    """A part larger than max_stream_bytes is not sent and is flagged."""
    fake_clamd(socket_path, lambda c: (read_stream(c), c.sendall(b"stream: OK\0")))
    config = ClamavConfig(
        servers=(f"unix:{socket_path}",), max_stream_bytes=100, scan_raw_message=False
    )
    part = Part(
        "attachment:big.bin",
        1,
        "application/octet-stream",
        b"x" * 500,
        ("big.bin",),
        "attachment",
    )
    found = ClamavDetector(config).scan(ScanInput(b"", (part,), Envelope()))
    assert [(f.kind, f.rule) for f in found] == [
        (FindingKind.UNSCANNABLE, "clamav_size_limit")
    ]


@pytest.mark.parametrize(
    ("mode", "defective", "streams"),
    [
        ("defective", False, 1),
        ("defective", True, 2),
        ("all", False, 2),
        ("none", True, 1),
    ],
)
def test_part_scans(
    socket_path: Path, mode: str, defective: bool, streams: int
) -> None:
    """Decoded parts are streamed besides the raw message only as configured."""
    received: list[bytes] = []

    def answer(connection: socket.socket) -> None:
        received.append(read_stream(connection))
        connection.sendall(b"stream: OK\0")

    fake_clamd(socket_path, answer)
    config = ClamavConfig.model_validate(
        {"servers": [f"unix:{socket_path}"], "part_scans": mode}
    )
    defects = (Defect("missing_final_boundary"),) if defective else ()
    part = Part(
        "attachment:a.pdf",
        1,
        "application/pdf",
        b"%PDF",
        ("a.pdf",),
        "attachment",
        defects=defects,
    )
    ClamavDetector(config).scan(ScanInput(b"raw message", (part,), Envelope()))
    assert len(received) == streams
