"""Policy: findings to verdict and action, replies, and the failure policy."""

from __future__ import annotations

import pytest

from mailwarden.config import KindPolicy, PolicyConfig
from mailwarden.model import ActionKind, Finding, FindingKind, Reply, Verdict
from mailwarden.policy import decide, failure_decision


def finding(kind: FindingKind, requested: ActionKind | None = None) -> Finding:
    return Finding(kind, "test", "rule", "message", requested_action=requested)


def test_clean_is_accepted() -> None:
    """No findings: clean verdict, accept."""
    decision = decide([], PolicyConfig())
    assert (decision.verdict, decision.action.kind) == (
        Verdict.CLEAN,
        ActionKind.ACCEPT,
    )


def test_strongest_action_wins_with_its_reply() -> None:
    """Malware outranks a DLP tag; the malware reply is used."""
    decision = decide(
        [finding(FindingKind.DLP), finding(FindingKind.MALWARE)], PolicyConfig()
    )
    assert decision.verdict == Verdict.INFECTED
    assert decision.action.kind == ActionKind.REJECT
    assert decision.action.reply == Reply(
        550, "5.7.1", "Message rejected: malware detected"
    )


def test_scan_error_uses_on_error() -> None:
    """A scanner failure gets policy.on_error, default tempfail 451 4.7.1."""
    decision = decide([finding(FindingKind.SCAN_ERROR)], PolicyConfig())
    assert decision.action.kind == ActionKind.TEMPFAIL
    assert decision.action.reply is not None and decision.action.reply.code == 451


def test_rule_requested_action_and_override() -> None:
    """A YARA rule's own action is honoured unless the policy says not to."""
    found = [finding(FindingKind.YARA, ActionKind.REJECT)]
    assert decide(found, PolicyConfig()).action.kind == ActionKind.REJECT
    strict = PolicyConfig(honour_rule_actions=False)
    assert decide(found, strict).action.kind == ActionKind.QUARANTINE


def test_configured_kind_policy_merges_with_defaults() -> None:
    """Configuring one kind keeps the defaults of the others."""
    policy = PolicyConfig.model_validate(
        {"findings": {"dlp": {"action": "reject", "reply": "554 5.7.0 No leaks"}}}
    )
    assert policy.findings[FindingKind.MALWARE].action == ActionKind.REJECT
    decision = decide([finding(FindingKind.DLP)], policy)
    assert str(decision.action.reply) == "554 5.7.0 No leaks"


def test_failure_never_silently_accepts() -> None:
    """An on_error of accept still marks the message (tag), never a bare accept."""
    decision = failure_decision(PolicyConfig(on_error=ActionKind.ACCEPT), "boom")
    assert decision.action.kind == ActionKind.TAG
    assert decision.verdict == Verdict.UNSCANNED


@pytest.mark.parametrize("bad", ["250 ok", "550 4.7.1 mismatch", "hello"])
def test_bad_replies_refused(bad: str) -> None:
    """Replies that are not 4xx/5xx with a matching enhanced code are refused."""
    with pytest.raises(ValueError):
        KindPolicy(action=ActionKind.REJECT, reply=bad)


def test_scan_error_with_on_error_accept_is_tagged() -> None:
    """on_error = accept still tags: unscanned mail is never accepted unmarked."""
    decision = decide(
        [finding(FindingKind.SCAN_ERROR)], PolicyConfig(on_error=ActionKind.ACCEPT)
    )
    assert decision.action.kind == ActionKind.TAG
    assert decision.verdict == Verdict.UNSCANNED
