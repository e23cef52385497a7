"""A small MIME writer: exactly the headers and encodings the samples need.

The email package would pick random boundaries and fold headers its own way; this
writes fixed boundaries (``=_mw_<sample>_<n>``, which can occur neither in base64
nor in quoted-printable text) so that rebuilt files are byte-identical.
"""

from __future__ import annotations

import base64
import quopri
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parents[1]
RECIPIENT = "someone@example.test"

ALICE = "Alice Martin <alice@sender.test>"
NEWS = "Sender Weekly <news@sender.test>"
BILLING = "Accounts Payable <billing@sender.test>"
LI_MING_UTF8 = "=?utf-8?b?5p2O5piO?= <li.ming@sender.test>"  # 李明
LI_MING_GB2312 = "=?gb2312?b?wO7D9w==?= <li.ming@sender.test>"  # 李明


@dataclass(frozen=True)
class Leaf:
    """One non-multipart body part."""

    content_type: str  # with parameters, e.g. 'text/plain; charset="utf-8"'
    data: bytes
    encoding: str = "7bit"  # 7bit, quoted-printable or base64
    filename: str = ""
    disposition: str = ""  # attachment, inline, or "" for none


@dataclass(frozen=True)
class Multipart:
    subtype: str
    parts: tuple[Leaf | Multipart, ...]


@dataclass(frozen=True)
class Sample:
    """One demonstration mail and the outcome the default policy must reach."""

    outcome: str
    name: str
    sender: str
    subject: str
    date: str
    body: Leaf | Multipart
    why: str  # the finding that decides the outcome, for the README and tests
    subject_charset: str = "utf-8"
    extra_headers: tuple[tuple[str, str], ...] = field(default=())

    @property
    def path(self) -> Path:
        return SAMPLES_DIR / self.outcome / f"{self.name}.eml"


def mixed(*parts: Leaf | Multipart) -> Multipart:
    """multipart/mixed: a body followed by attachments."""
    return Multipart("mixed", parts)


def alternative(*parts: Leaf | Multipart) -> Multipart:
    """multipart/alternative: the same content, simplest first (RFC 2046 5.1.4)."""
    return Multipart("alternative", parts)


def text(
    body: str, subtype: str = "plain", charset: str = "us-ascii", encoding: str = ""
) -> Leaf:
    """A text part; 7bit for ASCII, quoted-printable or base64 otherwise."""
    data = body.encode(charset)
    if not encoding:
        encoding = "7bit" if data.isascii() else "quoted-printable"
    return Leaf(f'text/{subtype}; charset="{charset}"', data, encoding)


def attachment(
    filename: str, content_type: str, data: bytes, disposition: str = "attachment"
) -> Leaf:
    """A base64 attachment with the name in both Content-Type and -Disposition."""
    return Leaf(content_type, data, "base64", filename, disposition)


def render(sample: Sample) -> bytes:
    """The whole message, LF line ends."""
    subject = sample.subject
    if not subject.isascii():
        subject = encoded_words(subject, sample.subject_charset)
    lines = [
        f"Date: {sample.date}",
        f"From: {sample.sender}",
        f"To: {RECIPIENT}",
        f"Subject: {subject}",
        f"Message-ID: <{sample.name}.{sample.date[5:16].replace(' ', '')}@sender.test>",
        *(f"{name}: {value}" for name, value in sample.extra_headers),
        "MIME-Version: 1.0",
    ]
    counter = iter(range(1, 100))
    lines += _entity(sample.body, lambda: f"=_mw_{sample.name}_{next(counter)}")
    return ("\n".join(lines) + "\n").encode("ascii")


def encoded_words(value: str, charset: str) -> str:
    """RFC 2047 B-encoded words of whole characters (section 5), one per line.

    Each word stays under 60 characters so that even the first line, after
    "Subject: ", is shorter than the 76 that section 2 allows.

    email.header.Header would label GB2312 text with Python's codec name
    (``eucgb2312_cn``), which mail clients do not know.
    """
    words, chunk = [], ""
    for char in value:
        candidate = chunk + char
        if len(base64.b64encode(candidate.encode(charset))) > 60 - 7 - len(charset):
            words.append(chunk)
            candidate = char
        chunk = candidate
    words.append(chunk)
    return "\n ".join(
        f"=?{charset}?b?{base64.b64encode(w.encode(charset)).decode('ascii')}?="
        for w in words
    )


def _entity(node: Leaf | Multipart, boundary_for: Callable[[], str]) -> list[str]:
    if isinstance(node, Multipart):
        boundary = boundary_for()
        lines = [f'Content-Type: multipart/{node.subtype}; boundary="{boundary}"', ""]
        if node.subtype == "mixed":
            lines.append("This is a multi-part message in MIME format.")
        for part in node.parts:
            lines += [f"--{boundary}", *_entity(part, boundary_for)]
        return [*lines, f"--{boundary}--", ""]

    content_type = node.content_type
    if node.filename:
        content_type += f'; name="{node.filename}"'
    lines = [
        f"Content-Type: {content_type}",
        f"Content-Transfer-Encoding: {node.encoding}",
    ]
    if node.disposition:
        suffix = f'; filename="{node.filename}"' if node.filename else ""
        lines.append(f"Content-Disposition: {node.disposition}{suffix}")
    return [*lines, "", *_encoded(node)]


def _encoded(node: Leaf) -> list[str]:
    if node.encoding == "base64":
        encoded = base64.b64encode(node.data).decode("ascii")
        return [encoded[i : i + 76] for i in range(0, len(encoded), 76)]
    if node.encoding == "quoted-printable":
        data = quopri.encodestring(node.data).decode("ascii")
    else:
        data = node.data.decode("ascii")
    return data.rstrip("\n").split("\n")
