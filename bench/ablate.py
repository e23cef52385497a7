"""Where the milter's time goes, end to end: the benchmark with detectors switched off.

    python bench/ablate.py [--quick] [--json FILE]

Runs ``smtp-source`` (1 KB) and the mixed corpus through the Postfix without a
milter, then through the milter with every detector, and again with ClamAV, DLP
or YARA disabled, and with all three disabled (what is left: pymilter, the MIME
walk and libmagic). The difference between two rows is what that detector costs
through the whole path, including clamd and the extra context switches, which an
in-process profile does not see. The milter is restarted for each variant
(devstack's ``reconfigure``) and put back to its base configuration at the end.
Same stack, options and corpus as run.py.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # devstack lives at the repository root
    sys.path.insert(0, str(HERE.parent))

import corpus  # noqa: E402
import load  # noqa: E402
import rig  # noqa: E402
from run import WORKDIR, corpus_messages  # noqa: E402

from devstack import Postfix, Stack, StackError  # noqa: E402

logger = logging.getLogger("bench.ablate")

OFF = {"enabled": False}
VARIANTS: tuple[tuple[str, dict[str, object]], ...] = (
    ("all detectors", {}),
    ("without clamav", {"clamav": OFF}),
    ("without dlp", {"dlp": OFF}),
    ("without yara", {"yara": OFF}),
    ("parse + libmagic only", {"clamav": OFF, "dlp": OFF, "yara": OFF}),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/ablate.py")
    parser.add_argument("--quick", action="store_true", help="400 + 200 messages")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--workdir", type=Path, default=WORKDIR)
    parser.add_argument("--statedir", type=Path, default=WORKDIR / "stack")
    parser.add_argument("--port-offset", type=int, default=100)
    parser.add_argument("--keep-stack", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S"
    )
    if os.geteuid() != 0:
        print("bench: must run as root (the devstack starts daemons)", file=sys.stderr)
        return 2

    count, source_count = (200, 400) if args.quick else (1000, 2000)
    corpus_dir = args.workdir / "corpus"
    messages = corpus_messages(corpus_dir, count, corpus.DEFAULT_SEED)
    try:
        with (
            rig.devstack(args.statedir, args.port_offset, args.keep_stack) as stack,
            rig.baseline_postfix(stack, args.workdir / "nomilter") as baseline,
        ):
            rows = _measure(stack, baseline, messages, source_count)
    except StackError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    print(_table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


def _measure(
    stack: Stack, baseline: Postfix, messages: list[load.Outgoing], source_count: int
) -> list[dict[str, Any]]:
    rows = [_row("no milter", stack, baseline, messages, source_count)]
    try:
        for name, overrides in VARIANTS:
            stack.milter.reconfigure(overrides)
            rows.append(_row(name, stack, stack.postfix, messages, source_count))
    finally:
        stack.milter.reconfigure({})
    rows.append(_row("no milter, again", stack, baseline, messages, source_count))
    return rows


def _row(
    name: str,
    stack: Stack,
    postfix: Postfix,
    messages: list[load.Outgoing],
    source_count: int,
) -> dict[str, Any]:
    trees = {
        "postfix": postfix.pid(),
        "milter": stack.milter.pid(),
        "clamd": stack.clamd.pid(),
    }
    load.send_corpus(postfix.port, messages[:20], 2, 60.0)  # warm-up
    out: dict[str, Any] = {"variant": name}
    for workload in ("smtp-source", "mixed"):
        rig.drain(postfix)
        with rig.CpuMeter(trees) as meter:
            if workload == "smtp-source":
                result = load.smtp_source(postfix.port, source_count, 1024, 10, 600.0)
            else:
                result = load.send_corpus(postfix.port, messages, 10, 600.0)
        out[workload] = {
            "msg_per_s": round(result.rate, 1),
            "p99_ms": result.latency_ms(0.99),
            "cpu_ms_per_message": {
                k: round(v * 1000 / max(1, result.messages), 2)
                for k, v in meter.seconds.items()
            },
            "errors": result.errors[:5],
        }
        logger.info("%s, %s: %.1f msg/s", name, workload, result.rate)
    return out


def _table(rows: list[dict[str, Any]]) -> str:
    base = {
        w: (rows[0][w]["msg_per_s"] + rows[-1][w]["msg_per_s"]) / 2
        for w in ("smtp-source", "mixed")
    }
    lines = [
        f"{'variant':<24}{'1 KB msg/s':>11}{'ratio':>7}{'mixed msg/s':>12}"
        f"{'ratio':>7}   mixed CPU ms/msg: milter clamd postfix machine"
    ]
    for row in rows:
        source, mixed = row["smtp-source"], row["mixed"]
        cpu = mixed["cpu_ms_per_message"]
        lines.append(
            f"{row['variant']:<24}{source['msg_per_s']:>11.1f}"
            f"{source['msg_per_s'] / base['smtp-source']:>7.2f}"
            f"{mixed['msg_per_s']:>12.1f}{mixed['msg_per_s'] / base['mixed']:>7.2f}"
            f"   {cpu.get('milter', 0):>22.2f} {cpu.get('clamd', 0):>5.2f}"
            f" {cpu.get('postfix', 0):>7.2f} {cpu.get('machine', 0):>7.2f}"
        )
        errors = source["errors"] + mixed["errors"]
        lines += [f"    error: {e}" for e in errors]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
