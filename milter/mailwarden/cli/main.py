"""The ``mailwarden`` command group, its shared options and logging set-up."""

from __future__ import annotations

import click

from mailwarden import __version__
from mailwarden.cli import config_cmd, milter_cmd, scan_cmd


@click.group()
@click.version_option(__version__, prog_name="mailwarden")
def cli() -> None:
    """mailwarden: mail content inspection for Postfix and Sendmail."""


cli.add_command(milter_cmd.milter)
cli.add_command(scan_cmd.scan)
cli.add_command(config_cmd.config)


def main() -> None:
    cli()
