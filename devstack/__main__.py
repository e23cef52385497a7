"""``python -m devstack up|down|status [--statedir DIR]``: the stack for humans.

``up`` starts everything (stopping and wiping a previous stack in the same state
directory first) and leaves it running; ``down`` stops it; ``status`` shows what
runs.  ``down`` and ``status`` read the settings ``up`` saved in the state dir.
Exit status 0 on success, 1 when a daemon failed (its log tail is printed).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from devstack.config import DEFAULT_STATEDIR, StackConfig
from devstack.errors import StackError
from devstack.stack import Stack


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="devstack: %(message)s")
    if os.geteuid() != 0:
        print("devstack: must run as root (daemons drop privileges themselves)")
        return 1

    config = _config(args)
    stack = Stack(config)
    try:
        if args.command == "up":
            return _up(stack)
        if args.command == "down":
            stack.down()
            print(f"stack in {config.statedir} stopped")
            return 0
        return _status(stack)
    except StackError as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m devstack", description="mailwarden's private test mail stack"
    )
    parser.add_argument("command", choices=("up", "down", "status"))
    parser.add_argument(
        "--statedir",
        type=Path,
        default=DEFAULT_STATEDIR,
        help=f"state directory of the stack (default {DEFAULT_STATEDIR})",
    )
    parser.add_argument(
        "--milter-command",
        help="run this instead of mailwarden; {config} becomes the TOML path",
    )
    parser.add_argument(
        "--clamav-database", type=Path, help="signature folder for clamd"
    )
    parser.add_argument(
        "--port-offset",
        type=int,
        default=0,
        help="move every port by this much, to run beside another stack",
    )
    return parser


def _config(args: argparse.Namespace) -> StackConfig:
    """The saved settings of the state dir (for down/status) or fresh ones."""
    saved = StackConfig.saved_in(args.statedir)
    config = saved if saved and args.command != "up" else StackConfig(args.statedir)
    changes: dict[str, object] = {}
    if args.milter_command:
        changes["milter_command"] = tuple(shlex.split(args.milter_command))
    if args.clamav_database:
        changes["clamav_database"] = args.clamav_database.resolve()
    config = dataclasses.replace(config, **changes)  # type: ignore[arg-type]
    return config.shifted(args.port_offset) if args.port_offset else config


def _up(stack: Stack) -> int:
    seconds = stack.up()
    for line in stack.status():
        print(line)
    timings = ", ".join(f"{name} {value:.2f} s" for name, value in seconds.items())
    print(f"ready: {timings}")
    print(f"logs in {stack.config.statedir}; stop with: python -m devstack down")
    return 0


def _status(stack: Stack) -> int:
    lines = stack.status()
    for line in lines:
        print(line)
    return 0 if all(line.running for line in lines) else 3


if __name__ == "__main__":
    sys.exit(main())
