"""``mailwarden scan``: the milter's pipeline and policy on files, without an MTA.

Exit status: 0 when every message would be accepted untouched, 1 when any would be
tagged, quarantined, rejected, tempfailed or discarded, 2 on a usage or start-up error
or when a file could not be inspected (its name and the error go to stderr, and the
next file is inspected all the same).
"""

from __future__ import annotations

import json
import mmap
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mailwarden.cli.common import config_option, load_or_exit, setup_logging
from mailwarden.errors import MailwardenError
from mailwarden.model import ActionKind, Envelope, Inspection
from mailwarden.report import inspection_dict
from mailwarden.tagging import sanitise

if TYPE_CHECKING:
    from mailwarden.pipeline import Pipeline


@click.command()
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document per file.")
@config_option
@click.option("--sender", default="", help="Envelope sender to assume.")
@click.option("--rcpt", "rcpts", multiple=True, help="Envelope recipient(s) to assume.")
def scan(
    files: tuple[Path, ...],
    as_json: bool,
    config_path: Path | None,
    sender: str,
    rcpts: tuple[str, ...],
) -> None:
    """Inspect message files exactly as the milter would and print the result."""
    from mailwarden.pipeline import Pipeline

    config = load_or_exit(config_path)
    setup_logging("WARNING")
    try:
        pipeline = Pipeline.from_config(config)
    except MailwardenError as exc:
        click.echo(f"mailwarden: cannot start: {exc}", err=True)
        sys.exit(2)

    envelope = Envelope(mail_from=sender, rcpt_tos=rcpts)
    status = 0
    for path in files:
        try:
            accepted = _scan_file(pipeline, path, envelope, as_json)
        except Exception as exc:
            # The command's boundary, as the callback wrapper is the milter's: a
            # file that breaks the inspection is reported and the next one scanned.
            error = sanitise(f"{path}: {type(exc).__name__}: {exc}", 500)
            click.echo(f"mailwarden: {error}", err=True)
            status = 2
            continue
        if not accepted:
            status = max(status, 1)
    sys.exit(status)


def _scan_file(
    pipeline: Pipeline, path: Path, envelope: Envelope, as_json: bool
) -> bool:
    """Inspect and print one file; whether it would be accepted untouched."""
    with path.open("rb") as handle:
        size = path.stat().st_size
        raw = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        inspection = pipeline.inspect(raw, envelope)

    if as_json:
        click.echo(json.dumps({"file": str(path), **inspection_dict(inspection)}))
    else:
        _print(path, inspection)
    return inspection.decision.action.kind == ActionKind.ACCEPT


def _print(path: Path, inspection: Inspection) -> None:
    decision = inspection.decision
    reply = f" ({decision.action.reply})" if decision.action.reply else ""
    click.echo(f"{path}")
    click.echo(f"  verdict: {decision.verdict}   action: {decision.action.kind}{reply}")
    if decision.reason and inspection.findings:
        click.echo(f"  because: {sanitise(decision.reason, 300)}")
    if inspection.flags:
        click.echo(f"  flags:   {', '.join(inspection.flags)}")
    by_part: dict[str, list[str]] = {}
    for finding in inspection.findings:
        text = f"{finding.label()}"
        if finding.evidence:
            text += f" [{sanitise(finding.evidence, 60)}]"
        by_part.setdefault(finding.part_path, []).append(text)
    for part in inspection.parts:
        names = " | ".join(sanitise(n, 60) for n in part.filenames)
        kind = part.declared_type + (
            f" -> {part.detected_type}" if part.detected_type else ""
        )
        line = f"  {'  ' * part.depth}{sanitise(part.part_path, 80)}  {kind}"
        if not part.is_container:
            line += f"  {part.size} B"
        if names:
            line += f"  name: {names}"
        click.echo(line)
        for text in by_part.pop(part.part_path, []):
            click.echo(f"  {'  ' * part.depth}  ! {text}")
    for part_path, texts in by_part.items():
        for text in texts:
            click.echo(f"  {sanitise(part_path, 80)}  ! {text}")
