"""The value types every stage of mailwarden speaks in.

A *verdict* says what the inspection concluded about a message; an *action* says what
the MTA is told to do with it. They are different types on purpose: policy maps one to
the other, per finding kind.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field


class Severity(enum.IntEnum):
    """How bad a finding is; ordered so that ``max()`` gives the worst."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, value: object, default: Severity) -> Severity:
        """Read a severity from rule metadata, falling back to *default*."""
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            return default


class FindingKind(enum.StrEnum):
    """The kinds of findings; policy assigns an action to each."""

    MALWARE = "malware"
    YARA = "yara"
    BLOCKED_ATTACHMENT = "blocked_attachment"
    DOUBLE_EXTENSION = "double_extension"
    TYPE_MISMATCH = "type_mismatch"
    DLP = "dlp"
    #: The message could not be inspected completely (limits, structure); a flag.
    UNSCANNABLE = "unscannable"
    #: A scanner failed (down, timed out, crashed); policy applies ``on_error``.
    SCAN_ERROR = "scan_error"


class Verdict(enum.StrEnum):
    """What the inspection concluded, from best to worst."""

    CLEAN = "clean"
    SUSPICIOUS = "suspicious"
    SENSITIVE = "sensitive"
    UNSCANNED = "unscanned"
    BLOCKED = "blocked"
    INFECTED = "infected"

    @property
    def rank(self) -> int:
        return list(Verdict).index(self)


VERDICT_OF_KIND: dict[FindingKind, Verdict] = {
    FindingKind.MALWARE: Verdict.INFECTED,
    FindingKind.YARA: Verdict.SUSPICIOUS,
    FindingKind.BLOCKED_ATTACHMENT: Verdict.BLOCKED,
    FindingKind.DOUBLE_EXTENSION: Verdict.SUSPICIOUS,
    FindingKind.TYPE_MISMATCH: Verdict.SUSPICIOUS,
    FindingKind.DLP: Verdict.SENSITIVE,
    FindingKind.UNSCANNABLE: Verdict.UNSCANNED,
    FindingKind.SCAN_ERROR: Verdict.UNSCANNED,
}


class ActionKind(enum.StrEnum):
    """What the MTA is told; ordered from mildest to strongest."""

    ACCEPT = "accept"
    TAG = "tag"
    QUARANTINE = "quarantine"
    TEMPFAIL = "tempfail"
    DISCARD = "discard"
    REJECT = "reject"

    @property
    def rank(self) -> int:
        return list(ActionKind).index(self)


_REPLY_RE = re.compile(r"^([45]\d\d)(?:\s+([45]\.\d{1,3}\.\d{1,3}))?(?:\s+(.*))?$")


@dataclass(frozen=True)
class Reply:
    """An SMTP reply: ``550 5.7.1 Message rejected``."""

    code: int
    xcode: str
    text: str

    @classmethod
    def parse(cls, value: str) -> Reply:
        """Parse ``"550 5.7.1 text"``; raise ValueError when it is not a 4xx/5xx."""
        match = _REPLY_RE.match(value.strip())
        if match is None:
            raise ValueError(f"not an SMTP reply like '550 5.7.1 text': {value!r}")
        code = int(match.group(1))
        xcode = match.group(2) or f"{code // 100}.7.1"
        if xcode[0] != str(code)[0]:
            raise ValueError(f"enhanced code {xcode} does not match reply code {code}")
        return cls(code, xcode, (match.group(3) or "").strip())

    def __str__(self) -> str:
        return f"{self.code} {self.xcode} {self.text}".rstrip()


@dataclass(frozen=True)
class Action:
    """An action with the SMTP reply to give when it rejects or tempfails."""

    kind: ActionKind
    reply: Reply | None = None


@dataclass(frozen=True)
class Envelope:
    """The SMTP envelope and connection facts of one message."""

    client_address: str = ""
    client_name: str = ""
    helo: str = ""
    mail_from: str = ""
    rcpt_tos: tuple[str, ...] = ()
    queue_id: str = ""
    auth_user: str = ""


@dataclass(frozen=True)
class Defect:
    """An anomaly in the structure of a message; recorded, never raised."""

    code: str
    detail: str = ""


@dataclass(frozen=True)
class Part:
    """One node of the MIME tree (or, later, of an archive), addressed by part_path.

    Containers (multipart, message/rfc822) carry no content of their own; leaves carry
    their decoded bytes in ``content``.
    """

    part_path: str
    depth: int
    declared_type: str
    #: Decoded bytes; a bytearray when the base64 decoder built it, never copied.
    content: bytes | bytearray = b""
    filenames: tuple[str, ...] = ()
    disposition: str = ""
    charset: str = ""
    transfer_encoding: str = ""
    is_container: bool = False
    defects: tuple[Defect, ...] = ()
    detected_type: str = ""

    @property
    def filename(self) -> str:
        """The file name a mail client would show, or '' when there is none."""
        return self.filenames[0] if self.filenames else ""

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def is_attachment(self) -> bool:
        return bool(self.filenames) or self.disposition == "attachment"

    @property
    def is_text(self) -> bool:
        return self.declared_type.startswith("text/") and not self.is_attachment


@dataclass(frozen=True)
class Finding:
    """One hit of one detector on one part.

    ``evidence`` is always safe to log: detectors mask sensitive values before they
    build a Finding. ``requested_action`` carries an action asked for by the rule
    itself (YARA ``meta: mailwarden_action``); policy decides whether to honour it.
    """

    kind: FindingKind
    detector: str
    rule: str
    part_path: str
    severity: Severity = Severity.MEDIUM
    description: str = ""
    evidence: str = ""
    requested_action: ActionKind | None = None

    def label(self) -> str:
        """A short token for headers and log lines: ``yara:HTML_Smuggling``."""
        return f"{self.kind}:{self.rule}"


@dataclass(frozen=True)
class Decision:
    """The verdict on a message and the action chosen for it, with the reason."""

    verdict: Verdict
    action: Action
    reason: str = ""


@dataclass(frozen=True)
class HeaderChange:
    """A header manipulation for the MTA; ``value`` is already sanitised."""

    name: str
    value: str
    replace: bool = False


@dataclass(frozen=True)
class Inspection:
    """Everything one inspection produced; consumed by the milter, CLI and outputs."""

    envelope: Envelope
    parts: tuple[Part, ...]
    findings: tuple[Finding, ...]
    decision: Decision
    size: int
    message_id: str = ""
    subject: str = ""
    defects: tuple[Defect, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def flags(self) -> tuple[str, ...]:
        """Short tokens for what kept the inspection from being complete."""
        kinds = (FindingKind.UNSCANNABLE, FindingKind.SCAN_ERROR)
        return tuple(sorted({f.rule for f in self.findings if f.kind in kinds}))
