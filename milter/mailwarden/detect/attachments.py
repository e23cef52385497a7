"""The attachment policy: blocked extensions and types, double extensions, and
parts whose declared type or extension disagrees with their magic bytes.

Every file-name candidate is checked, not just the one a client shows, because
clients disagree about which one wins.
"""

from __future__ import annotations

from mailwarden.config import AttachmentConfig
from mailwarden.detect.base import ScanInput
from mailwarden.detect.filetype import canonical, compatible, type_of_extension
from mailwarden.message.names import extension_of, extensions_of
from mailwarden.model import Finding, FindingKind, Part, Severity

#: Extensions a lure pretends to have in front of the real one.
_DECOYS = frozenset(
    "pdf doc docx xls xlsx ppt pptx rtf txt csv odt ods jpg jpeg png gif bmp tif "
    "tiff mp3 mp4 wav avi mov".split()
)
#: Outer extensions that only wrap the inner one (``report.pdf.gz``).
_WRAPPERS = frozenset(["gz", "bz2", "xz", "zst", "zip", "7z", "rar", "tar", "tgz"])


class AttachmentDetector:
    name = "attachments"

    def __init__(self, config: AttachmentConfig) -> None:
        self._config = config
        self._blocked_types = frozenset(canonical(t) for t in config.blocked_types)

    def scan(self, message: ScanInput) -> list[Finding]:
        findings: list[Finding] = []
        for part in message.leaves():
            findings += self._blocked(part)
            if self._config.check_double_extension:
                findings += _double_extension(part)
            if self._config.check_type_mismatch:
                findings += _mismatch(part)
        return findings

    def _blocked(self, part: Part) -> list[Finding]:
        findings = []
        for name in part.filenames:
            extension = extension_of(name)
            if extension in self._config.blocked_extensions:
                findings.append(
                    _finding(
                        FindingKind.BLOCKED_ATTACHMENT,
                        f"extension_{extension}",
                        part,
                        Severity.HIGH,
                        f"blocked file extension .{extension}",
                    )
                )
                break
        detected = canonical(part.detected_type)
        if detected in self._blocked_types:
            findings.append(
                _finding(
                    FindingKind.BLOCKED_ATTACHMENT,
                    "executable_content",
                    part,
                    Severity.HIGH,
                    f"blocked content type {detected}",
                )
            )
        return findings


def _double_extension(part: Part) -> list[Finding]:
    for name in part.filenames:
        extensions = extensions_of(name)
        if len(extensions) < 2:
            continue
        inner, outer = extensions[-2], extensions[-1]
        if inner in _DECOYS and outer != inner and outer not in _WRAPPERS | _DECOYS:
            return [
                _finding(
                    FindingKind.DOUBLE_EXTENSION,
                    "double_extension",
                    part,
                    Severity.MEDIUM,
                    f"name ends .{inner}.{outer}",
                )
            ]
    return []


def _mismatch(part: Part) -> list[Finding]:
    detected = part.detected_type
    claims = [("declared", part.declared_type)] if part.is_attachment else []
    claims += [
        ("extension", type_of_extension(extension_of(name))) for name in part.filenames
    ]
    for source, claimed in claims:
        if claimed and not compatible(claimed, detected):
            return [
                _finding(
                    FindingKind.TYPE_MISMATCH,
                    f"{source}_type_mismatch",
                    part,
                    Severity.LOW,
                    f"{source} {claimed} but content is {detected}",
                )
            ]
    return []


def _finding(
    kind: FindingKind, rule: str, part: Part, severity: Severity, description: str
) -> Finding:
    return Finding(
        kind=kind,
        detector=AttachmentDetector.name,
        rule=rule,
        part_path=part.part_path,
        severity=severity,
        description=description,
    )
