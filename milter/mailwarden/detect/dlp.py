"""A first cut of data-loss prevention: dictionary keywords and card numbers.

Text parts (plain and HTML) are decoded by their charset and searched for the terms
of the keyword files (see :mod:`mailwarden.detect.keywords`) and for payment card
numbers. Evidence is masked before it leaves this module.

Before matching, every Unicode format character (category Cf: zero-width spaces and
joiners, the invisible separator, direction marks and isolates, the byte order mark,
the soft hyphen) is removed and the text is NFKC-normalised, so neither invisible
characters nor full-width digits hide a term or a number. A charset that Python cannot
decode to text (unknown, ``undefined``, a codec such as ``base64``) is read as UTF-8.

A card number is a run of 13 to 19 digits, optionally grouped by single spaces or
dashes, that starts with an issuer's prefix, has a length that issuer uses, and passes
the Luhn check. A run that goes on with another digit group (an order number such as
``112-4455667-8899000``, a 22-digit tracking number in groups of four) is one longer
number and not a card; a trailing expiry date (``4111 1111 1111 1111 12/25``) does not
count as such a group. Known gap: a card followed by one space and another number
(a security code: ``4111111111111111 123``) reads as one longer number and is missed,
and so is a card written against a slash (``4111111111111111/12``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from mailwarden.config import DlpConfig
from mailwarden.detect.base import ScanInput
from mailwarden.detect.keywords import KeywordMatcher, Term
from mailwarden.errors import ConfigError
from mailwarden.model import Finding, FindingKind, Part, Severity

#: 13 to 19 digits joined by at most one space or dash each, neither preceded nor
#: followed by another digit group: a longer number is not a card. An expiry date
#: may follow ("4111 1111 1111 1111 12/25"); refusing "/" right after the run keeps
#: it from taking in the month ("... 1111 12").
_CARD = re.compile(
    r"""(?<!\d)(?<!\d[ -])
    \d(?:[ -]?\d){12,18}
    (?!\d|/|[ -]\d(?!\d?/))
    """,
    re.VERBOSE,
)
_TAG = re.compile(r"<[^>]*>")

#: Every code point of general category Cf (format) in Unicode 14.0, the version of
#: Python 3.11's unicodedata, plus U+13439..1343F, which Unicode 15.0 added to the
#: Egyptian hieroglyph format controls. Hard-coded because scanning all of Unicode
#: at import costs about 160 ms; tests/unit/test_dlp.py checks the ranges against
#: the running interpreter's unicodedata.
FORMAT_RANGES = (
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
_FORMAT_CHARS = dict.fromkeys(
    (cp for first, last in FORMAT_RANGES for cp in range(first, last + 1)), None
)


@dataclass(frozen=True)
class _Issuer:
    """Card prefixes *first* to *last* (compared on as many leading digits) and the
    lengths of their numbers."""

    first: str
    last: str
    lengths: range

    def issued(self, digits: str) -> bool:
        prefix = digits[: len(self.first)]
        return self.first <= prefix <= self.last and len(digits) in self.lengths


#: Issuer identification ranges of the card networks (Maestro is left out: its
#: 12-19 digit numbers under prefixes 50 and 56-69 would match too much else).
_ISSUERS = (
    _Issuer("4", "4", range(13, 20, 3)),  # Visa: 13, 16, 19
    _Issuer("51", "55", range(16, 17)),  # Mastercard
    _Issuer("2221", "2720", range(16, 17)),  # Mastercard 2-series
    _Issuer("34", "34", range(15, 16)),  # American Express
    _Issuer("37", "37", range(15, 16)),  # American Express
    _Issuer("6011", "6011", range(16, 20)),  # Discover
    _Issuer("644", "649", range(16, 20)),  # Discover
    _Issuer("65", "65", range(16, 20)),  # Discover
    _Issuer("3528", "3589", range(16, 20)),  # JCB
    _Issuer("300", "305", range(14, 20)),  # Diners Club
    _Issuer("36", "36", range(14, 20)),  # Diners Club
    _Issuer("38", "39", range(14, 20)),  # Diners Club
    _Issuer("62", "62", range(16, 20)),  # UnionPay
)


def load_terms(paths: tuple[Path, ...]) -> list[Term]:
    """Read ``term[<TAB>category[<TAB>weight]]`` lines; ``#`` starts a comment."""
    terms = []
    for path in paths:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeError) as exc:
            raise ConfigError(f"dlp.keyword_files: {path}: {exc}") from exc
        for line in lines:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = [field.strip() for field in line.split("\t")]
            weight = int(fields[2]) if len(fields) > 2 and fields[2].isdigit() else 1
            category = fields[1] if len(fields) > 1 and fields[1] else "confidential"
            terms.append(
                Term(unicodedata.normalize("NFKC", fields[0]), category, weight)
            )
    return terms


class DlpDetector:
    name = "dlp"

    def __init__(self, config: DlpConfig) -> None:
        self._config = config
        self._keywords = KeywordMatcher(load_terms(config.keyword_files))

    def scan(self, message: ScanInput) -> list[Finding]:
        findings: list[Finding] = []
        # TODO(#5): also the Subject and the text of attachments (CSV, PDF, Office).
        for part in message.leaves():
            if part.declared_type in ("text/plain", "text/html") and part.content:
                findings += self._scan_text(part, _text_of(part, self._config))
        return findings

    def _scan_text(self, part: Part, text: str) -> list[Finding]:
        findings = []
        for term, count in self._keywords.count(text).items():
            findings.append(
                _finding(
                    f"keyword_{term.category}", part, f"{term.text!r} x{count}", count
                )
            )
        if self._config.card_numbers and _digit_count(text) >= 13:
            cards = [m.group(0) for m in _CARD.finditer(text) if _is_card(m.group(0))]
            if cards:
                findings.append(
                    _finding("card_number", part, mask_card(cards[0]), len(cards))
                )
        return findings


def _text_of(part: Part, config: DlpConfig) -> str:
    text = decode_text(bytes(part.content[: config.max_text_bytes]), part.charset)
    if part.declared_type == "text/html":
        # TODO(#5): a real HTML-to-text conversion with entities and hidden elements.
        text = _TAG.sub("", text)
    return normalise(text)


def decode_text(data: bytes, charset: str) -> str:
    """*data* read in *charset*, or as UTF-8 where *charset* is no text encoding
    Python can use; undecodable bytes become U+FFFD. Never raises."""
    try:
        # bytes.decode refuses codecs that are not text encodings (base64, zlib)
        # with LookupError; "undefined", "idna" and "punycode" raise UnicodeError,
        # even with "replace"; a NUL in the name raises ValueError.
        return data.decode(charset or "utf-8", "replace")
    except (LookupError, UnicodeError, ValueError):
        return data.decode("utf-8", "replace")


def normalise(text: str) -> str:
    """*text* without format characters, then in NFKC (full-width digits to ASCII)."""
    return unicodedata.normalize("NFKC", text.translate(_FORMAT_CHARS))


def _digit_count(text: str) -> int:
    return sum(text.count(digit) for digit in "0123456789")


def _digits(candidate: str) -> str:
    return "".join(ch for ch in candidate if ch.isdigit())


def _is_card(candidate: str) -> bool:
    digits = _digits(candidate)
    if not any(issuer.issued(digits) for issuer in _ISSUERS):
        return False
    return len(set(digits)) > 1 and luhn_valid(digits)


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check used by payment card numbers."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def mask_card(candidate: str) -> str:
    """``4111 **** **** 1111``: first four and last four digits only."""
    digits = _digits(candidate)
    middle = len(digits) - 8
    stars = " ".join("*" * 4 for _ in range(middle // 4))
    stars += ("*" * (middle % 4)) if middle % 4 else ""
    return f"{digits[:4]} {stars.strip()} {digits[-4:]}"


def _finding(rule: str, part: Part, evidence: str, count: int) -> Finding:
    return Finding(
        kind=FindingKind.DLP,
        detector=DlpDetector.name,
        rule=rule,
        part_path=part.part_path,
        severity=Severity.HIGH if count >= 10 else Severity.MEDIUM,
        description=f"{count} match(es)",
        evidence=evidence,
    )
