"""The main job: every sample mail through the real Postfix, and a table of outcomes.

``python -m devstack.demo [--statedir DIR] [--keep]`` starts the stack (clamd on the
bundled signatures, the milter, a private Postfix on 127.0.0.1:10025, and Sendmail),
writes the generated EICAR samples, sends every ``samples/<outcome>/*.eml`` through
Postfix, and prints, per sample, the folder's expected outcome, what the milter did
(SMTP reply, delivered/tagged/held/quarantined), and the verdict ``mailwarden scan``
gives offline with the same configuration. Exit status 0 when every sample got its
expected outcome both ways.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from devstack.config import DEFAULT_STATEDIR, REPO_ROOT, StackConfig
from devstack.outcome import Observation, observe
from devstack.stack import Stack

SAMPLES = REPO_ROOT / "samples"


def sample_files() -> list[Path]:
    """Every sample, generated EICAR ones included, by outcome folder then name."""
    subprocess.run(
        [sys.executable, str(SAMPLES / "build.py"), "--generated"], check=True
    )
    return sorted(SAMPLES.glob("*/*.eml"))


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.demo")
    parser.add_argument("--statedir", type=Path, default=DEFAULT_STATEDIR)
    parser.add_argument("--keep", action="store_true", help="leave the stack running")
    args = parser.parse_args(argv)

    stack = Stack(StackConfig(statedir=args.statedir))
    stack.up()
    rows: list[tuple[str, str, str, str, str]] = []
    try:
        for path in sample_files():
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
        if not args.keep:
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
