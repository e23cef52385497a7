"""YARA over every decoded part, with per-part externals.

The rule set is compiled once, at start, from every ``.yar``/``.yara`` file in the
configured directories (one namespace per file). Rules read their behaviour from
``meta``: ``mailwarden_action``, ``severity`` and ``description``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yara

from mailwarden.config import YaraConfig
from mailwarden.detect.base import ScanInput
from mailwarden.errors import RulesError, ScannerError, ScannerTimeout
from mailwarden.message.names import extension_of
from mailwarden.model import ActionKind, Finding, FindingKind, Part, Severity

#: Every external a rule may use, with the value it has when a part lacks it.
EXTERNALS: dict[str, str] = {
    "filename": "",
    "extension": "",
    "filetype": "",
    "declared_type": "",
    "part_path": "",
}


def rule_files(directories: tuple[Path, ...]) -> dict[str, str]:
    """Namespace → path for every rule file, namespaces from the file names."""
    files: dict[str, str] = {}
    for directory in directories:
        for path in sorted(directory.glob("**/*")):
            if path.suffix in (".yar", ".yara") and path.is_file():
                namespace = path.stem
                while namespace in files:
                    namespace += "_"
                files[namespace] = str(path)
    return files


def compile_rules(directories: tuple[Path, ...]) -> Any:
    """Compile the rule set; raise RulesError with the file and line on failure."""
    files = rule_files(directories)
    if not files:
        raise RulesError(f"no .yar/.yara files in {', '.join(map(str, directories))}")
    try:
        return yara.compile(filepaths=files, externals=EXTERNALS)
    except yara.Error as exc:
        raise RulesError(str(exc)) from exc


class YaraDetector:
    name = "yara"

    def __init__(self, config: YaraConfig) -> None:
        self._timeout = config.timeout
        self.rules = compile_rules(config.rule_dirs)
        self.rule_count = sum(1 for _ in self.rules)

    def scan(self, message: ScanInput) -> list[Finding]:
        findings: list[Finding] = []
        for part in message.leaves():
            if part.content:
                findings += self._scan_part(part)
        return findings

    def _scan_part(self, part: Part) -> list[Finding]:
        try:
            matches = self.rules.match(
                data=part.content, externals=_externals(part), timeout=self._timeout
            )
        except yara.TimeoutError as exc:
            raise ScannerTimeout(f"yara timed out on {part.part_path}") from exc
        except yara.Error as exc:
            raise ScannerError(f"yara failed on {part.part_path}: {exc}") from exc
        return [_finding(match, part) for match in matches]


def _externals(part: Part) -> dict[str, str]:
    return {
        "filename": part.filename,
        "extension": extension_of(part.filename),
        "filetype": part.detected_type,
        "declared_type": part.declared_type,
        "part_path": part.part_path,
    }


def _finding(match: Any, part: Part) -> Finding:
    meta: dict[str, Any] = match.meta
    try:
        requested: ActionKind | None = ActionKind(str(meta["mailwarden_action"]))
    except (KeyError, ValueError):
        requested = None
    return Finding(
        kind=FindingKind.YARA,
        detector=YaraDetector.name,
        rule=f"{match.namespace}.{match.rule}",
        part_path=part.part_path,
        severity=Severity.parse(meta.get("severity"), Severity.MEDIUM),
        description=str(meta.get("description", ""))[:200],
        requested_action=requested,
    )
