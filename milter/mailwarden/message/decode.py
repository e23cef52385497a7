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
from dataclasses import dataclass, field

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


@dataclass
class Decoded:
    """Decoded bytes, and whether base64 data went on after padding: there
    decoders disagree, and the other reading must be inspected too."""

    content: bytes | bytearray
    inner_padding: bool = False


def decode_base64(buf: Buffer, start: int, end: int) -> Decoded:
    """Decode base64 in ``buf[start:end]`` the way mail clients do.

    Characters outside the alphabet are skipped. Padding does not end the data:
    the input is read in groups of four, a group with ``=`` gives the bytes before
    its padding, and decoding goes on with the next group (Thunderbird's reading).
    Padding in the middle therefore keeps the groups after it aligned, and no
    payload can hide behind a stray ``=``.
    """
    state = _Groups()
    carry = b""
    for pos in range(start, end, _CHUNK):
        data = carry + buf[pos : min(pos + _CHUNK, end)].translate(None, _NOT_B64)
        carry = _decode_groups(data, state)
        release(buf, pos, min(pos + _CHUNK, end))
    carry = carry.rstrip(b"=")
    if len(carry) >= 2:
        state.read(carry + b"=" * (-len(carry) % 4))
    return Decoded(state.out, state.inner_padding)


@dataclass
class _Groups:
    out: bytearray = field(default_factory=bytearray)
    padded: bool = False
    inner_padding: bool = False

    def read(self, groups: bytes) -> None:
        if groups:
            self.inner_padding |= self.padded
            self.out += binascii.a2b_base64(groups)


def _decode_groups(data: bytes, state: _Groups) -> bytes:
    """Decode the complete groups of *data* into *state*; return the rest."""
    pos = 0
    while (padding := data.find(b"=", pos)) >= 0:
        group = pos + (padding - pos) // 4 * 4
        if group + 4 > len(data):
            break  # the group with the padding continues in the next chunk
        state.read(data[pos:group])
        if padding - group >= 2:
            state.read(data[group:padding] + b"==")
        state.padded = True
        pos = group + 4
        while data[pos : pos + 1] == b"=":
            pos += 1
    usable = pos + (len(data) - pos) // 4 * 4
    if data.find(b"=", pos, usable) < 0:
        state.read(data[pos:usable])
        return data[usable:]
    return data[pos:]


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


def decode_body(buf: Buffer, start: int, end: int, encoding: str) -> Decoded:
    """Decode ``buf[start:end]`` by its (normalised) Content-Transfer-Encoding."""
    if encoding == "base64":
        return decode_base64(buf, start, end)
    if encoding == "quoted-printable":
        return Decoded(decode_quoted_printable(buf[start:end]))
    return Decoded(buf[start:end])
