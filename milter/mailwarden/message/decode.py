"""Content-Transfer-Encoding decoders that read what mail clients read.

Decoders are tolerant the way clients are: base64 skips characters outside its
alphabet instead of giving up, quoted-printable leaves bad escapes as they are. Each
works on a slice of the message buffer and decodes base64 in bounded chunks so a large
attachment is never held twice in memory.
"""

from __future__ import annotations

import binascii
import contextlib
import mmap

Buffer = bytes | mmap.mmap

_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NOT_B64 = bytes(b for b in range(256) if b not in _B64_ALPHABET)
_CHUNK = 1 << 20


def release(buf: Buffer | bytearray, start: int, end: int) -> None:
    """Drop the pages of ``buf[start:end]`` from this process's memory.

    For an ``mmap`` of the spool file only: the pages stay in the page cache and
    come back on the next access, but a large message read front to back no longer
    counts whole in the milter's resident memory. Other buffers are left alone.
    """
    if not isinstance(buf, mmap.mmap) or end - start < mmap.PAGESIZE:
        return
    first = start - start % mmap.PAGESIZE
    with contextlib.suppress(OSError, ValueError):
        buf.madvise(mmap.MADV_DONTNEED, first, min(end, len(buf)) - first)


def decode_base64(buf: Buffer, start: int, end: int) -> bytes | bytearray:
    """Decode base64 in ``buf[start:end]``, skipping junk and padding anywhere.

    Padding in the middle of the data is dropped rather than treated as the end, as
    tolerant clients do, so nothing after a stray ``=`` escapes inspection.
    """
    out = bytearray()
    carry = b""
    for pos in range(start, end, _CHUNK):
        chunk = carry + buf[pos : min(pos + _CHUNK, end)].translate(None, _NOT_B64)
        usable = len(chunk) - len(chunk) % 4
        out += binascii.a2b_base64(chunk[:usable])
        carry = chunk[usable:]
        release(buf, pos, min(pos + _CHUNK, end))
    if len(carry) >= 2:
        out += binascii.a2b_base64(carry + b"=" * (4 - len(carry)))
    return out


def decode_quoted_printable(data: bytes) -> bytes:
    """Decode quoted-printable; malformed escapes pass through unchanged."""
    return binascii.a2b_qp(data)


def decode_body(buf: Buffer, start: int, end: int, encoding: str) -> bytes | bytearray:
    """Decode ``buf[start:end]`` by its (normalised) Content-Transfer-Encoding."""
    if encoding == "base64":
        return decode_base64(buf, start, end)
    if encoding == "quoted-printable":
        return decode_quoted_printable(buf[start:end])
    return buf[start:end]
