"""The typed configuration: one frozen, validated object loaded from TOML at start.

Every key has a documented default (see docs/config.md); with no file at all the
daemon runs on these defaults. A bad file is refused with the key and the reason.
"""

from __future__ import annotations

import enum
import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mailwarden.errors import ConfigError
from mailwarden.model import ActionKind, FindingKind, Reply

#: The bundled signatures: ``$MAILWARDEN_SIGNATURES`` or ``signatures/`` beside the
#: source root of this checkout.
SIGNATURES_DIR = Path(
    os.environ.get(
        "MAILWARDEN_SIGNATURES", Path(__file__).resolve().parents[2] / "signatures"
    )
)
STATE_DIR = Path("/var/lib/mailwarden")

BLOCKED_EXTENSIONS = frozenset(
    "ade adp app application appref-ms appx appxbundle bas bat cab chm cmd com cpl "
    "diagcab dll exe gadget hta inf ins iqy iso img isp jar jnlp js jse library-ms "
    "lnk mde mht mhtml msc msi msix msixbundle msp mst one pif ps1 ps1xml psc1 psm1 "
    "reg scf scr sct settingcontent-ms shb shs slk sys url vb vbe vbs vhd vhdx vxd "
    "website wsc wsf wsh xlam xll".split()
)
BLOCKED_TYPES = frozenset(
    {
        "application/vnd.microsoft.portable-executable",
        "application/x-dosexec",
        "application/x-msdownload",
        "application/x-executable",
        "application/x-sharedlib",
        "application/x-pie-executable",
        "application/x-mach-binary",
        "application/x-msi",
    }
)


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MilterConfig(_Section):
    socket: str = "unix:/run/mailwarden/milter.sock"
    name: str = "mailwarden"
    user: str = "mailwarden"
    socket_mode: str = "0660"
    timeout: int = Field(default=600, gt=0)
    workers: int = Field(default=4, gt=0, le=256)
    inspect_timeout: float = Field(default=120.0, gt=0)
    spool_threshold: int = Field(default=1 << 20, ge=0)
    spool_dir: Path | None = None
    hold: bool = False
    strip_verdict_headers: bool = True

    @field_validator("socket")
    @classmethod
    def _socket_spelling(cls, value: str) -> str:
        if not value.startswith(("unix:", "local:", "inet:", "inet6:")):
            raise ValueError("must look like 'unix:/path' or 'inet:PORT@HOST'")
        return value

    @field_validator("socket_mode")
    @classmethod
    def _octal(cls, value: str) -> str:
        try:
            mode = int(value, 8)
        except ValueError:
            raise ValueError("must be an octal mode such as '0660'") from None
        if not 0 <= mode <= 0o777:
            raise ValueError("must be between 0000 and 0777")
        return value


class PartScans(enum.StrEnum):
    """When decoded parts go to clamd besides the raw message."""

    ALL = "all"
    DEFECTIVE = "defective"
    NONE = "none"


class ClamavConfig(_Section):
    enabled: bool = True
    servers: tuple[str, ...] = ("unix:/run/clamav/clamd.ctl",)
    timeout: float = Field(default=30.0, gt=0)
    max_stream_bytes: int = Field(default=25 << 20, gt=0)
    scan_raw_message: bool = True
    part_scans: PartScans = PartScans.DEFECTIVE

    @field_validator("servers")
    @classmethod
    def _server_spelling(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("needs at least one server")
        for server in value:
            if server.startswith("unix:"):
                continue
            host, _, port = server.removeprefix("tcp:").rpartition(":")
            if not server.startswith("tcp:") or not host or not port.isdigit():
                raise ValueError(f"{server!r}: use 'unix:/path' or 'tcp:HOST:PORT'")
        return value


class YaraConfig(_Section):
    enabled: bool = True
    rule_dirs: tuple[Path, ...] = (SIGNATURES_DIR / "yara",)
    timeout: int = Field(default=10, gt=0)


class AttachmentConfig(_Section):
    blocked_extensions: frozenset[str] = BLOCKED_EXTENSIONS
    blocked_types: frozenset[str] = BLOCKED_TYPES
    check_type_mismatch: bool = True
    check_double_extension: bool = True

    @field_validator("blocked_extensions")
    @classmethod
    def _normalise(cls, value: frozenset[str]) -> frozenset[str]:
        return frozenset(ext.lower().lstrip(".") for ext in value)


class DlpConfig(_Section):
    enabled: bool = True
    keyword_files: tuple[Path, ...] = (SIGNATURES_DIR / "dlp" / "keywords.txt",)
    card_numbers: bool = True
    max_text_bytes: int = Field(default=10 << 20, gt=0)


class LimitsConfig(_Section):
    max_depth: int = Field(default=40, gt=0)
    max_parts: int = Field(default=2000, gt=0)
    max_decoded_bytes: int = Field(default=256 << 20, gt=0)


class QuarantineConfig(_Section):
    directory: Path = STATE_DIR / "quarantine"


class TagConfig(_Section):
    subject_prefix: str = ""
    header_max_length: int = Field(default=512, ge=64, le=4000)


class KindPolicy(_Section):
    action: ActionKind
    reply: str | None = None

    @field_validator("reply")
    @classmethod
    def _reply(cls, value: str | None) -> str | None:
        if value is not None:
            Reply.parse(value)
        return value


DEFAULT_KIND_POLICY: dict[FindingKind, KindPolicy] = {
    FindingKind.MALWARE: KindPolicy(
        action=ActionKind.REJECT,
        reply="550 5.7.1 Message rejected: malware detected",
    ),
    FindingKind.BLOCKED_ATTACHMENT: KindPolicy(
        action=ActionKind.REJECT,
        reply="550 5.7.1 Message rejected: attachment type not allowed",
    ),
    FindingKind.YARA: KindPolicy(action=ActionKind.QUARANTINE),
    FindingKind.DOUBLE_EXTENSION: KindPolicy(action=ActionKind.QUARANTINE),
    FindingKind.TYPE_MISMATCH: KindPolicy(action=ActionKind.TAG),
    FindingKind.DLP: KindPolicy(action=ActionKind.TAG),
    FindingKind.UNSCANNABLE: KindPolicy(action=ActionKind.QUARANTINE),
}


class PolicyConfig(_Section):
    on_error: ActionKind = ActionKind.TEMPFAIL
    reject_reply: str = "550 5.7.1 Message rejected by content filter"
    tempfail_reply: str = "451 4.7.1 Message could not be scanned, try again later"
    honour_rule_actions: bool = True
    findings: dict[FindingKind, KindPolicy] = Field(
        default_factory=lambda: dict(DEFAULT_KIND_POLICY)
    )

    @field_validator("findings", mode="after")
    @classmethod
    def _merge_defaults(
        cls, value: dict[FindingKind, KindPolicy]
    ) -> dict[FindingKind, KindPolicy]:
        if FindingKind.SCAN_ERROR in value:
            raise ValueError("scan_error is governed by policy.on_error")
        return {**DEFAULT_KIND_POLICY, **value}

    @field_validator("reject_reply", "tempfail_reply")
    @classmethod
    def _reply(cls, value: str) -> str:
        Reply.parse(value)
        return value

    def reply_for(self, kind: FindingKind | None, action: ActionKind) -> Reply | None:
        """The SMTP reply for *action* decided by a finding of *kind*."""
        if action not in (ActionKind.REJECT, ActionKind.TEMPFAIL):
            return None
        rule = self.findings.get(kind) if kind is not None else None
        if rule is not None and rule.reply and rule.action == action:
            return Reply.parse(rule.reply)
        default = self.reject_reply if action == ActionKind.REJECT else None
        return Reply.parse(default or self.tempfail_reply)


class LoggingConfig(_Section):
    level: str = "INFO"

    @field_validator("level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()


class Config(_Section):
    milter: MilterConfig = MilterConfig()
    clamav: ClamavConfig = ClamavConfig()
    yara: YaraConfig = YaraConfig()
    attachments: AttachmentConfig = AttachmentConfig()
    dlp: DlpConfig = DlpConfig()
    limits: LimitsConfig = LimitsConfig()
    quarantine: QuarantineConfig = QuarantineConfig()
    tag: TagConfig = TagConfig()
    policy: PolicyConfig = PolicyConfig()
    logging: LoggingConfig = LoggingConfig()


def load_config(path: Path | None) -> Config:
    """Load and validate *path*; ``None`` gives the embedded defaults."""
    if path is None:
        return Config()
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc)}") from exc


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        key = ".".join(str(loc) for loc in error["loc"])
        lines.append(f"{key}: {error['msg']}")
    return "; ".join(lines)
