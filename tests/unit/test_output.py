"""Outputs: tag headers stay single-line and bounded; the quarantine is private."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from mailwarden.config import TagConfig
from mailwarden.model import (
    Action,
    ActionKind,
    Decision,
    Envelope,
    Finding,
    FindingKind,
    Inspection,
    Verdict,
)
from mailwarden.quarantine import QuarantineStore
from mailwarden.tagging import header_changes, sanitise


def inspection(part_path: str, subject: str = "") -> Inspection:
    finding = Finding(FindingKind.DLP, "dlp", "card_number", part_path)
    decision = Decision(Verdict.SENSITIVE, Action(ActionKind.TAG), "dlp:card_number")
    return Inspection(Envelope(), (), (finding,), decision, 10, subject=subject)


def test_header_values_cannot_break_out() -> None:
    """CR, LF and other controls from message data never reach a header value."""
    hostile = "attachment:a\r\nBcc: victim@example.test\x00" + "x" * 2000
    changes = header_changes(
        inspection(hostile, "hi\r\nX-Evil: 1"), TagConfig(subject_prefix="[DLP] ")
    )
    for change in changes:
        assert not any(c in change.value for c in "\r\n\x00")
        assert len(change.value) <= 512
    assert {c.name for c in changes} == {
        "X-Mailwarden-Verdict",
        "X-Mailwarden-Findings",
        "Subject",
    }


def test_non_ascii_values_are_encoded_words() -> None:
    """A non-ASCII subject prefix result is RFC 2047 encoded."""
    changes = header_changes(
        inspection("body:1", "机密"), TagConfig(subject_prefix="[!] ")
    )
    subject = next(c for c in changes if c.name == "Subject")
    assert subject.value.startswith("=?utf-8?") and subject.replace


def test_sanitise_bounds_length() -> None:
    """Long values are cut with an ellipsis."""
    assert sanitise("a" * 100, 10) == "aaaaaaa..."


def test_quarantine_item_is_private_and_complete(tmp_path: Path) -> None:
    """An item is a 0600 message and JSON in 0700 date shards, id not from the mail."""
    store = QuarantineStore(tmp_path / "q")
    store.ensure()
    item = store.put(b"Subject: ../../etc/passwd\r\n\r\nx", {"verdict": "infected"})
    message = store.path_of(item)
    assert message is not None and message.read_bytes().endswith(b"x")
    metadata = json.loads(message.with_suffix(".json").read_text())
    assert metadata["id"] == item and metadata["verdict"] == "infected"
    for path in (message, message.with_suffix(".json")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    directory = message.parent
    while directory != tmp_path:
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        directory = directory.parent
    assert not list(message.parent.glob(".*.tmp"))


def test_quarantine_unwritable_raises_quarantine_error(tmp_path: Path) -> None:
    """A store that cannot be written raises QuarantineError (the milter tempfails)."""
    import pytest

    from mailwarden.errors import QuarantineError

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = QuarantineStore(blocker)
    with pytest.raises(QuarantineError):
        store.put(b"x", {})
