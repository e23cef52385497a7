"""``mailwarden config``: validate and show the configuration."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel

from mailwarden.cli.common import config_option, load_or_exit, refuse
from mailwarden.config import Config
from mailwarden.errors import ConfigError, RulesError


@click.group()
def config() -> None:
    """Check or show the configuration."""


@config.command()
@config_option
def check(config_path: Path | None) -> None:
    """Refuse what ``milter`` would refuse at start, with the key and reason (exit
    status 2): the file, the YARA rules, the DLP dictionaries and, when run as root,
    ``milter.user``. clamd is not contacted."""
    loaded = load_or_exit(config_path)

    yara_rules, problems = _load_content(loaded)
    if os.geteuid() == 0:
        problems += _check_user(loaded)

    if problems:
        refuse(*problems)
    click.echo(f"{config_path or 'built-in defaults'}: OK, {yara_rules} YARA rules")


@config.command()
@config_option
def show(config_path: Path | None) -> None:
    """Print the effective configuration (defaults filled in) as JSON."""
    loaded = load_or_exit(config_path)
    click.echo(json.dumps(_jsonable(loaded), indent=2, sort_keys=True))


def _load_content(config: Config) -> tuple[int, list[str]]:
    """Build the pipeline as the milter does: the YARA rule count, or what failed."""
    from mailwarden.pipeline import Pipeline

    try:
        pipeline = Pipeline.from_config(config)
    except RulesError as exc:
        return 0, [f"yara.rule_dirs: {exc}"]
    except ConfigError as exc:
        return 0, [str(exc)]
    return pipeline.describe().yara_rules, []


def _check_user(config: Config) -> list[str]:
    from mailwarden.server import service_user

    try:
        service_user(config.milter.user)
    except ConfigError as exc:
        return [str(exc)]
    return []


def _jsonable(model: BaseModel) -> dict[str, Any]:
    """*model* as JSON values, with sets as sorted lists so the output is stable."""
    dumped = model.model_dump(mode="json")
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            dumped[name] = _jsonable(value)
        elif isinstance(value, set | frozenset):
            dumped[name] = sorted(dumped[name])
    return dumped
