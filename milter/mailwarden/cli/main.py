"""The ``mailwarden`` command group, its shared options and logging set-up."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from mailwarden import __version__
from mailwarden.cli import config_cmd, milter_cmd, scan_cmd
from mailwarden.config import Config, load_config
from mailwarden.errors import ConfigError


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
        click.echo(f"mailwarden: configuration refused: {exc}", err=True)
        sys.exit(2)


@click.group()
@click.version_option(__version__, prog_name="mailwarden")
def cli() -> None:
    """mailwarden: mail content inspection for Postfix and Sendmail."""


cli.add_command(milter_cmd.milter)
cli.add_command(scan_cmd.scan)
cli.add_command(config_cmd.config)


def main() -> None:
    cli()
