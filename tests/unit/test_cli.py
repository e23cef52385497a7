"""The command line: ``config check``, ``config show`` and ``scan`` exit statuses."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mailwarden.cli.main import cli
from mailwarden.config import Config
from mailwarden.model import Inspection
from mailwarden.pipeline import Pipeline

MAIL = b"From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n"


def write_config(tmp_path: Path, text: str = "") -> Path:
    path = tmp_path / "mailwarden.toml"
    path.write_text("[clamav]\nenabled = false\n" + text)
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_counts_the_yara_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A good configuration is OK, with the number of YARA rules compiled."""
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # no service user needed
    rules = Pipeline.from_config(Config()).describe().yara_rules
    status, out, _ = run("config", "check", "--config", str(write_config(tmp_path)))
    assert status == 0
    assert out.strip().endswith(f": OK, {rules} YARA rules")
    assert rules > 0


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[yara]\nrule_dirs = ["/nonexistent"]\n', "yara.rule_dirs: no .yar"),
        ('[yara]\nrule_dirs = ["{broken}"]\n', "yara.rule_dirs: "),
        (
            '[yara]\nenabled = false\n[dlp]\nkeyword_files = ["/nonexistent"]\n',
            "dlp.keyword_files: /nonexistent",
        ),
    ],
)
def test_check_refuses_what_the_milter_refuses(
    tmp_path: Path, text: str, key: str
) -> None:
    """Missing or broken YARA rules and unreadable dictionaries fail the check with
    the key and reason and exit status 2, as they fail the milter's start."""
    broken = tmp_path / "rules"
    broken.mkdir()
    (broken / "broken.yar").write_text("rule broken { condition: nonsense }\n")
    path = write_config(tmp_path, text.format(broken=broken))
    status, out, err = run("config", "check", "--config", str(path))
    assert status == 2
    assert f"configuration refused: {key}" in err
    assert "OK" not in out


def test_check_needs_the_service_user_only_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """milter.user must exist when the check runs as root, where the milter would
    switch to it; as another user it is not looked up."""
    path = write_config(tmp_path, '[milter]\nuser = "no-such-user-mw"\n')
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    status, _, err = run("config", "check", "--config", str(path))
    assert status == 2
    assert "configuration refused: milter.user: no such user 'no-such-user-mw'" in err

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert run("config", "check", "--config", str(path))[0] == 0


def test_show_prints_sets_sorted(tmp_path: Path) -> None:
    """Set-valued keys are printed sorted, so the output does not change between
    runs."""
    path = write_config(
        tmp_path, '[attachments]\nblocked_extensions = ["z", "a", "m"]\n'
    )
    status, out, _ = run("config", "show", "--config", str(path))
    attachments = json.loads(out)["attachments"]
    assert status == 0
    assert attachments["blocked_extensions"] == ["a", "m", "z"]
    assert attachments["blocked_types"] == sorted(attachments["blocked_types"])


def test_scan_reports_a_file_that_breaks_and_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file whose inspection raises gives exit status 2 and its name and the error
    on stderr, and the next file is still scanned."""
    bad, good = tmp_path / "bad.eml", tmp_path / "good.eml"
    bad.write_bytes(b"X-Break: yes\r\n" + MAIL)
    good.write_bytes(MAIL)
    inspect = Pipeline.inspect

    def breaking(self: Pipeline, raw: bytes, *args: Any, **kwargs: Any) -> Inspection:
        if bytes(raw[:8]) == b"X-Break:":
            raise RuntimeError("parser fell over")
        return inspect(self, raw, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "inspect", breaking)
    config = str(write_config(tmp_path))
    status, out, err = run("scan", "--config", config, str(bad), str(good))
    assert status == 2
    assert f"{bad}: RuntimeError: parser fell over" in err
    assert f"{good}\n  verdict: clean" in out


def test_scan_status_one_means_not_clean(tmp_path: Path) -> None:
    """A message that would be tagged or worse gives exit status 1, not 2."""
    card = tmp_path / "card.eml"
    card.write_bytes(MAIL.replace(b"hello", b"card 4111 1111 1111 1111"))
    assert run("scan", "--config", str(write_config(tmp_path)), str(card))[0] == 1
