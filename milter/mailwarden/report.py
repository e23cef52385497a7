"""Inspections as plain data and as text: for the quarantine metadata, the
``scan`` command and log lines. Nothing here reveals a DLP value: findings carry
masked evidence only.
"""

from __future__ import annotations

from typing import Any

from mailwarden.model import Decision, Finding, Inspection
from mailwarden.tagging import sanitise


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "kind": str(finding.kind),
        "detector": finding.detector,
        "rule": finding.rule,
        "part_path": finding.part_path,
        "severity": finding.severity.name.lower(),
        "description": finding.description,
        "evidence": finding.evidence,
    }


def inspection_dict(inspection: Inspection) -> dict[str, Any]:
    """The inspection as JSON-ready data."""
    envelope = inspection.envelope
    decision = inspection.decision
    return {
        "envelope": {
            "client_address": envelope.client_address,
            "client_name": envelope.client_name,
            "helo": envelope.helo,
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "queue_id": envelope.queue_id,
            "auth_user": envelope.auth_user,
        },
        "message_id": inspection.message_id,
        "subject": inspection.subject,
        "size": inspection.size,
        "verdict": str(decision.verdict),
        "action": str(decision.action.kind),
        "reply": str(decision.action.reply) if decision.action.reply else None,
        "reason": decision.reason,
        "flags": list(inspection.flags),
        "findings": [finding_dict(f) for f in inspection.findings],
        "defects": [d.code for d in inspection.defects],
        "parts": [
            {
                "part_path": part.part_path,
                "depth": part.depth,
                "filenames": list(part.filenames),
                "declared_type": part.declared_type,
                "detected_type": part.detected_type,
                "size": part.size,
                "container": part.is_container,
                "defects": [d.code for d in part.defects],
            }
            for part in inspection.parts
        ],
        "timings_ms": {k: round(v, 2) for k, v in inspection.timings_ms.items()},
    }


def summary_line(
    inspection: Inspection, decision: Decision | None = None, quarantined: str = ""
) -> str:
    """The one INFO line per message (queue id is added by the logger).

    *decision* overrides the inspection's own when the milter had to change it
    (the quarantine store failed); *quarantined* is the quarantine item id.
    """
    envelope = inspection.envelope
    decision = decision or inspection.decision
    labels = ",".join(dict.fromkeys(f.label() for f in inspection.findings)) or "-"
    line = (
        f"from=<{sanitise(envelope.mail_from, 200)}> rcpts={len(envelope.rcpt_tos)} "
        f"size={inspection.size} verdict={decision.verdict} "
        f"action={decision.action.kind} findings={sanitise(labels, 400)} "
        f"parts={len(inspection.parts)} "
        f"ms={inspection.timings_ms.get('total', 0.0):.1f}"
    )
    return f"{line} quarantine={quarantined}" if quarantined else line
