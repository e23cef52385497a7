"""File-name candidates of a MIME part, decoded the way mail clients decode them.

A part can name itself in Content-Disposition ``filename`` and ``filename*`` (RFC
2183, RFC 2231 continuations and charsets), in Content-Type ``name``, and in the
legacy ``Content-Name`` and ``X-Sun-Data-Name`` headers that Thunderbird still reads;
encoded words (RFC 2047) are decoded there too, although the RFCs do not allow them.
Clients disagree about which one wins, so every candidate is kept and checked; the
first is the one most clients show (``filename*`` before ``filename``). Where a
client would cut a name short (at a NUL or other control character, or an unquoted
value at its first space) the shortened name is a candidate as well.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from email.header import decode_header, make_header
from email.message import Message
from email.utils import collapse_rfc2231_value
from typing import Any

_MAX_NAME = 255
_SOURCES = (("content-disposition", "filename"), ("content-type", "name"))
_LEGACY_HEADERS = ("content-name", "x-sun-data-name")
#: An encoded word's language tag (RFC 2231 section 5), which Python cannot read.
_LANGUAGE_TAG = re.compile(r"=\?([^?*]+)\*[^?]*\?")
_CUT = re.compile(r"[\x00-\x1f\x7f]")


def filename_candidates(headers: Message) -> tuple[str, ...]:
    """Distinct decoded names, the one most clients show first."""
    raw: list[str] = []
    for header, param in _SOURCES:
        # RFC 2231 values come back as (charset, language, text) tuples, which
        # the type hints of Message.get_params do not show.
        params: list[tuple[str, Any]] = headers.get_params([], header)
        values = [v for k, v in params if k.lower() == param]
        raw += [_collapse(v) for v in values if isinstance(v, tuple)]
        raw += [v for v in values if isinstance(v, str)]
    raw += [
        str(value) for name in _LEGACY_HEADERS for value in headers.get_all(name, [])
    ]

    names: list[str] = []
    for value in raw:
        name = _decode(value)
        for candidate in (name, *_shortened(name)):
            if candidate and candidate not in names:
                names.append(candidate)
    return tuple(names)


def _collapse(value: tuple[str, str, str]) -> str:
    try:
        return str(collapse_rfc2231_value(value))
    except (LookupError, UnicodeError, ValueError):
        return value[2]  # an unknown charset: the undecoded text still shows the name


def _decode(value: str) -> str:
    value = value.strip().strip('"')
    if "=?" in value:
        value = _LANGUAGE_TAG.sub(r"=?\1?", value)
        with contextlib.suppress(ValueError, LookupError, UnicodeError):
            value = str(make_header(decode_header(value)))
    return value.strip()[:_MAX_NAME]


def _shortened(name: str) -> list[str]:
    """Names a client may show instead: cut at a control character, or at the first
    white space of an unquoted value (``invoice.js (copy).pdf``)."""
    shorter = []
    cut = _CUT.search(name)
    if cut:
        shorter.append(name[: cut.start()])
    if any(ch.isspace() for ch in name):
        shorter.append(name.split(None, 1)[0])
    return shorter


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
