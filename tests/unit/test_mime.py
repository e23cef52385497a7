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


def test_every_name_candidate_is_kept() -> None:
    """filename* wins over filename (as clients show it); cut-short forms and the
    legacy Content-Name header are candidates too."""
    raw = mail(
        'Content-Type: multipart/mixed; boundary="b"',
        "",
        "--b",
        'Content-Disposition: attachment; filename="invoice.pdf"; '
        "filename*=UTF-8''invoice.js",
        "Content-Name: legacy.vbs",
        "",
        "x",
        "--b",
        "Content-Disposition: attachment; filename=invoice.js (copy).pdf",
        "",
        "y",
        "--b",
        "Content-Disposition: attachment; filename*=UTF-8''a.js%00.pdf",
        "",
        "z",
        "--b",
        'Content-Disposition: attachment; filename="=?utf-8*en?B?aW52b2ljZS5qcw==?="',
        "",
        "w",
        "--b--",
    )
    names = [p.filenames for p in parse_message(raw, LIMITS).parts[1:]]
    assert names[0] == ("invoice.js", "invoice.pdf", "legacy.vbs")
    assert "invoice.js" in names[1]
    assert "a.js" in names[2]
    assert names[3] == ("invoice.js",)


def test_unknown_charset_in_a_name_does_not_crash() -> None:
    """filename*=undefined''x keeps the undecoded name instead of raising."""
    raw = mail("Content-Disposition: attachment; filename*=undefined''evil.js", "", "x")
    assert parse_message(raw, LIMITS).parts[0].filenames == ("evil.js",)


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
    """Characters outside the alphabet do not stop base64 decoding."""
    encoded = base64.b64encode(b"MZ" + b"A" * 30)
    noisy = encoded[:8] + b"!*\r\n\x00" + encoded[8:]
    assert bytes(decode_base64(noisy, 0, len(noisy)).content) == b"MZ" + b"A" * 30


def test_base64_inner_padding_gives_both_readings() -> None:
    """'TQ==' then the rest: the group-wise reading restores the PE, and the
    reading that skips '=' is inspected too, as a second part."""
    pe = b"MZ\x90\x00" + bytes(range(64))
    tricky = (b"TQ==" + base64.b64encode(pe[1:])).decode()
    raw = mail(
        'Content-Type: multipart/mixed; boundary="b"',
        "",
        "--b",
        "Content-Type: application/octet-stream",
        'Content-Disposition: attachment; filename="x.bin"',
        "Content-Transfer-Encoding: base64",
        "",
        tricky,
        "--b--",
    )
    parts = {p.part_path: p for p in parse_message(raw, LIMITS).parts}
    assert bytes(parts["attachment:x.bin"].content) == pe
    assert "attachment:x.bin#unpadded" in parts
    assert "base64_inner_padding" in {d.code for d in parts["attachment:x.bin"].defects}


def test_transfer_encoding_first_word() -> None:
    """'BASE64; x=y' and 'base64 (comment)' decode as base64, as clients do."""
    for header in ("BASE64; x=y", "base64 (comment)", "base64 "):
        raw = mail(
            f"Content-Transfer-Encoding: {header}",
            "",
            base64.b64encode(b"MZ!").decode(),
        )
        assert bytes(parse_message(raw, LIMITS).parts[0].content) == b"MZ!"


def test_unknown_transfer_encoding_is_a_flag() -> None:
    """An encoding mailwarden cannot decode leaves the part unread: a flag."""
    raw = mail("Content-Transfer-Encoding: x-uuencode", "", "begin 644 a.exe")
    assert "unknown_transfer_encoding" in parse_message(raw, LIMITS).flags


def test_headers_read_as_clients_read_them() -> None:
    """'Content-Type : x' counts, and a line without a colon does not end the
    header block."""
    raw = mail(
        'Content-Type: multipart/mixed; boundary="b"',
        "",
        "--b",
        "X-Junk without a colon",
        'Content-Type : application/octet-stream; name="a.exe"',
        "Content-Transfer-Encoding: base64",
        "",
        base64.b64encode(b"MZ").decode(),
        "--b--",
    )
    part = parse_message(raw, LIMITS).parts[1]
    assert part.filenames == ("a.exe",)
    assert bytes(part.content) == b"MZ"


def test_malformed_multipart_type_is_still_multipart() -> None:
    """'multipart/mixed/x' is walked as multipart/mixed, as clients do."""
    raw = mail(
        'Content-Type: multipart/mixed/x; boundary="b"',
        "",
        "--b",
        'Content-Disposition: attachment; filename="a.js"',
        "",
        "x",
        "--b--",
    )
    assert "attachment:a.js" in [p.part_path for p in parse_message(raw, LIMITS).parts]


def test_parameter_bomb_is_bounded() -> None:
    """A Content-Type with 50,000 parameters parses fast and raises the flag."""
    raw = mail('Content-Type: text/plain; name="' + ";a" * 50_000, "", "x")
    started = time.perf_counter()
    parsed = parse_message(raw, LIMITS)
    assert time.perf_counter() - started < 1
    assert "limits_exceeded" in parsed.flags


def test_nested_messages_beyond_the_limit_are_flagged() -> None:
    """message/rfc822 nested deeper than max_depth raises limits_exceeded."""
    raw = b"Content-Type: text/plain\r\n\r\nbottom"
    for _ in range(5):
        raw = b"Content-Type: message/rfc822\r\n\r\n" + raw
    assert "limits_exceeded" in parse_message(raw, LimitsConfig(max_depth=3)).flags


def test_message_news_is_walked() -> None:
    """message/news is a whole message, like message/rfc822."""
    raw = mail(
        "Content-Type: message/news",
        "",
        'Content-Disposition: attachment; filename="a.exe"',
        "",
        "MZ",
    )
    assert "message:attachment:a.exe" in [
        p.part_path for p in parse_message(raw, LIMITS).parts
    ]


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
