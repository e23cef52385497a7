"""``mailwarden config``: validate and show the configuration."""

from __future__ import annotations

import json
from pathlib import Path

import click

from mailwarden.cli.common import config_option, load_or_exit


@click.group()
def config() -> None:
    """Check or show the configuration."""


@config.command()
@config_option
def check(config_path: Path | None) -> None:
    """Validate the configuration; exit 2 with the key and reason when it is bad."""
    load_or_exit(config_path)
    click.echo(f"{config_path or 'built-in defaults'}: OK")


@config.command()
@config_option
def show(config_path: Path | None) -> None:
    """Print the effective configuration (defaults filled in) as JSON."""
    loaded = load_or_exit(config_path)
    click.echo(json.dumps(loaded.model_dump(mode="json"), indent=2, sort_keys=True))
