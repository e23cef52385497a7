"""The headers mailwarden adds to mail it tags, built so that no byte of the message
can break out of them: values are stripped of CR, LF and other control characters
and bounded in length.
"""

from __future__ import annotations

import re
from email.header import Header

from mailwarden.config import TagConfig
from mailwarden.model import ActionKind, HeaderChange, Inspection

VERDICT_HEADER = "X-Mailwarden-Verdict"
FINDINGS_HEADER = "X-Mailwarden-Findings"
OUR_HEADERS = (VERDICT_HEADER, FINDINGS_HEADER)

_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]+")


def sanitise(value: str, limit: int) -> str:
    """One line of printable text, at most *limit* characters."""
    cleaned = _UNSAFE.sub(" ", value).strip()
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 3].rstrip() + "..."
    return cleaned


def encode(value: str) -> str:
    """*value* as it may stand in a header: RFC 2047 words when it is not ASCII."""
    if value.isascii():
        return value
    return Header(value, "utf-8").encode(linesep=" ")


def header_changes(inspection: Inspection, config: TagConfig) -> list[HeaderChange]:
    """Headers to add (and the Subject to rewrite) for a tagged or held message."""
    decision = inspection.decision
    if decision.action.kind not in (ActionKind.TAG, ActionKind.QUARANTINE):
        return []
    labels = ", ".join(
        dict.fromkeys(f"{f.label()} ({f.part_path})" for f in inspection.findings)
    )
    changes = [
        HeaderChange(VERDICT_HEADER, str(decision.verdict)),
        HeaderChange(
            FINDINGS_HEADER, encode(sanitise(labels, config.header_max_length))
        ),
    ]
    if config.subject_prefix and decision.action.kind == ActionKind.TAG:
        subject = sanitise(
            config.subject_prefix + inspection.subject, config.header_max_length
        )
        changes.append(HeaderChange("Subject", encode(subject), replace=True))
    return changes
