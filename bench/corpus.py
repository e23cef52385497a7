"""A deterministic corpus of realistic mail for the throughput benchmark.

    python bench/corpus.py DIR [--count 1000] [--seed 1]

writes ``DIR/NNNN-KIND.eml`` (CRLF line ends, as sent over SMTP) and
``DIR/manifest.json`` (envelope, kind, size and expected outcome of each message).
Standard library only; the same seed and count give byte-identical files.

The mix imitates an office mailbox: mostly short plain-text and HTML mail, fewer
messages with a PDF, a Word document, a zip, a PNG or JPEG image or a calendar
invitation, sizes from about 1 KB to about 300 KB with a long tail. One message in
twenty carries the EICAR test file (as an attachment, in a zip, or inline), which a
milter with ClamAV must refuse with a 5xx reply.

Recipients are in ``sink.test``: the devstack Postfix accepts any domain but
``example.test`` and hands it to the ``discard`` transport, so delivery costs
nothing and the benchmark measures the SMTP and milter path alone.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import random
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import formats

#: Builds a message body (Content-Type onwards) from a size and a boundary pattern.
_Body = Callable[[random.Random, int, str], bytes]

SINK_DOMAIN = "sink.test"
DEFAULT_COUNT = 1000
DEFAULT_SEED = 1
#: One message in this many carries EICAR.
EICAR_EVERY = 20
_START = datetime(2025, 3, 3, 8, 0, 0, tzinfo=UTC)

#: Kinds of benign message and their share of the mix.
KIND_WEIGHTS = {
    "text": 38,
    "html": 26,
    "calendar": 4,
    "pdf": 9,
    "docx": 6,
    "zip": 4,
    "png": 6,
    "jpeg": 7,
}
#: Attachment (or body) size per kind: log-normal median in bytes, sigma, bounds.
_SIZES = {
    "text": (1_500, 0.8, 400, 40_000),
    "html": (5_000, 0.9, 1_000, 120_000),
    "calendar": (1_500, 0.4, 600, 6_000),
    "pdf": (45_000, 0.9, 3_000, 210_000),
    "docx": (25_000, 0.8, 6_000, 200_000),
    "zip": (8_000, 1.0, 600, 150_000),
    "png": (30_000, 1.0, 2_000, 200_000),
    "jpeg": (60_000, 0.8, 5_000, 210_000),
}

#: The EICAR test file in three pieces, each stored reversed, so that no file in
#: the checkout holds it (a developer's own scanner would quarantine this file).
_EICAR_PIECES = (
    "PA@%P!O5X",
    "$}7)CC7)^P(45XZP\\4[",
    "*H+H$!ELIF-TSET-SURIVITNA-DRADNATS-RACIE",
)


def eicar() -> bytes:
    """The 68-byte EICAR anti-virus test file, assembled at run time."""
    return "".join(piece[::-1] for piece in _EICAR_PIECES).encode("ascii")


@dataclass(frozen=True)
class Entry:
    """One corpus message as the manifest records it."""

    file: str
    kind: str
    size: int
    mail_from: str
    rcpt_tos: tuple[str, ...]
    #: "reject" when a milter with ClamAV must refuse it (EICAR), else "any".
    expect: str


def build(
    dest: Path, count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED
) -> list[Entry]:
    """Write the corpus into *dest* and return its manifest."""
    dest.mkdir(parents=True, exist_ok=True)
    for stale in dest.glob("*.eml"):
        stale.unlink()
    rng = random.Random(seed)
    kinds = list(KIND_WEIGHTS)
    weights = list(KIND_WEIGHTS.values())
    entries = []
    for index in range(count):
        if index % EICAR_EVERY == EICAR_EVERY // 2:
            kind = "eicar"
        else:
            kind = rng.choices(kinds, weights)[0]
        message, mail_from, rcpt_tos = compose(rng, index, kind, seed)
        name = f"{index:04d}-{kind}.eml"
        (dest / name).write_bytes(message)
        entries.append(
            Entry(
                file=name,
                kind=kind,
                size=len(message),
                mail_from=mail_from,
                rcpt_tos=rcpt_tos,
                expect="reject" if kind == "eicar" else "any",
            )
        )
    manifest = {"seed": seed, "count": count, "messages": [asdict(e) for e in entries]}
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return entries


def load(dest: Path) -> tuple[dict[str, int], list[Entry]]:
    """The manifest in *dest*: ``{"seed", "count"}`` and its entries."""
    data = json.loads((dest / "manifest.json").read_text())
    entries = [
        Entry(**{**m, "rcpt_tos": tuple(m["rcpt_tos"])}) for m in data["messages"]
    ]
    return {"seed": data["seed"], "count": data["count"]}, entries


def ensure(dest: Path, count: int, seed: int) -> list[Entry]:
    """The corpus in *dest*, rebuilt unless it was made with this count and seed."""
    try:
        made, entries = load(dest)
    except (OSError, ValueError, KeyError, TypeError):
        return build(dest, count, seed)
    if made != {"seed": seed, "count": count} or not all(
        (dest / e.file).is_file() for e in entries
    ):
        return build(dest, count, seed)
    return entries


# --- composing one message ----------------------------------------------------------


def compose(
    rng: random.Random, index: int, kind: str, seed: int
) -> tuple[bytes, str, tuple[str, ...]]:
    """One message of *kind*: its bytes (CRLF), envelope sender and recipients."""
    sender = f"{rng.choice(_FIRST)}.{rng.choice(_LAST)}@{rng.choice(_SENDER_DOMAINS)}"
    rcpt_tos = tuple(
        f"{rng.choice(_FIRST)}.{rng.choice(_LAST)}@{SINK_DOMAIN}"
        for _ in range(rng.choice((1, 1, 1, 2, 3)))
    )
    median, sigma, low, high = _SIZES.get(kind, (2_000, 0.5, 500, 8_000))
    size = int(min(high, max(low, rng.lognormvariate(0, sigma) * median)))
    subject = formats.sentence(rng, 3, 8).rstrip(".")
    boundary = f"=_bench_{seed}_{index}_{{}}"

    body = _BODIES[kind](rng, size, boundary)
    date = _START + timedelta(minutes=7 * index)
    received = "".join(
        f"Received: from relay{hop}.{sender.split('@')[1]} "
        f"(relay{hop}.{sender.split('@')[1]} [192.0.2.{10 + hop}])\r\n"
        f"\tby mx{hop}.{sender.split('@')[1]} with ESMTPS id {index:06x}{hop};\r\n"
        f"\t{format_datetime(date - timedelta(seconds=hop + 1))}\r\n"
        for hop in range(rng.randint(1, 3))
    )
    headers = (
        received
        + f"From: {_display(sender)} <{sender}>\r\n"
        + f"To: {', '.join(rcpt_tos)}\r\n"
        + f"Subject: {subject}\r\n"
        + f"Date: {format_datetime(date)}\r\n"
        + f"Message-ID: <bench.{seed}.{index}@{sender.split('@')[1]}>\r\n"
        + f"X-Mailer: {rng.choice(_MAILERS)}\r\n"
        + "MIME-Version: 1.0\r\n"
    )
    return headers.encode() + body, sender, rcpt_tos


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()


def _b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def _qp(text: str) -> bytes:
    encoded = binascii.b2a_qp(text.encode("utf-8"), istext=True)
    return encoded.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _multipart(subtype: str, boundary: str, parts: Sequence[bytes]) -> bytes:
    """A Content-Type header block plus body for a multipart of *parts*."""
    out = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode()
    out += b"This is a multi-part message in MIME format.\r\n"
    for part in parts:
        out += f"\r\n--{boundary}\r\n".encode() + part
    return out + f"\r\n--{boundary}--\r\n".encode()


def _text_part(text: str) -> bytes:
    return (
        b"Content-Type: text/plain; charset=utf-8; format=flowed\r\n"
        b"Content-Transfer-Encoding: 7bit\r\n\r\n" + _crlf(text)
    )


def _attachment(content_type: str, name: str, data: bytes) -> bytes:
    return (
        f'Content-Type: {content_type}; name="{name}"\r\n'
        f'Content-Disposition: attachment; filename="{name}"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + _b64(data)


def _letter(rng: random.Random, size: int) -> str:
    greeting = f"Hi {rng.choice(_FIRST).capitalize()},\n\n"
    closing = f"\nBest regards,\n{rng.choice(_FIRST).capitalize()}\n"
    return greeting + formats.text_of_size(rng, max(0, size - 60)) + closing


def _html(text: str) -> str:
    paragraphs = "".join(
        f'<p style="margin:0 0 12px 0;font-family:Arial,sans-serif">{p}</p>\n'
        for p in text.split("\n\n")
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n'
        f'<body><div class="content">\n{paragraphs}</div></body></html>\n'
    )


def _plain(rng: random.Random, size: int, boundary: str) -> bytes:
    text = _letter(rng, size)
    if rng.random() < 0.03:  # some mail does carry a card number (DLP tags it)
        text += "\nCard for the booking: 4111 1111 1111 1111, exp 12/27.\n"
    return _text_part(text)


def _alternative(rng: random.Random, size: int, boundary: str) -> bytes:
    text = _letter(rng, size // 3)
    html = _html(text) + formats.text_of_size(rng, size // 2).replace("\n", " ")
    plain = (
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + _qp(text)
    )
    rich = (
        b"Content-Type: text/html; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + _qp(html)
    )
    alternative = _multipart("alternative", boundary.format("alt"), [plain, rich])
    if rng.random() < 0.3:  # a logo in a multipart/related, as newsletters do
        logo = (
            b"Content-Type: image/png\r\nContent-ID: <logo@bench>\r\n"
            b'Content-Disposition: inline; filename="logo.png"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n"
            + _b64(formats.png(rng, rng.randint(1_500, 9_000)))
        )
        return _multipart("related", boundary.format("rel"), [alternative, logo])
    return alternative


def _calendar(rng: random.Random, size: int, boundary: str) -> bytes:
    start = _START + timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 8))
    stamp = "%Y%m%dT%H%M%SZ"
    ics = (
        "BEGIN:VCALENDAR\nPRODID:-//mailwarden bench//EN\nVERSION:2.0\n"
        "METHOD:REQUEST\nBEGIN:VEVENT\n"
        f"UID:{rng.getrandbits(64):016x}@bench.test\n"
        f"DTSTAMP:{_START.strftime(stamp)}\n"
        f"DTSTART:{start.strftime(stamp)}\n"
        f"DTEND:{(start + timedelta(minutes=30)).strftime(stamp)}\n"
        f"SUMMARY:{formats.sentence(rng, 2, 5).rstrip('.')}\n"
        f"ORGANIZER;CN=Organiser:mailto:organiser@{SINK_DOMAIN}\n"
        f"ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:guest@{SINK_DOMAIN}\n"
        f"DESCRIPTION:{formats.sentence(rng)}\n"
        "LOCATION:Room 4.12\nSEQUENCE:0\nSTATUS:CONFIRMED\nEND:VEVENT\n"
        "END:VCALENDAR\n"
    )
    invite = (
        b"Content-Type: text/calendar; charset=utf-8; method=REQUEST\r\n"
        b"Content-Transfer-Encoding: 7bit\r\n\r\n" + _crlf(ics)
    )
    note = _text_part(_letter(rng, size))
    return _multipart("alternative", boundary.format("alt"), [note, invite])


def _with_file(content_type: str, extension: str, maker: formats.Maker) -> _Body:
    def body(rng: random.Random, size: int, boundary: str) -> bytes:
        name = f"{rng.choice(formats.WORDS)}-{rng.randint(1, 999)}.{extension}"
        cover = _text_part(_letter(rng, rng.randint(300, 1_500)))
        data = maker(rng, size)
        return _multipart(
            "mixed",
            boundary.format("mix"),
            [cover, _attachment(content_type, name, data)],
        )

    return body


def _infected(rng: random.Random, size: int, boundary: str) -> bytes:
    cover = _text_part(_letter(rng, rng.randint(300, 1_500)))
    variant = rng.randrange(3)
    if variant == 0:
        attachment = _attachment("text/plain", "test-file.txt", eicar())
    elif variant == 1:
        archive = formats.zip_of([("eicar.txt", eicar())])
        attachment = _attachment("application/zip", "scan-test.zip", archive)
    else:
        inline = b"Content-Type: text/plain\r\n\r\n" + eicar() + b"\r\n"
        return _multipart("mixed", boundary.format("mix"), [cover, inline])
    return _multipart("mixed", boundary.format("mix"), [cover, attachment])


_BODIES: dict[str, _Body] = {
    "text": _plain,
    "html": _alternative,
    "calendar": _calendar,
    "pdf": _with_file("application/pdf", "pdf", formats.pdf),
    "docx": _with_file(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
        formats.docx,
    ),
    "zip": _with_file("application/zip", "zip", formats.zip_archive),
    "png": _with_file("image/png", "png", formats.png),
    "jpeg": _with_file("image/jpeg", "jpg", formats.jpeg),
    "eicar": _infected,
}

_FIRST = (
    "alice bob carol dave erin frank grace heidi ivan judy mallory nia oscar".split()
)
_LAST = "smith jones brown taylor wilson davies evans thomas roberts walker".split()
_SENDER_DOMAINS = ("corp.test", "partner.test", "supplier.test", "news.test")
_MAILERS = ("Microsoft Outlook 16.0", "Apple Mail (2.3774)", "Thunderbird 128.3.1")


def _display(address: str) -> str:
    first, last = address.split("@")[0].split(".")
    return f"{first.capitalize()} {last.capitalize()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the benchmark mail corpus.")
    parser.add_argument("dest", type=Path, help="directory to write into")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    entries = build(args.dest, args.count, args.seed)
    sizes = sorted(e.size for e in entries)
    kinds = Counter(e.kind for e in entries)
    print(f"{len(entries)} messages, {sum(sizes) / 1e6:.1f} MB in {args.dest}")
    median, p90 = sizes[len(sizes) // 2], sizes[len(sizes) * 9 // 10]
    print(f"size: min {sizes[0]} B, median {median} B, p90 {p90} B, max {sizes[-1]} B")
    print("kinds: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
