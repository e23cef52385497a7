"""What every detector shares: its input, its protocol and its failure wrapper."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from mailwarden.errors import ScannerError, ScannerTimeout
from mailwarden.message import Buffer
from mailwarden.model import Envelope, Finding, FindingKind, Part, Severity

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class ScanInput:
    """One message as the detectors see it: raw bytes, typed parts, envelope."""

    raw: Buffer
    parts: tuple[Part, ...]
    envelope: Envelope

    def leaves(self) -> Iterator[Part]:
        """Parts with content of their own."""
        return (part for part in self.parts if not part.is_container)


class Detector(Protocol):
    """A detector reports Findings for a message; it never decides an action."""

    name: str

    def scan(self, message: ScanInput) -> list[Finding]: ...


def run_detector(
    detector: Detector, message: ScanInput, log: logging.LoggerAdapter[logging.Logger]
) -> tuple[list[Finding], float]:
    """Run *detector*; turn a scanner failure into a ``scan_error`` flag.

    Returns the findings and the milliseconds spent.
    """
    started = time.perf_counter()
    try:
        findings = detector.scan(message)
    except ScannerError as exc:
        flag = "timeout" if isinstance(exc, ScannerTimeout) else "unavailable"
        log.warning("%s failed, message not fully scanned: %s", detector.name, exc)
        findings = [
            Finding(
                kind=FindingKind.SCAN_ERROR,
                detector=detector.name,
                rule=f"{detector.name}_{flag}",
                part_path="message",
                severity=Severity.HIGH,
                description=str(exc)[:200],
            )
        ]
    return findings, (time.perf_counter() - started) * 1000


class Pool(Generic[T]):
    """Objects that must not be shared between threads, reused across messages.

    Inspections run on several threads; a pool keeps expensive objects (a loaded
    libmagic, a clamd client) from being rebuilt per message while never handing
    one object to two threads at once. With a *limit*, at most that many exist and
    a borrower waits for one to come back.
    """

    def __init__(
        self, factory: Callable[[], T], prefill: int = 0, limit: int | None = None
    ) -> None:
        self._factory = factory
        self._idle: queue.SimpleQueue[T] = queue.SimpleQueue()
        self._slots = threading.BoundedSemaphore(limit) if limit else None
        for _ in range(prefill):
            self._idle.put(factory())

    @contextmanager
    def borrow(self) -> Iterator[T]:
        if self._slots is not None:
            self._slots.acquire()
        try:
            try:
                item = self._idle.get_nowait()
            except queue.Empty:
                item = self._factory()
            try:
                yield item
            finally:
                self._idle.put(item)
        finally:
            if self._slots is not None:
                self._slots.release()
