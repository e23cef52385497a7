"""A first cut of data-loss prevention: dictionary keywords and card numbers.

Text parts (plain and HTML) are decoded by their charset and searched for the terms
of the keyword files (see :mod:`mailwarden.detect.keywords`) and for Luhn-valid
payment card numbers. Evidence is masked before it leaves this module.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from mailwarden.config import DlpConfig
from mailwarden.detect.base import ScanInput
from mailwarden.detect.keywords import KeywordMatcher, Term
from mailwarden.errors import ConfigError
from mailwarden.model import Finding, FindingKind, Part, Severity

_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_TAG = re.compile(r"<[^>]*>")
_INVISIBLE = dict.fromkeys([0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD], None)


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
    data = bytes(part.content[: config.max_text_bytes])
    try:
        text = data.decode(part.charset or "utf-8", "replace")
    except LookupError:
        text = data.decode("utf-8", "replace")
    if part.declared_type == "text/html":
        # TODO(#5): a real HTML-to-text conversion with entities and hidden elements.
        text = _TAG.sub("", text)
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE)


def _digit_count(text: str) -> int:
    return sum(text.count(digit) for digit in "0123456789")


def _digits(candidate: str) -> str:
    return "".join(ch for ch in candidate if ch.isdigit())


def _is_card(candidate: str) -> bool:
    digits = _digits(candidate)
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    return luhn_valid(digits)


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
