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
_NOT_B64 = bytes(b for b in range(256) if b not in _B64_ALPHABET + b"=")
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
    """Decode base64 in ``buf[start:end]`` the way mail clients do.

    Characters outside the alphabet are skipped. Padding does not end the data:
    the input is read in groups of four, a group with ``=`` gives the bytes before
    its padding, and decoding goes on with the next group (Thunderbird's reading).
    Padding in the middle therefore keeps the groups after it aligned, and no
    payload can hide behind a stray ``=``.
    """
    out = bytearray()
    carry = b""
    for pos in range(start, end, _CHUNK):
        data = carry + buf[pos : min(pos + _CHUNK, end)].translate(None, _NOT_B64)
        carry = _decode_groups(data, out)
        release(buf, pos, min(pos + _CHUNK, end))
    carry = carry.rstrip(b"=")
    if len(carry) >= 2:
        out += binascii.a2b_base64(carry + b"=" * (-len(carry) % 4))
    return out


def _decode_groups(data: bytes, out: bytearray) -> bytes:
    """Append the decoded complete groups of *data* to *out*; return the rest."""
    pos = 0
    while (padding := data.find(b"=", pos)) >= 0:
        group = pos + (padding - pos) // 4 * 4
        if group + 4 > len(data):
            break  # the group with the padding continues in the next chunk
        out += binascii.a2b_base64(data[pos:group])
        if padding - group >= 2:
            out += binascii.a2b_base64(data[group:padding] + b"==")
        pos = group + 4
        while data[pos : pos + 1] == b"=":
            pos += 1
    usable = pos + (len(data) - pos) // 4 * 4
    if data.find(b"=", pos, usable) < 0:
        out += binascii.a2b_base64(data[pos:usable])
        return data[usable:]
    return data[pos:]


def inner_padding(buf: Buffer, start: int, end: int) -> bool:
    """Whether base64 data goes on after padding, where decoders disagree."""
    padding = buf.find(b"=", start, end)
    if padding < 0:
        return False
    tail = buf[padding:end].translate(None, _NOT_B64)
    return bool(tail.strip(b"="))


def decode_base64_unpadded(buf: Buffer, start: int, end: int) -> bytearray:
    """The other reading of base64 with inner padding: every ``=`` ignored, as
    decoders that skip anything outside the alphabet read it."""
    data = buf[start:end].translate(None, _NOT_B64).replace(b"=", b"")
    usable = len(data) - len(data) % 4
    out = bytearray(binascii.a2b_base64(data[:usable]))
    if len(data) - usable >= 2:
        out += binascii.a2b_base64(data[usable:] + b"=" * (-len(data) % 4))
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
