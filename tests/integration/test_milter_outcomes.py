"""mailwarden between real MTAs and a real clamd: what each action looks like from
the outside, and the failure policy.

Every test sends mail with SMTP to the private Postfix (127.0.0.1:10025) or Sendmail
(127.0.0.1:10026) of the test stack, whose milter is ``mailwarden milter`` on a unix
socket and whose clamd runs on the bundled signatures.
"""

from __future__ import annotations

import base64
import json
import smtplib
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from devstack import Postfix, Sendmail, SmtpStage, Stack, make_message
from devstack.outcome import Outcome, observe, quarantine_item, with_unique_message_id

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"


def _samples() -> list[Path]:
    subprocess.run(
        [sys.executable, str(SAMPLES / "build.py"), "--generated"],
        check=True,
        capture_output=True,
    )
    return sorted(SAMPLES.glob("*/*.eml"))


SAMPLE_FILES = _samples()


def scan_action(stack: Stack, path: Path) -> str:
    """The action ``mailwarden scan`` gives *path* with the milter's configuration."""
    done = subprocess.run(
        [
            str(REPO / ".venv/bin/mailwarden"),
            "scan",
            "--json",
            "--config",
            str(stack.config.milter_config),
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return str(json.loads(done.stdout)["action"])


@pytest.mark.parametrize(
    "sample", SAMPLE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_sample_gets_its_outcome(
    stack: Stack, mta: Postfix | Sendmail, sample: Path
) -> None:
    """Each sample gets its folder's outcome through the MTA, and scan agrees."""
    expected = sample.parent.name

    observation = observe(mta, sample.read_bytes(), stack.config.quarantine_dir)

    assert observation.outcome == expected, observation
    assert scan_action(stack, sample) == expected
    if expected == "quarantine":
        assert observation.held, "quarantined mail must be on the MTA's hold queue"


def attachment_mail(name: str, payload: bytes, body: str = "see attached") -> bytes:
    encoded = base64.encodebytes(payload).decode().replace("\n", "\r\n")
    return (
        "From: alice@sender.test\r\nTo: someone@example.test\r\n"
        "Subject: attachment\r\nMessage-ID: <a@sender.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        f"--b\r\nContent-Type: text/plain\r\n\r\n{body}\r\n"
        "--b\r\nContent-Type: application/octet-stream\r\n"
        f'Content-Disposition: attachment; filename="{name}"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{encoded}\r\n--b--\r\n"
    ).encode()


def test_reject_is_550_at_end_of_data(mta: Postfix | Sendmail) -> None:
    """A blocked attachment is refused after DATA with 550 5.7.1 and our text."""
    raw, _ = with_unique_message_id(attachment_mail("run.exe", b"MZ harmless"))

    result = mta.send(raw)

    assert result.stage == SmtpStage.DATA, result
    assert result.reply.code == 550, result
    assert "5.7.1" in result.reply.text and "attachment type" in result.reply.text


def test_tag_headers_on_the_delivered_copy(mta: Postfix | Sendmail) -> None:
    """A tagged mail arrives with our two headers, the card number masked."""
    message = make_message(body="Card: 4111 1111 1111 1111, exp 12/29\n")
    message["X-Mailwarden-Verdict"] = "clean"  # forged by the sender

    result = mta.send(message)

    assert result.accepted, result
    delivered = mta.maildir.wait_for_message(message["Message-ID"])
    assert delivered.headers("X-Mailwarden-Verdict") == ["sensitive"]
    findings = delivered.header("X-Mailwarden-Findings") or ""
    assert "dlp:card_number" in findings
    assert (
        "4111 1111" not in findings
        and "1111 1111" not in delivered.raw.decode("latin-1").split("\n\n", 1)[0]
    )


def test_quarantine_store_and_hold_queue(stack: Stack) -> None:
    """A quarantined mail is a private file + JSON in the store and held in Postfix."""
    raw = (SAMPLES / "quarantine" / "html-smuggling.eml").read_bytes()

    observation = observe(stack.postfix, raw, stack.config.quarantine_dir)

    assert observation.outcome == Outcome.QUARANTINE and observation.held
    item = quarantine_item(stack.config.quarantine_dir, observation.message_id)
    assert item is not None
    envelope = item["envelope"]
    assert isinstance(envelope, dict)
    assert envelope["queue_id"] == observation.result.queue_id
    assert envelope["rcpt_tos"] == ["someone@example.test"]
    assert item["verdict"] == "suspicious" and item["action"] == "quarantine"
    assert any(p["part_path"].startswith("attachment:") for p in item["parts"])
    files = list(stack.config.quarantine_dir.glob(f"*/*/*/{item['id']}.*"))
    assert sorted(f.suffix for f in files) == [".eml", ".json"]
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert observation.message_id.encode() in files[0].with_suffix(".eml").read_bytes()
    assert stack.postfix.maildir.find(observation.message_id) is None


def test_clamd_down_means_tempfail(stack: Stack, mta: Postfix | Sendmail) -> None:
    """With clamd stopped nothing is accepted unscanned: 451 4.7.1 after DATA."""
    message = make_message(subject="while clamd is down")

    with stack.clamd.stopped():
        result = mta.send(message)

    assert result.stage == SmtpStage.DATA, result
    assert result.reply.code == 451 and "4.7.1" in result.reply.text, result
    assert mta.maildir.find(message["Message-ID"]) is None
    assert "clamav failed" in stack.milter.log_tail(20)


def test_state_resets_between_messages_on_one_connection(stack: Stack) -> None:
    """A rejected message does not taint the next one sent on the same session."""
    bad, _ = with_unique_message_id(attachment_mail("x.scr", b"MZ"))
    good = make_message(subject="second on the session")

    with smtplib.SMTP("127.0.0.1", stack.postfix.port) as client:
        client.ehlo("client.mailwarden.test")
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("a@sender.test", ["someone@example.test"], bad)
        assert refused.value.smtp_code == 550
        client.sendmail("b@sender.test", ["someone@example.test"], good.as_bytes())

    delivered = stack.postfix.maildir.wait_for_message(good["Message-ID"])
    assert delivered.header("X-Mailwarden-Verdict") is None


def test_large_message_is_scanned_and_delivered(stack: Stack) -> None:
    """A 12 MB attachment (spooled to disk by the milter) is scanned and delivered."""
    payload = bytes(range(256)) * (12 * 4096)
    raw, message_id = with_unique_message_id(attachment_mail("data.bin", payload))

    result = stack.postfix.send(raw)

    assert result.accepted, result
    delivered = stack.postfix.maildir.wait_for_message(message_id, timeout=60)
    assert len(delivered.raw) > len(payload)


def test_milter_runs_unprivileged_with_a_private_socket(stack: Stack) -> None:
    """Started as root, the milter runs as 'mailwarden'; its socket is 0660 and
    its quarantine 0700, both owned by that user."""
    import pwd

    user = pwd.getpwnam("mailwarden")
    pid = stack.milter.pid()
    assert pid is not None
    status = Path(f"/proc/{pid}/status").read_text()
    uids = next(line for line in status.splitlines() if line.startswith("Uid:"))
    assert set(uids.split()[1:]) == {str(user.pw_uid)}

    socket_stat = stack.config.milter_socket.stat()
    assert stat.S_IMODE(socket_stat.st_mode) == 0o660
    assert socket_stat.st_uid == user.pw_uid
    quarantine_stat = stack.config.quarantine_dir.stat()
    assert stat.S_IMODE(quarantine_stat.st_mode) == 0o700
    assert quarantine_stat.st_uid == user.pw_uid
