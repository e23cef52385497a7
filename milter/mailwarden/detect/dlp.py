"""A first cut of data-loss prevention: dictionary keywords and card numbers.

Text parts (plain and HTML) are decoded by their charset and searched for the terms
of the keyword files (whole words for Latin script, substrings for CJK) and for
Luhn-valid payment card numbers. Evidence is masked before it leaves this module.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from mailwarden.config import DlpConfig
from mailwarden.detect.base import ScanInput
from mailwarden.errors import ConfigError
from mailwarden.model import Finding, FindingKind, Part, Severity

_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_TAG = re.compile(r"<[^>]*>")
_INVISIBLE = dict.fromkeys([0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD], None)


@dataclass(frozen=True)
class Term:
    text: str
    category: str = "confidential"
    weight: int = 1


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


def _pattern(term: str) -> str:
    """Latin terms match whole words; a term written in capitals (a marking such
    as CONFIDENTIAL) matches only in capitals, so disclaimers saying "this message
    is confidential" do not count; CJK terms match as substrings."""
    escaped = re.escape(term).replace(r"\ ", r"\s+")
    if not term.isascii():
        return escaped
    if term.isupper():
        escaped = f"(?-i:{escaped})"
    return rf"(?<!\w){escaped}(?!\w)"


class DlpDetector:
    name = "dlp"

    def __init__(self, config: DlpConfig) -> None:
        self._config = config
        self._terms = {t.text.casefold(): t for t in load_terms(config.keyword_files)}
        # TODO(#5): an Aho-Corasick matcher so that large dictionaries cost the same.
        alternatives = sorted(
            (term.text for term in self._terms.values()), key=len, reverse=True
        )
        self._keywords = (
            re.compile("|".join(_pattern(t) for t in alternatives), re.IGNORECASE)
            if alternatives
            else None
        )

    def scan(self, message: ScanInput) -> list[Finding]:
        findings: list[Finding] = []
        for part in message.leaves():
            if part.declared_type in ("text/plain", "text/html") and part.content:
                findings += self._scan_text(part, _text_of(part, self._config))
        return findings

    def _scan_text(self, part: Part, text: str) -> list[Finding]:
        findings = []
        if self._keywords is not None:
            hits: dict[str, int] = {}
            for match in self._keywords.finditer(text):
                key = re.sub(r"\s+", " ", match.group(0)).casefold()
                hits[key] = hits.get(key, 0) + 1
            for key, count in hits.items():
                term = self._terms.get(key)
                category = term.category if term else "confidential"
                findings.append(
                    _finding(f"keyword_{category}", part, f"{key!r} x{count}", count)
                )
        if self._config.card_numbers:
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
