"""``mailwarden milter``: run the daemon."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mailwarden.cli.common import config_option, load_or_exit, setup_logging
from mailwarden.errors import MailwardenError


@click.command()
@config_option
def milter(config_path: Path | None) -> None:
    """Run the milter on the configured socket until stopped."""
    from mailwarden.server import serve

    config = load_or_exit(config_path)
    setup_logging(config.logging.level)
    try:
        serve(config)
    except MailwardenError as exc:
        click.echo(f"mailwarden: cannot start: {exc}", err=True)
        sys.exit(2)
