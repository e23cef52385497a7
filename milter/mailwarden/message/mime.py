"""The MIME walk: raw bytes to a flat tuple of Parts in tree (pre-)order.

The walk works on byte offsets into one buffer (``bytes`` or an ``mmap`` of the spool
file), so a large message is not copied before it is decoded. Only header blocks go
through the stdlib ``email`` parser; multipart bodies are split here (RFC 2046
section 5.1.1) with an explicit stack instead of recursion, so nesting depth costs no
Python stack. Anomalies become Defects on the part; limits become the flag
``limits_exceeded``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from email.policy import compat32

from mailwarden.config import LimitsConfig
from mailwarden.message.decode import (
    Buffer,
    decode_base64_unpadded,
    decode_body,
    release,
)
from mailwarden.message.names import filename_candidates, visible_name
from mailwarden.model import Defect, Part

_MAX_HEADER_BLOCK = 1 << 20
_PATH_UNSAFE = re.compile(r"[\x00-\x1f\x7f:]")
# Raised by the stdlib parser because it is shown a header block without its body.
_BODY_ONLY_DEFECTS = frozenset(
    {
        "StartBoundaryNotFoundDefect",
        "CloseBoundaryNotFoundDefect",
        "MultipartInvariantViolationDefect",
    }
)
#: Parts whose body is a whole message of its own (RFC 2046 5.2, RFC 5536, RFC 6532).
_EMBEDDED_MESSAGES = frozenset({"message/rfc822", "message/news", "message/global"})
_MAX_PARAM_HEADER = 8192
_MAX_PARAMS = 64
_SPACE_BEFORE_COLON = re.compile(rb"^([!-9;-~]+)[ \t]+:", re.M)
_NOT_A_HEADER = re.compile(rb"^[^ \t\r\n][^:\r\n]*\r?\n?$")
_ODD_HEADER_LINE = re.compile(rb"^(?:[!-9;-~]+[ \t]+:|[^ \t\r\n][^:\r\n]*\r?$)", re.M)
_KNOWN_ENCODINGS = frozenset(
    {"7bit", "8bit", "binary", "base64", "quoted-printable", ""}
)


@dataclass(frozen=True)
class ParsedMessage:
    """The parts of a message and what the walk noticed on the way."""

    parts: tuple[Part, ...]
    defects: tuple[Defect, ...]
    flags: tuple[str, ...]
    subject: str = ""
    message_id: str = ""


@dataclass
class _Frame:
    """One entity still to be walked: a region of a buffer and where it sits."""

    buf: Buffer
    start: int
    end: int
    depth: int
    section: str
    prefix: str
    default_type: str = "text/plain"


@dataclass
class _Walk:
    limits: LimitsConfig
    parts: list[Part] = field(default_factory=list)
    defects: list[Defect] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)
    decoded_bytes: int = 0
    root_headers: Message = field(default_factory=Message)

    def unique(self, path: str) -> str:
        candidate, n = path, 1
        while candidate in self.paths:
            n += 1
            candidate = f"{path}#{n}"
        self.paths.add(candidate)
        return candidate

    def exceed(self, detail: str) -> None:
        self.flags.add("limits_exceeded")
        self.defects.append(Defect("limits_exceeded", detail))


def parse_message(raw: Buffer, limits: LimitsConfig) -> ParsedMessage:
    """Walk *raw* into Parts; never raises on malformed input."""
    walk = _Walk(limits)
    stack = [_Frame(raw, 0, len(raw), 0, "", "")]
    while stack:
        frame = stack.pop()
        if len(walk.parts) >= limits.max_parts:
            walk.exceed(f"more than {limits.max_parts} parts")
            break
        stack.extend(reversed(_visit(frame, walk)))
    return ParsedMessage(
        parts=tuple(walk.parts),
        defects=tuple(walk.defects),
        flags=tuple(sorted(walk.flags)),
        subject=_decoded_header(walk.root_headers, "subject"),
        message_id=_decoded_header(walk.root_headers, "message-id"),
    )


def _visit(frame: _Frame, walk: _Walk) -> list[_Frame]:
    """Record the entity in *frame* as a Part; return the frames of its children."""
    headers, body_start, defects = _headers(frame.buf, frame.start, frame.end, walk)
    if not walk.parts:
        walk.root_headers = headers
    ctype = _content_type(headers, frame.default_type)
    names = filename_candidates(headers)
    encoding, encoding_defects = _transfer_encoding(headers, walk)
    defects += encoding_defects
    path = walk.unique(_part_path(frame, ctype, names))
    part = Part(
        part_path=path,
        depth=frame.depth,
        declared_type=ctype,
        filenames=names,
        disposition=_disposition(headers),
        charset=headers.get_content_charset("") or "",
        transfer_encoding=encoding,
    )
    too_deep = frame.depth >= walk.limits.max_depth

    if ctype.startswith("multipart/") and not too_deep:
        boundary = headers.get_boundary()
        if boundary:
            bodies, split_defects = _split(frame.buf, body_start, frame.end, boundary)
            walk.parts.append(
                replace(part, is_container=True, defects=(*defects, *split_defects))
            )
            return _children(frame, bodies, ctype)
        defects.append(Defect("multipart_without_boundary"))
    if too_deep and (ctype.startswith("multipart/") or ctype in _EMBEDDED_MESSAGES):
        walk.exceed(f"nesting deeper than {walk.limits.max_depth} at {path}")

    # TODO(#3): open archives, TNEF and uuencoded/yEnc blocks into parts of their own.
    content, ambiguous = _decode(frame.buf, body_start, frame.end, encoding, walk)
    if ctype in _EMBEDDED_MESSAGES and not too_deep:
        walk.parts.append(replace(part, is_container=True, defects=tuple(defects)))
        inner = bytes(content)
        return [_Frame(inner, 0, len(inner), frame.depth + 1, "", f"{path}:")]
    if ctype == "message/partial":
        walk.flags.add("message_partial")
        defects.append(Defect("message_partial", "fragment cannot be scanned whole"))
    if ambiguous:
        defects.append(Defect("base64_inner_padding"))
        walk.parts.append(replace(part, content=content, defects=tuple(defects)))
        # Decoders disagree about data after padding: inspect the other reading too.
        other = decode_base64_unpadded(frame.buf, body_start, frame.end)
        part = replace(part, part_path=walk.unique(f"{path}#unpadded"))
        content = other
    walk.parts.append(replace(part, content=content, defects=tuple(defects)))
    return []


def _children(frame: _Frame, bodies: list[tuple[int, int]], ctype: str) -> list[_Frame]:
    default = "message/rfc822" if ctype == "multipart/digest" else "text/plain"
    return [
        _Frame(
            frame.buf,
            start,
            end,
            frame.depth + 1,
            f"{frame.section}.{i}" if frame.section else str(i),
            frame.prefix,
            default,
        )
        for i, (start, end) in enumerate(bodies, 1)
    ]


def _decode(
    buf: Buffer, start: int, end: int, encoding: str, walk: _Walk
) -> tuple[bytes | bytearray, bool]:
    """The decoded body, and whether its base64 has data after inner padding."""
    budget = walk.limits.max_decoded_bytes - walk.decoded_bytes
    if budget <= 0:
        walk.exceed(f"more than {walk.limits.max_decoded_bytes} decoded bytes")
        return b"", False
    decoded = decode_body(buf, start, end, encoding)
    walk.decoded_bytes += len(decoded.content)
    if len(decoded.content) > budget:
        walk.exceed(f"more than {walk.limits.max_decoded_bytes} decoded bytes")
    # A bytearray from the base64 decoder is passed on as it is: copying it into
    # bytes would hold a large attachment twice.
    return decoded.content, decoded.inner_padding


def _headers(
    buf: Buffer, start: int, end: int, walk: _Walk
) -> tuple[Message, int, list[Defect]]:
    """Parse the header block at *start*; return it and where the body begins."""
    defects: list[Defect] = []
    if buf[start : start + 2] == b"\r\n":
        return Message(), start + 2, defects
    if buf[start : start + 1] == b"\n":
        return Message(), start + 1, defects
    crlf = buf.find(b"\n\r\n", start, end)
    lf = buf.find(b"\n\n", start, end)
    candidates = [(i, 3) for i in (crlf,) if i >= 0] + [(i, 2) for i in (lf,) if i >= 0]
    if candidates:
        sep, width = min(candidates)
        header_end, body_start = sep + 1, sep + width
    else:
        header_end = body_start = end
        defects.append(Defect("missing_header_body_separator"))
    if header_end - start > _MAX_HEADER_BLOCK:
        walk.exceed(f"a header block larger than {_MAX_HEADER_BLOCK} bytes")
        header_end = start + _MAX_HEADER_BLOCK
    block, repairs = _as_clients_read(bytes(buf[start:header_end]))
    defects += repairs
    headers = message_from_bytes(block, policy=compat32)
    defects += [
        Defect(type(d).__name__)
        for d in headers.defects
        if type(d).__name__ not in _BODY_ONLY_DEFECTS
    ]
    _bound_parameters(headers, walk)
    return headers, body_start, defects


def _as_clients_read(block: bytes) -> tuple[bytes, list[Defect]]:
    """The header block as mail clients read it.

    Python's parser ends the headers at ``Content-Type : x`` (white space before
    the colon) and at any line without a colon; clients accept the first and skip
    the second, and go on reading the headers after it.
    """
    if not _ODD_HEADER_LINE.search(block):
        return block, []
    defects = []
    if _SPACE_BEFORE_COLON.search(block):
        block = _SPACE_BEFORE_COLON.sub(rb"\1:", block)
        defects.append(Defect("space_before_colon"))
    lines = block.splitlines(keepends=True)
    kept = [line for line in lines if not _NOT_A_HEADER.match(line)]
    if len(kept) != len(lines):
        defects.append(Defect("header_line_without_colon"))
    return b"".join(kept), defects


def _bound_parameters(headers: Message, walk: _Walk) -> None:
    """Cut MIME headers with absurdly many parameters before anything parses them.

    The stdlib's parameter parser takes quadratic time: a 100 KB Content-Type with
    50,000 parameters costs seconds. Real headers stay far below the bounds.
    """
    for name in ("content-type", "content-disposition"):
        value = headers.get(name)
        if value is None:
            continue
        text = str(value)
        if len(text) <= _MAX_PARAM_HEADER and text.count(";") <= _MAX_PARAMS:
            continue
        walk.exceed(f"{name} header with too many parameters")
        cut = ";".join(text[:_MAX_PARAM_HEADER].split(";")[: _MAX_PARAMS + 1])
        headers.replace_header(name, cut)


def _split(
    buf: Buffer, start: int, end: int, boundary: str
) -> tuple[list[tuple[int, int]], list[Defect]]:
    """Byte ranges of the body parts of a multipart body (RFC 2046 5.1.1)."""
    delimiter = b"--" + boundary.encode("ascii", "surrogateescape")
    bodies: list[tuple[int, int]] = []
    defects: list[Defect] = []
    part_start: int | None = None
    pos, closed = start, False
    while (at := buf.find(delimiter, pos, end)) >= 0:
        pos = at + 1
        if at != start and buf[at - 1 : at] != b"\n":
            continue
        after = at + len(delimiter)
        closing = buf[after : after + 2] == b"--"
        eol = buf.find(b"\n", after, end)
        line_end = end if eol < 0 else eol + 1
        if buf[after + (2 if closing else 0) : line_end].strip():
            continue  # a longer boundary or text that merely starts like one
        if part_start is not None:
            bodies.append((part_start, max(part_start, _before_line_break(buf, at))))
        if closing:
            closed = True
            break
        part_start = pos = line_end
    release(buf, start, end)  # the search touched every page of the body
    if part_start is None:
        defects.append(Defect("multipart_without_parts"))
    elif not closed:
        defects.append(Defect("missing_final_boundary"))
        bodies.append((part_start, end))
    return bodies, defects


def _before_line_break(buf: Buffer, at: int) -> int:
    """The offset before the line break that belongs to the delimiter at *at*."""
    if buf[at - 1 : at] == b"\n":
        at -= 1
        if buf[at - 1 : at] == b"\r":
            at -= 1
    return at


def _content_type(headers: Message, default: str) -> str:
    # TODO(#3): inspect under every reading when Content-Type appears twice.
    value = headers.get("content-type")
    if value is None:
        return default
    main = str(value).split(";", 1)[0].strip().lower()
    if main.startswith("multipart/"):
        # Clients treat any multipart type, even a malformed one such as
        # "multipart/mixed/x", as multipart/mixed; Python calls it text/plain.
        return "multipart/" + (main[10:].split("/")[0].strip() or "mixed")
    return headers.get_content_type()


def _transfer_encoding(headers: Message, walk: _Walk) -> tuple[str, list[Defect]]:
    """The encoding clients apply: the first word of the first header.

    ``base64; x=y``, ``base64 (comment)`` and ``BASE64 `` all decode as base64.
    An encoding nobody here can decode leaves the part unreadable: a flag.
    """
    values = headers.get_all("content-transfer-encoding") or []
    words = str(values[0]).replace("(", " ").replace(";", " ").split() if values else []
    encoding = words[0].lower() if words else ""
    defects = []
    if len(values) > 1:
        defects.append(Defect("duplicate_transfer_encoding"))
    if encoding not in _KNOWN_ENCODINGS:
        defects.append(Defect("unknown_transfer_encoding", encoding[:40]))
        walk.flags.add("unknown_transfer_encoding")
    return encoding, defects


def _disposition(headers: Message) -> str:
    value = headers.get("content-disposition")
    return str(value).split(";", 1)[0].strip().lower() if value else ""


def _part_path(frame: _Frame, ctype: str, names: tuple[str, ...]) -> str:
    if frame.depth == 0 and not frame.prefix:
        return "message"
    if names:
        label = _PATH_UNSAFE.sub("_", visible_name(names[0]))[:120] or "unnamed"
        return f"{frame.prefix}attachment:{label}"
    kind = "multipart" if ctype.startswith("multipart/") else "body"
    return f"{frame.prefix}{kind}:{frame.section or '0'}"


def _decoded_header(headers: Message, name: str) -> str:
    value = headers.get(name)
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except (ValueError, LookupError, UnicodeError):
        return str(value)
