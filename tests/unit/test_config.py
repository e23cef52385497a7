"""Configuration loading: defaults, validation messages naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailwarden.config import Config, load_config
from mailwarden.errors import ConfigError


def test_no_file_gives_defaults() -> None:
    """Without a file the embedded defaults apply, bundled signatures included."""
    config = load_config(None)
    assert config == Config()
    assert config.yara.rule_dirs[0].name == "yara"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[milter]\nsocket = "/tmp/x"\n', "milter.socket"),
        ('[clamav]\nservers = ["tcp:host"]\n', "clamav.servers"),
        ('[policy]\non_error = "maybe"\n', "policy.on_error"),
        ("[milter]\nunknown_key = 1\n", "milter.unknown_key"),
        (
            '[policy.findings.dlp]\naction = "reject"\nreply = "250 ok"\n',
            "policy.findings.dlp.reply",
        ),
        ("[milter\n", "not valid TOML"),
    ],
)
def test_bad_config_names_key(tmp_path: Path, text: str, key: str) -> None:
    """A bad file is refused with the offending key in the message."""
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(path)


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is a ConfigError, not an OSError."""
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml")


def test_documented_example_is_the_defaults() -> None:
    """contrib/mailwarden.toml lists the real defaults: loading it changes nothing."""
    example = Path(__file__).parents[2] / "contrib" / "mailwarden.toml"
    assert load_config(example) == Config()
