"""The attachment policy, type comparison and DLP detectors on hand-built parts."""

from __future__ import annotations

from dataclasses import replace

from mailwarden.config import AttachmentConfig, DlpConfig
from mailwarden.detect.attachments import AttachmentDetector
from mailwarden.detect.base import ScanInput
from mailwarden.detect.dlp import DlpDetector, luhn_valid, mask_card
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


def text_part(text: str, charset: str = "utf-8") -> Part:
    return Part("body:1", 1, "text/plain", text.encode(charset), charset=charset)


def scan_dlp(part: Part, tmp_path: object) -> list[tuple[str, str]]:
    from pathlib import Path

    words = Path(str(tmp_path)) / "words.txt"
    words.write_text("# test\nCONFIDENTIAL\n机密\tsecret\t5\n", encoding="utf-8")
    detector = DlpDetector(DlpConfig(keyword_files=(words,)))
    found = detector.scan(ScanInput(b"", (part,), Envelope()))
    return [(f.rule, f.evidence) for f in found]


def test_card_numbers_masked(tmp_path: object) -> None:
    """A Luhn-valid card is found and only its masked form is kept."""
    found = scan_dlp(text_part("pay with 4111-1111-1111-1111 today"), tmp_path)
    assert found == [("card_number", "4111 **** **** 1111")]


def test_card_false_positives(tmp_path: object) -> None:
    """Numbers failing Luhn, repeated digits and order numbers are not cards."""
    text = "order 4111 1111 1111 1112, tracking 0000000000000000, id 12345"
    assert scan_dlp(text_part(text), tmp_path) == []


def test_keywords_whole_word_and_cjk(tmp_path: object) -> None:
    """Latin markings match whole capitalised words only; CJK matches in GBK."""
    assert scan_dlp(text_part("NONCONFIDENTIALITY clause"), tmp_path) == []
    assert scan_dlp(text_part("this message is confidential"), tmp_path) == []
    found = scan_dlp(text_part("CONFIDENTIAL - board minutes"), tmp_path)
    assert found[0][0] == "keyword_confidential"
    gbk = scan_dlp(text_part("这是机密文件", "gbk"), tmp_path)
    assert gbk[0][0] == "keyword_secret"


def test_luhn_and_mask() -> None:
    """The Luhn check and the mask keep four and four digits."""
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert mask_card("5500 0000 0000 0004") == "5500 **** **** 0004"


def test_gbk_text_is_not_a_dos_program() -> None:
    """GBK text starting with 0xB8 (libmagic's .COM heuristic) stays text."""
    text = "各位同事：\n新产品发布计划属于内部资料。\n".encode("gbk")
    assert text[0] == 0xB8
    assert TypeDetector().detect(text, "gb2312") == "text/plain"
    assert TypeDetector().detect(PE, "").endswith("portable-executable")
