"""File-name candidates of a MIME part, decoded the way a mail client decodes them.

A part can name itself in Content-Disposition ``filename`` (RFC 2183, with RFC 2231
continuations and charsets) and in Content-Type ``name``, with RFC 2047 encoded words
that clients decode although the RFCs do not allow them there. Every candidate is
kept, the one a client shows first.
"""

from __future__ import annotations

import contextlib
import unicodedata
from email.header import decode_header, make_header
from email.message import Message
from email.utils import collapse_rfc2231_value

_MAX_NAME = 255


def filename_candidates(headers: Message) -> tuple[str, ...]:
    """Distinct decoded names: Content-Disposition filename first, then name."""
    names: list[str] = []
    for param, header in (
        ("filename", "content-disposition"),
        ("name", "content-type"),
    ):
        raw = headers.get_param(param, None, header)
        if raw is None:
            continue
        name = _decode(collapse_rfc2231_value(raw))
        if name and name not in names:
            names.append(name)
    return tuple(names)


def _decode(value: str) -> str:
    if "=?" in value:
        with contextlib.suppress(ValueError, LookupError, UnicodeError):
            value = str(make_header(decode_header(value)))
    return value.strip()[:_MAX_NAME]


def extension_of(name: str) -> str:
    """The extension a client's OS would act on: lower case, no dot.

    Trailing dots, spaces and invisible format characters are dropped first, because
    Windows ignores them when it picks the program that opens a file.
    """
    return extensions_of(name)[-1] if "." in name else ""


def extensions_of(name: str) -> list[str]:
    """All dot-separated extensions of *name* after normalisation, outermost last."""
    cleaned = visible_name(name).rstrip(". ").lower()
    pieces = [piece.strip() for piece in cleaned.split(".")[1:]]
    return [piece for piece in pieces if piece]


def visible_name(name: str) -> str:
    """*name* without control and format characters (bidi overrides, zero-width)."""
    return "".join(
        ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf")
    ).strip()
