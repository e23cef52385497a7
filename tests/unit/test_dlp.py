"""The DLP detector: keywords, card numbers, normalisation and charsets."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import pytest

from mailwarden.config import DlpConfig
from mailwarden.detect.base import ScanInput
from mailwarden.detect.dlp import FORMAT_RANGES, DlpDetector, luhn_valid, mask_card
from mailwarden.model import Envelope, Part

CARD = "4111 1111 1111 1111"
MASKED = "4111 **** **** 1111"


def text_part(text: str, charset: str = "utf-8") -> Part:
    return Part("body:1", 1, "text/plain", text.encode(charset), charset=charset)


def raw_part(content: bytes, charset: str) -> Part:
    return Part("body:1", 1, "text/plain", content, charset=charset)


def scan_dlp(part: Part, tmp_path: Path) -> list[tuple[str, str]]:
    words = tmp_path / "words.txt"
    words.write_text("# test\nCONFIDENTIAL\n机密\tsecret\t5\n", encoding="utf-8")
    detector = DlpDetector(DlpConfig(keyword_files=(words,)))
    found = detector.scan(ScanInput(b"", (part,), Envelope()))
    return [(f.rule, f.evidence) for f in found]


def cards_in(text: str, tmp_path: Path) -> list[str]:
    found = scan_dlp(text_part(text), tmp_path)
    return [evidence for rule, evidence in found if rule == "card_number"]


def with_check_digit(body: str) -> str:
    """*body* and the digit that makes it pass the Luhn check."""
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def test_card_numbers_masked(tmp_path: Path) -> None:
    """A Luhn-valid card is found and only its masked form is kept."""
    found = scan_dlp(text_part("pay with 4111-1111-1111-1111 today"), tmp_path)
    assert found == [("card_number", MASKED)]


def test_card_false_positives(tmp_path: Path) -> None:
    """Numbers failing Luhn, repeated digits and order numbers are not cards."""
    text = "order 4111 1111 1111 1112, tracking 0000000000000000, id 12345"
    assert scan_dlp(text_part(text), tmp_path) == []


def test_keywords_whole_word_and_cjk(tmp_path: Path) -> None:
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


def test_format_ranges_hold_every_format_character() -> None:
    """The hard-coded ranges contain every category Cf code point this Python's
    unicodedata knows, so a newer Unicode cannot add one unnoticed."""
    listed = {cp for first, last in FORMAT_RANGES for cp in range(first, last + 1)}
    missing = [
        f"U+{cp:04X}"
        for cp in range(sys.maxunicode + 1)
        if unicodedata.category(chr(cp)) == "Cf" and cp not in listed
    ]
    assert not missing, f"Unicode {unicodedata.unidata_version}: add {missing}"


@pytest.mark.parametrize(
    "invisible",
    ["\u2063", "\u200e", "\u2066", "\u2069", "\ufeff", "\u00ad", "\u200b", "\u202e"],
)
def test_format_characters_hide_no_card_and_no_keyword(
    invisible: str, tmp_path: Path
) -> None:
    """A format character between the digits of a card or the letters of a keyword
    (invisible separator, direction marks and isolates, BOM, soft hyphen) is
    removed before matching."""
    card = invisible.join("4111111111111111")
    keyword = invisible.join("CONFIDENTIAL")
    found = scan_dlp(text_part(f"Card: {card}\n{keyword}"), tmp_path)
    assert sorted(found) == [
        ("card_number", MASKED),
        ("keyword_confidential", "'CONFIDENTIAL' x1"),
    ]


@pytest.mark.parametrize(
    "charset",
    ["undefined", "utf-8\0", "x-unknown", "base64", "rot13", "idna", "punycode", ""],
)
def test_undecodable_charset_is_read_as_utf8(charset: str, tmp_path: Path) -> None:
    """A charset Python cannot decode text with (unknown, 'undefined', a NUL in
    the name, a bytes-to-bytes codec) falls back to UTF-8 instead of raising."""
    part = raw_part(f"Card {CARD} é".encode() + b"\xff", charset)
    assert scan_dlp(part, tmp_path) == [("card_number", MASKED)]


@pytest.mark.parametrize(
    ("body", "length"),
    [
        ("4", 13),  # Visa
        ("4", 16),
        ("4", 19),
        ("51", 16),  # Mastercard
        ("55", 16),
        ("2221", 16),
        ("2720", 16),
        ("34", 15),  # American Express
        ("37", 15),
        ("6011", 16),  # Discover
        ("644", 19),
        ("65", 16),
        ("3528", 16),  # JCB
        ("3589", 19),
        ("300", 14),  # Diners Club
        ("305", 14),
        ("36", 14),
        ("38", 16),
        ("62", 16),  # UnionPay
        ("62", 19),
    ],
)
def test_issuer_prefixes_with_their_lengths_are_cards(
    body: str, length: int, tmp_path: Path
) -> None:
    """A Luhn-valid number with an issuer's prefix and one of its lengths is a
    card."""
    number = with_check_digit(body + "7" * (length - len(body) - 1))
    assert cards_in(f"number {number} here", tmp_path) == [mask_card(number)]


@pytest.mark.parametrize(
    ("body", "length"),
    [
        ("1", 16),  # no issuer starts with 1 (an Amazon order number does)
        ("94", 16),  # nor 9 (USPS tracking numbers do)
        ("4", 14),  # Visa has no 14-digit cards
        ("4", 15),
        ("51", 15),  # Mastercard is 16 digits
        ("56", 16),  # 56 is Maestro, left out
        ("2220", 16),  # just below the Mastercard 2-series
        ("2721", 16),  # just above it
        ("34", 16),  # Amex is 15 digits
        ("306", 14),  # not Diners Club
        ("3527", 16),  # just below JCB
        ("643", 16),  # just below Discover's 644-649
    ],
)
def test_numbers_without_an_issuer_are_not_cards(
    body: str, length: int, tmp_path: Path
) -> None:
    """A Luhn-valid number is no card unless its prefix and length are an
    issuer's."""
    number = with_check_digit(body + "7" * (length - len(body) - 1))
    assert cards_in(f"number {number} here", tmp_path) == []


@pytest.mark.parametrize(
    "text",
    [
        "Your Amazon.com order 112-4455667-8899000 has shipped.",
        "USPS tracking: 9400 1000 0000 0005 0017 00",
        f"tracking {CARD} 0017 00",
        f"tracking 9400 {CARD}",
        f"reference {CARD}-12",
        f"reference 12-{CARD}",
    ],
)
def test_digit_runs_that_go_on_are_not_cards(text: str, tmp_path: Path) -> None:
    """A card-like run followed or preceded by another digit group (one space or
    dash apart) is part of a longer number such as an order or tracking number."""
    assert cards_in(text, tmp_path) == []


@pytest.mark.parametrize(
    "text",
    [
        "card ４１１１　１１１１　１１１１　１１１１ ok",  # noqa: RUF001 full-width on purpose
        "card 4111-1111-1111-1111 ok",
        "card 4111 1111-1111 1111 ok",
        "card 4111111111111111.",
        f"card {CARD} 12/25",
        f"card {CARD} 1/27 cvv",
        f"card: {CARD}, expires 12/25",
    ],
)
def test_card_separators_and_expiry(text: str, tmp_path: Path) -> None:
    """Full-width digits, single spaces and dashes still group a card, and an
    expiry date right after it does not make it a longer number."""
    assert cards_in(text, tmp_path) == [MASKED]
