"""The main job: every sample mail through the real Postfix, and a table of outcomes.

``python -m devstack.demo [--statedir DIR] [--port-offset N] [--keep]`` starts the
stack (clamd on the bundled signatures, the milter, a private Postfix on
127.0.0.1:10025, and Sendmail), writes the generated EICAR samples, sends every
``samples/<outcome>/*.eml`` through Postfix, and prints, per sample, the folder's
expected outcome, what the milter did (SMTP reply, delivered/tagged/held/quarantined),
and the verdict ``mailwarden scan`` gives offline with the same configuration. Exit
status 0 when every sample got its expected outcome both ways.

Beside another running stack, ``--port-offset N`` (default: the environment's
``MAILWARDEN_DEVSTACK_PORTS``, as for the integration tests) moves every port by N,
and the default state directory gets ``-N`` as a suffix.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from devstack.config import DEFAULT_STATEDIR, REPO_ROOT, StackConfig
from devstack.outcome import Observation, observe
from devstack.stack import Stack

SAMPLES = REPO_ROOT / "samples"


def sample_files() -> tuple[list[Path], int]:
    """Every sample, by outcome folder then name, and how many of them are the
    EICAR mails written for this run.

    build.py's own summary counts only the committed samples; beside a table that
    also lists the generated ones it would read as a miscount, so it is not shown.
    """
    build = [sys.executable, str(SAMPLES / "build.py")]
    _quietly(build)
    generated = _quietly([*build, "--generated", "--dest", str(SAMPLES / "reject")])
    return sorted(SAMPLES.glob("*/*.eml")), len(generated.splitlines())


def _quietly(command: list[str]) -> str:
    """Run *command* and return its output; show the output only if it fails."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise subprocess.CalledProcessError(done.returncode, command)
    return done.stdout


def offline_action(stack: Stack, path: Path) -> str:
    """The action ``mailwarden scan`` gives *path* with the milter's own config."""
    command = [
        str(REPO_ROOT / ".venv" / "bin" / "mailwarden"),
        "scan",
        "--json",
        "--config",
        str(stack.config.milter_config),
        str(path),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        return f"error: {done.stderr.strip()[:60]}"
    return str(json.loads(done.stdout)["action"])


def describe(observation: Observation) -> str:
    reply = observation.result.reply
    detail = f"{reply.code} {reply.text.splitlines()[0][:48]}"
    if observation.quarantine_item is not None:
        detail += ", held" if observation.held else ", stored"
    if observation.verdict_header:
        detail += f", verdict {observation.verdict_header}"
    return detail


def stack_config(argv: Sequence[str] | None = None) -> tuple[StackConfig, bool]:
    """The stack the command line asks for, and whether to keep it running."""
    offset = int(os.environ.get("MAILWARDEN_DEVSTACK_PORTS", "0"))
    parser = argparse.ArgumentParser(prog="python -m devstack.demo")
    parser.add_argument(
        "--statedir",
        type=Path,
        help=f"state directory (default {DEFAULT_STATEDIR}, -N appended on offset N)",
    )
    parser.add_argument(
        "--port-offset",
        type=int,
        default=offset,
        help="move every port by this much, to run beside another stack "
        f"(default $MAILWARDEN_DEVSTACK_PORTS, now {offset})",
    )
    parser.add_argument("--keep", action="store_true", help="leave the stack running")
    args = parser.parse_args(argv)

    statedir = args.statedir or DEFAULT_STATEDIR
    if args.port_offset and args.statedir is None:
        statedir = statedir.with_name(f"{statedir.name}-{args.port_offset}")
    return StackConfig(statedir=statedir).shifted(args.port_offset), args.keep


def main(argv: Sequence[str] | None = None) -> int:
    config, keep = stack_config(argv)
    files, generated = sample_files()
    print(
        f"sending {len(files)} samples through Postfix on 127.0.0.1:"
        f"{config.postfix_port} ({generated} of them EICAR mails generated now)"
    )

    stack = Stack(config)
    stack.up()
    rows: list[tuple[str, str, str, str, str]] = []
    try:
        for path in files:
            expected = path.parent.name
            observation = observe(
                stack.postfix, path.read_bytes(), stack.config.quarantine_dir
            )
            offline = offline_action(stack, path)
            ok = observation.outcome == expected == offline
            rows.append(
                (
                    f"{expected}/{path.name}",
                    str(observation.outcome),
                    offline,
                    describe(observation),
                    "ok" if ok else "MISMATCH",
                )
            )
    finally:
        if not keep:
            stack.down()

    header = ("sample", "milter", "scan", "what the MTA said / did", "")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]
    for row in [header, *rows]:
        print(
            "  ".join(
                cell.ljust(width) for cell, width in zip(row, widths, strict=True)
            )
        )
    failed = sum(row[4] != "ok" for row in rows)
    print(f"\n{len(rows) - failed} of {len(rows)} samples got their expected outcome")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
