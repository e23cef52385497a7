"""The MIME walk: parts, paths, decoding, defects and limits."""

from __future__ import annotations

import base64
import time

from mailwarden.config import LimitsConfig
from mailwarden.message import parse_message
from mailwarden.message.decode import decode_base64

LIMITS = LimitsConfig()


def mail(*lines: str) -> bytes:
    return "\r\n".join(lines).encode("utf-8", "surrogateescape")


MIXED = mail(
    "From: a@sender.test",
    "Subject: =?utf-8?b?5py65a+G?= report",
    "Message-ID: <1@sender.test>",
    'Content-Type: multipart/mixed; boundary="outer"',
    "",
    "preamble",
    "--outer",
    'Content-Type: multipart/alternative; boundary="inner"',
    "",
    "--inner",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "plain body",
    "--inner",
    "Content-Type: text/html",
    "",
    "<p>html body</p>",
    "--inner--",
    "--outer",
    'Content-Type: application/pdf; name="r.pdf"',
    'Content-Disposition: attachment; filename="report.pdf"',
    "Content-Transfer-Encoding: base64",
    "",
    base64.b64encode(b"%PDF-1.4 tiny").decode(),
    "--outer--",
    "epilogue",
)


def test_tree_paths_and_order() -> None:
    """Parts come out in tree order with stable part_paths and depths."""
    parsed = parse_message(MIXED, LIMITS)
    assert [(p.part_path, p.depth) for p in parsed.parts] == [
        ("message", 0),
        ("multipart:1", 1),
        ("body:1.1", 2),
        ("body:1.2", 2),
        ("attachment:report.pdf", 1),
    ]
    assert parsed.subject == "机密 report"
    assert parsed.message_id == "<1@sender.test>"


def test_leaves_are_decoded_and_names_kept() -> None:
    """Leaf content is decoded and every filename candidate is recorded."""
    parts = {p.part_path: p for p in parse_message(MIXED, LIMITS).parts}
    assert bytes(parts["body:1.1"].content) == b"plain body"
    pdf = parts["attachment:report.pdf"]
    assert bytes(pdf.content) == b"%PDF-1.4 tiny"
    assert pdf.filenames == ("report.pdf", "r.pdf")
    assert pdf.is_attachment


def test_rfc2231_and_rfc2047_names() -> None:
    """Encoded file names are decoded the way clients show them."""
    raw = mail(
        'Content-Type: multipart/mixed; boundary="b"',
        "",
        "--b",
        'Content-Type: application/octet-stream; name="=?utf-8?q?caf=C3=A9.exe?="',
        "Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf",
        "",
        "x",
        "--b--",
    )
    part = parse_message(raw, LIMITS).parts[1]
    assert part.filenames == ("résumé.pdf", "café.exe")


def test_base64_junk_is_skipped_like_clients_do() -> None:
    """Junk characters and stray padding do not stop base64 decoding."""
    encoded = base64.b64encode(b"MZ" + b"A" * 30)
    noisy = encoded[:8] + b"!*=\r\n" + encoded[8:]
    assert bytes(decode_base64(noisy, 0, len(noisy))) == b"MZ" + b"A" * 30


def test_nested_message_rfc822() -> None:
    """An attached message is walked into, its parts prefixed by its path."""
    inner = mail(
        'Content-Type: multipart/mixed; boundary="i"',
        "",
        "--i",
        'Content-Disposition: attachment; filename="x.js"',
        "",
        "alert(1)",
        "--i--",
    )
    raw = (
        mail(
            'Content-Type: multipart/mixed; boundary="o"',
            "",
            "--o",
            'Content-Type: message/rfc822; name="fwd.eml"',
            "",
        )
        + b"\r\n"
        + inner
        + b"\r\n--o--\r\n"
    )
    paths = [p.part_path for p in parse_message(raw, LIMITS).parts]
    assert "attachment:fwd.eml:attachment:x.js" in paths


def test_missing_final_boundary_is_a_defect() -> None:
    """An unterminated multipart keeps its last part and records a defect."""
    raw = mail('Content-Type: multipart/mixed; boundary="b"', "", "--b", "", "tail")
    parsed = parse_message(raw, LIMITS)
    assert bytes(parsed.parts[1].content) == b"tail"
    assert "missing_final_boundary" in {d.code for d in parsed.parts[0].defects}


def test_boundary_prefix_is_not_a_delimiter() -> None:
    """A line starting with the boundary plus other text does not split the part."""
    raw = mail(
        'Content-Type: multipart/mixed; boundary="b"',
        "",
        "--b",
        "",
        "one",
        "--bXYZ still one",
        "--b--",
    )
    parts = parse_message(raw, LIMITS).parts
    assert len(parts) == 2
    assert bytes(parts[1].content) == b"one\r\n--bXYZ still one"


def test_deep_nesting_is_bounded_and_fast() -> None:
    """10,000 nested multiparts give the limits_exceeded flag, quickly, no crash."""
    raw = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(10_000)
    )
    started = time.perf_counter()
    parsed = parse_message(raw, LIMITS)
    assert "limits_exceeded" in parsed.flags
    assert time.perf_counter() - started < 5


def test_part_count_limit() -> None:
    """More parts than limits.max_parts stops the walk with a flag."""
    body = "".join("--b\r\n\r\nx\r\n" for _ in range(50))
    raw = mail('Content-Type: multipart/mixed; boundary="b"', "", body + "--b--")
    parsed = parse_message(raw, LimitsConfig(max_parts=10))
    assert len(parsed.parts) == 10
    assert parsed.flags == ("limits_exceeded",)


def test_garbage_never_raises() -> None:
    """Random bytes parse into something without an exception."""
    for blob in (
        b"",
        b"\x00\xff" * 100,
        b"Content-Type: multipart/mixed\r\n\r\n--",
        b"\r\n\r\n\r\n",
        b"A: b\nContent-Type: message/rfc822\n\n",
    ):
        parse_message(blob, LIMITS)
