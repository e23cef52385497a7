"""The plumbing of the test stack: mail flows through both MTAs and the milter.

These tests say nothing about mailwarden's verdicts (tests of the package do
that on the same fixtures); they prove that the daemons are wired together the
way those tests assume.
"""

from __future__ import annotations

from devstack import Postfix, Sendmail, SmtpStage, Stack, make_message

OTHER_DOMAIN_RECIPIENT = "someone@elsewhere.test"


def test_clean_mail_is_delivered_to_the_maildir(mta: Postfix | Sendmail) -> None:
    """A plain message to example.test passes the milter and lands in the Maildir."""
    message = make_message(subject=f"plumbing via {mta.name}")

    result = mta.send(message)

    assert result.accepted, result
    delivered = mta.maildir.wait_for_message(message["Message-ID"])
    assert delivered.header("Subject") == f"plumbing via {mta.name}"
    assert delivered.header("From") == message["From"]


def test_milter_gone_means_tempfail(stack: Stack, mta: Postfix | Sendmail) -> None:
    """With the milter down, the MTA answers 451 before DATA and keeps nothing."""
    message = make_message(subject=f"milter gone via {mta.name}")
    queued_before = {queued.queue_id for queued in mta.queue()}

    with stack.milter.stopped():
        result = mta.send(message)

    assert result.stage in (SmtpStage.MAIL, SmtpStage.RCPT), result
    assert result.reply.code == 451, result
    assert mta.maildir.find(message["Message-ID"]) is None
    assert {queued.queue_id for queued in mta.queue()} <= queued_before


def test_milter_is_back_after_a_restart(stack: Stack, mta: Postfix | Sendmail) -> None:
    """After the milter was stopped and started again, mail flows as before."""
    with stack.milter.stopped():
        pass
    message = make_message(subject=f"after restart via {mta.name}")

    result = mta.send(message)

    assert result.accepted, result
    mta.maildir.wait_for_message(message["Message-ID"])


def test_postfix_discards_mail_for_other_domains(stack: Stack) -> None:
    """Mail for any domain but example.test is accepted and dropped (benchmarks)."""
    message = make_message(recipient=OTHER_DOMAIN_RECIPIENT)

    result = stack.postfix.send(message, rcpt_tos=[OTHER_DOMAIN_RECIPIENT])

    assert result.accepted, result
    stack.postfix.wait_for_empty_queue()
    assert stack.postfix.maildir.find(message["Message-ID"]) is None


def test_clamd_can_be_stopped_and_started(stack: Stack) -> None:
    """clamd stops during a test and answers PING again once started."""
    with stack.clamd.stopped():
        assert not stack.clamd.ping()

    assert stack.clamd.ping()


def test_second_clamd_listens_on_its_own_socket_and_port(stack: Stack) -> None:
    """A second clamd (for failover tests) runs beside the first one."""
    second = stack.add_clamd("clamd2")
    try:
        assert second.ping()
        assert second.socket != stack.clamd.socket
        assert second.tcp_port != stack.clamd.tcp_port
        assert stack.clamd.ping()
    finally:
        stack.remove_clamd("clamd2")

    assert not second.running()
