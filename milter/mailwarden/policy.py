"""Findings to a verdict, and a verdict to an action.

The verdict is the worst verdict any finding implies. The action is the strongest
action any finding asks for under the configured mapping per finding kind, where
YARA rules may ask for their own (``meta: mailwarden_action``) and scanner failures
get ``policy.on_error``. Nothing unscanned is ever accepted silently: a scanner
failure can only raise the action, never lower it.
"""

from __future__ import annotations

from collections.abc import Sequence

from mailwarden.config import PolicyConfig
from mailwarden.model import (
    VERDICT_OF_KIND,
    Action,
    ActionKind,
    Decision,
    Finding,
    FindingKind,
    Verdict,
)


def action_for(finding: Finding, policy: PolicyConfig) -> ActionKind:
    """The action one finding asks for."""
    if finding.kind == FindingKind.SCAN_ERROR:
        # Even a policy that accepts unscanned mail marks it in the headers.
        return max(policy.on_error, ActionKind.TAG, key=lambda a: a.rank)
    if policy.honour_rule_actions and finding.requested_action is not None:
        return finding.requested_action
    return policy.findings[finding.kind].action


def decide(findings: Sequence[Finding], policy: PolicyConfig) -> Decision:
    """The one decision for a message."""
    if not findings:
        return Decision(Verdict.CLEAN, Action(ActionKind.ACCEPT), "no findings")

    verdict = max((VERDICT_OF_KIND[f.kind] for f in findings), key=lambda v: v.rank)
    actions = [(action_for(f, policy), f) for f in findings]
    strongest = max(kind.rank for kind, _ in actions)
    deciding = [f for kind, f in actions if kind.rank == strongest]
    kind = list(ActionKind)[strongest]

    reply = policy.reply_for(deciding[0].kind, kind)
    reason = ", ".join(dict.fromkeys(f.label() for f in deciding))
    return Decision(verdict, Action(kind, reply), reason)


def failure_decision(policy: PolicyConfig, reason: str) -> Decision:
    """The decision when inspection itself failed unexpectedly."""
    action = policy.on_error
    if action == ActionKind.ACCEPT:
        # Accepting unscanned mail must still be visible in the headers.
        action = ActionKind.TAG
    return Decision(
        Verdict.UNSCANNED,
        Action(action, policy.reply_for(None, action)),
        reason,
    )
