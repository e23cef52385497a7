"""The attachment policy and type detection on hand-built parts (DLP: test_dlp)."""

from __future__ import annotations

from dataclasses import replace

from mailwarden.config import AttachmentConfig
from mailwarden.detect.attachments import AttachmentDetector
from mailwarden.detect.base import ScanInput
from mailwarden.detect.filetype import TypeDetector, compatible
from mailwarden.model import Envelope, FindingKind, Part

PE = (
    b"MZ"
    + b"\x90" * 58
    + b"\x80\x00\x00\x00"
    + b"\x00" * 64
    + b"PE\x00\x00"
    + (b"\x4c\x01" + b"\x00" * 200)
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def attachment(
    name: str, content: bytes, declared: str = "application/octet-stream"
) -> Part:
    part = Part(f"attachment:{name}", 1, declared, content, (name,), "attachment")
    return replace(part, detected_type=TypeDetector().detect(content))


def scan_attachments(*parts: Part) -> set[tuple[FindingKind, str]]:
    message = ScanInput(b"", parts, Envelope())
    found = AttachmentDetector(AttachmentConfig()).scan(message)
    return {(f.kind, f.rule) for f in found}


def test_pe_is_blocked_whatever_its_name() -> None:
    """A PE file named invoice.pdf is blocked by its magic bytes."""
    found = scan_attachments(attachment("invoice.pdf", PE, "application/pdf"))
    assert (FindingKind.BLOCKED_ATTACHMENT, "executable_content") in found


def test_blocked_extension_with_trailing_dots_and_case() -> None:
    """'.ExE. ' counts as .exe, as Windows treats it."""
    found = scan_attachments(attachment("setup.ExE. ", b"hello"))
    assert (FindingKind.BLOCKED_ATTACHMENT, "extension_exe") in found


def test_bidi_override_name_is_seen_through() -> None:
    """A right-to-left override cannot hide the real extension."""
    found = scan_attachments(attachment("invoice\u202efdp.scr", b"hello"))
    assert (FindingKind.BLOCKED_ATTACHMENT, "extension_scr") in found


def test_double_extension() -> None:
    """invoice.pdf.html is a double extension; archive.tar.gz is not."""
    assert (FindingKind.DOUBLE_EXTENSION, "double_extension") in scan_attachments(
        attachment("invoice.pdf.html", b"<html></html>", "text/html")
    )
    assert not scan_attachments(
        attachment(
            "report.pdf.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 20, "application/gzip"
        )
    )


def test_type_mismatch() -> None:
    """A PNG declared and named as PDF is a mismatch; a real PNG is not."""
    found = scan_attachments(attachment("report.pdf", PNG, "application/pdf"))
    assert (FindingKind.TYPE_MISMATCH, "declared_type_mismatch") in found
    assert not scan_attachments(attachment("logo.png", PNG, "image/png"))


def test_compatible_types() -> None:
    """Aliases, text families and OOXML-in-zip are not mismatches."""
    assert compatible("image/jpg", "image/jpeg")
    assert compatible("text/csv", "text/plain")
    assert compatible(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/zip",
    )
    assert not compatible("application/pdf", "image/png")


def test_gbk_text_is_not_a_dos_program() -> None:
    """GBK text starting with 0xB8 (libmagic's .COM heuristic) stays text."""
    text = "各位同事：\n新产品发布计划属于内部资料。\n".encode("gbk")
    assert text[0] == 0xB8
    assert TypeDetector().detect(text, "gb2312") == "text/plain"
    assert TypeDetector().detect(PE, "").endswith("portable-executable")


def test_body_text_in_an_undecodable_charset_is_typed() -> None:
    """Body text declaring a charset that is no text codec (rot13, base64,
    'undefined', a NUL in the name) is typed like any other, without raising."""
    for charset in ("rot13", "base64", "undefined", "utf-8\0", "x-unknown"):
        part = Part("body:1", 1, "text/plain", b"Card 4111", charset=charset)
        (typed,) = TypeDetector().annotate((part,))
        assert typed.detected_type == "text/plain"
