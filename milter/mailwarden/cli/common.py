"""What every command shares: loading the configuration and setting up logging."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import NoReturn

import click

from mailwarden.config import Config, load_config
from mailwarden.errors import ConfigError

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="MAILWARDEN_CONFIG",
    help="TOML configuration (default: built-in defaults).",
)


class _DefaultId(logging.Filter):
    """Give lines logged outside a connection the id ``-``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "id"):
            record.id = "-"
        return True


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_DefaultId())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(id)s] %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def load_or_exit(path: Path | None) -> Config:
    """The configuration, or exit status 2 with the key and reason on stderr."""
    try:
        return load_config(path)
    except ConfigError as exc:
        refuse(str(exc))


def refuse(*reasons: str) -> NoReturn:
    """Print each ``key: reason`` of a refused configuration and exit with status 2."""
    for reason in reasons:
        click.echo(f"mailwarden: configuration refused: {reason}", err=True)
    sys.exit(2)
