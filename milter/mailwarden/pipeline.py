"""The one inspection path: parse, detect types, run detectors, decide.

The milter adapter and ``mailwarden scan`` both call :meth:`Pipeline.inspect`, so the
offline verdict is the milter's verdict by construction. Everything expensive (rule
compilation, libmagic loading, dictionaries) happens in :meth:`Pipeline.from_config`,
once, at start.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from mailwarden.config import Config
from mailwarden.detect.attachments import AttachmentDetector
from mailwarden.detect.base import Detector, ScanInput, run_detector
from mailwarden.detect.clamav import ClamavDetector
from mailwarden.detect.dlp import DlpDetector
from mailwarden.detect.filetype import TypeDetector
from mailwarden.detect.yara import YaraDetector
from mailwarden.message import Buffer, parse_message
from mailwarden.model import Envelope, Finding, FindingKind, Inspection, Severity
from mailwarden.policy import decide

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedRules:
    """What an operator wants to know about the loaded detection content."""

    yara_rules: int
    clamd_servers: tuple[str, ...]


class Pipeline:
    def __init__(
        self, config: Config, types: TypeDetector, detectors: Sequence[Detector]
    ) -> None:
        self.config = config
        self._types = types
        self.detectors = tuple(detectors)

    @classmethod
    def from_config(cls, config: Config) -> Pipeline:
        detectors: list[Detector] = [AttachmentDetector(config.attachments)]
        if config.clamav.enabled:
            detectors.append(ClamavDetector(config.clamav))
        if config.yara.enabled:
            detectors.append(YaraDetector(config.yara))
        if config.dlp.enabled:
            detectors.append(DlpDetector(config.dlp))
        return cls(config, TypeDetector(), detectors)

    def describe(self) -> LoadedRules:
        yara_rules = sum(
            d.rule_count for d in self.detectors if isinstance(d, YaraDetector)
        )
        servers = tuple(
            c.address
            for d in self.detectors
            if isinstance(d, ClamavDetector)
            for c in d.clients
        )
        return LoadedRules(yara_rules, servers)

    def inspect(
        self,
        raw: Buffer,
        envelope: Envelope,
        log: logging.LoggerAdapter[logging.Logger] | None = None,
    ) -> Inspection:
        """Inspect one message; scanner failures become flags, never exceptions."""
        log = log or logging.LoggerAdapter(logger, {"id": envelope.queue_id or "-"})
        timings: dict[str, float] = {}
        started = time.perf_counter()

        parsed = parse_message(raw, self.config.limits)
        parts = self._types.annotate(parsed.parts)
        timings["parse"] = (time.perf_counter() - started) * 1000
        findings = [_flag(flag) for flag in parsed.flags]

        message = ScanInput(raw, parts, envelope)
        for detector in self.detectors:
            found, elapsed = run_detector(detector, message, log)
            findings += found
            timings[detector.name] = elapsed

        decision = decide(findings, self.config.policy)
        timings["total"] = (time.perf_counter() - started) * 1000
        return Inspection(
            envelope=envelope,
            parts=parts,
            findings=tuple(findings),
            decision=decision,
            size=len(raw),
            message_id=parsed.message_id,
            subject=parsed.subject,
            defects=parsed.defects,
            timings_ms=timings,
        )


def _flag(flag: str) -> Finding:
    return Finding(
        kind=FindingKind.UNSCANNABLE,
        detector="message",
        rule=flag,
        part_path="message",
        severity=Severity.MEDIUM,
        description="the message could not be inspected completely",
    )
