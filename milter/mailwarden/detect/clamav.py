"""ClamAV through clamd: INSTREAM of the raw message and of decoded parts.

clamd reads MIME itself, so the raw message stream already has every attachment
scanned as clamd decodes it. Decoded parts are streamed as well where mailwarden's
reading of the message may differ from clamd's: by default (``clamav.part_scans =
"defective"``) when the walk recorded a structural defect, or always (``"all"``).
Each stream is one clamd round trip, the main per-message cost of a milter.

Connections go through pyclamd. Its own ``scan_stream`` writes with ``send()``,
which may send only part of a chunk and then corrupts the INSTREAM framing, so the
stream is written here with ``sendall`` over pyclamd's socket handling.

Decoded text bodies that were not transfer-encoded are byte-for-byte inside the raw
message and are never sent again.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from typing import Any

import pyclamd

from mailwarden.config import ClamavConfig, PartScans
from mailwarden.detect.base import Pool, ScanInput
from mailwarden.errors import ScannerTimeout, ScannerUnavailable
from mailwarden.message import Buffer
from mailwarden.message.decode import release
from mailwarden.model import Finding, FindingKind, Part, Severity

_CHUNK = 1 << 16
_IDENTITY = frozenset({"", "7bit", "8bit", "binary"})


class ClamdClient:
    """One clamd server; safe to share between threads (it pools connections)."""

    def __init__(self, address: str, timeout: float) -> None:
        self.address = address
        self._timeout = timeout
        self._pool: Pool[Any] = Pool(self._connect)

    def _connect(self) -> Any:
        try:
            if self.address.startswith("unix:"):
                return pyclamd.ClamdUnixSocket(
                    self.address.removeprefix("unix:"), self._timeout
                )
            host, _, port = self.address.removeprefix("tcp:").rpartition(":")
            return pyclamd.ClamdNetworkSocket(host, int(port), self._timeout)
        except pyclamd.ConnectionError as exc:
            raise ScannerUnavailable(f"clamd {self.address}: {exc}") from exc

    def instream(self, data: Buffer | bytearray) -> str | None:
        """Scan *data*; return the signature name or None when clean."""
        with self._pool.borrow() as clamd:
            try:
                clamd._init_socket()
                try:
                    clamd.clamd_socket.sendall(b"zINSTREAM\0")
                    for chunk in _chunks(data):
                        clamd.clamd_socket.sendall(struct.pack("!L", len(chunk)))
                        clamd.clamd_socket.sendall(chunk)
                    clamd.clamd_socket.sendall(struct.pack("!L", 0))
                    reply = _read_reply(clamd.clamd_socket)
                finally:
                    clamd._close_socket()
            except TimeoutError as exc:
                raise ScannerTimeout(
                    f"clamd {self.address}: no answer in time"
                ) from exc
            except (OSError, pyclamd.ConnectionError) as exc:
                raise ScannerUnavailable(f"clamd {self.address}: {exc}") from exc
        return _parse_reply(reply, self.address)

    def ping(self) -> str:
        """clamd's VERSION string; raises ScannerUnavailable when it does not answer."""
        with self._pool.borrow() as clamd:
            try:
                return str(clamd.version())
            except (OSError, pyclamd.ConnectionError) as exc:
                raise ScannerUnavailable(f"clamd {self.address}: {exc}") from exc


def _chunks(data: Buffer | bytearray) -> Iterator[bytes | memoryview]:
    view = memoryview(data)
    for pos in range(0, len(view), _CHUNK):
        yield view[pos : pos + _CHUNK]
        release(data, pos, pos + _CHUNK)
    view.release()


def _read_reply(sock: socket.socket) -> bytes:
    reply = b""
    while not reply.endswith(b"\0"):
        data = sock.recv(4096)
        if not data:
            break
        reply += data
    return reply.rstrip(b"\0").strip()


def _parse_reply(reply: bytes, address: str) -> str | None:
    text = reply.decode("utf-8", "replace")
    if text.endswith("OK") and "FOUND" not in text:
        return None
    if text.endswith(" FOUND"):
        return text.removeprefix("stream:").strip().removesuffix(" FOUND").strip()
    if "size limit exceeded" in text:
        raise ScannerUnavailable(f"clamd {address}: stream exceeds StreamMaxLength")
    raise ScannerUnavailable(f"clamd {address}: unexpected answer {text[:80]!r}")


class ClamavDetector:
    name = "clamav"

    def __init__(self, config: ClamavConfig) -> None:
        self._config = config
        self.clients = tuple(ClamdClient(a, config.timeout) for a in config.servers)

    def scan(self, message: ScanInput) -> list[Finding]:
        findings: list[Finding] = []
        targets: list[tuple[str, Buffer | bytearray]] = []
        if self._config.scan_raw_message:
            targets.append(("message", message.raw))
        if self._scans_parts(message):
            targets += [(p.part_path, p.content) for p in message.leaves() if _worth(p)]
        for part_path, data in targets:
            if len(data) > self._config.max_stream_bytes:
                findings.append(_too_large(part_path, len(data)))
                continue
            signature = self._scan(data)
            if signature is not None:
                findings.append(
                    Finding(
                        kind=FindingKind.MALWARE,
                        detector=self.name,
                        rule=signature,
                        part_path=part_path,
                        severity=Severity.CRITICAL,
                        description=f"ClamAV: {signature}",
                    )
                )
        return findings

    def _scans_parts(self, message: ScanInput) -> bool:
        mode = self._config.part_scans
        if mode == PartScans.ALL or not self._config.scan_raw_message:
            return True
        if mode == PartScans.DEFECTIVE:
            return any(part.defects for part in message.parts)
        return False

    def _scan(self, data: Buffer | bytearray) -> str | None:
        # TODO(#4): fail over to the next server and say so in a WARNING.
        return self.clients[0].instream(data)


def _worth(part: Part) -> bool:
    if not part.content:
        return False
    return part.is_attachment or part.transfer_encoding not in _IDENTITY


def _too_large(part_path: str, size: int) -> Finding:
    return Finding(
        kind=FindingKind.UNSCANNABLE,
        detector=ClamavDetector.name,
        rule="clamav_size_limit",
        part_path=part_path,
        severity=Severity.MEDIUM,
        description=f"{size} bytes exceed clamav.max_stream_bytes",
    )
