"""mailwarden throughput benchmark: Postfix with the milter versus without it.

    python bench/run.py [--quick] [--json FILE] [--rounds N]

Starts (or reuses) the devstack, builds a second private Postfix without any milter
(see rig.py), and measures in one run, through both MTAs:

1. ``smtp-source``: 2000 messages of 1 KB over 10 sessions (msg/s);
2. the mixed corpus (corpus.py, 1000 messages, one in twenty with EICAR) over 10
   concurrent sessions, each sending as fast as it is answered (msg/s, p50/p99
   latency from MAIL FROM to the reply after DATA, replies by code; EICAR must get
   a 5xx through the milter);
3. the same corpus offered at a fixed rate, half the milter's rate of step 2
   (latency when the MTA is not saturated; step 2's latency is mostly queueing);
4. one 50 MB message (its reply, and the peak RSS of the milter process).

The two MTAs are measured alternately, in swapped order each round, and every
figure is a ratio to the Postfix without a milter measured in the same run: this
machine is small and shared, absolute rates mean little. Must run as root (the
devstack's daemons drop privileges themselves).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:  # devstack lives at the repository root
    sys.path.insert(0, str(REPO))

import corpus  # noqa: E402
import load  # noqa: E402
import rig  # noqa: E402
import summary  # noqa: E402

from devstack import Postfix, Stack, StackError  # noqa: E402

logger = logging.getLogger("bench")

WORKDIR = Path("/tmp/mailwarden-bench")
NO_MILTER = "no-milter"
MILTER = "milter"
SIDES = (NO_MILTER, MILTER)


@dataclass(frozen=True)
class Plan:
    """How much of everything one run sends."""

    rounds: int
    sessions: int
    source_count: int
    source_size: int
    corpus_count: int
    big_megabytes: float
    warmup: int
    #: The paced workload offers this share of the milter's (closed-loop) mixed rate.
    paced_share: float
    #: Upper bound on one phase (one workload through one MTA), in seconds.
    phase_deadline: float
    smtp_timeout: float

    @classmethod
    def full(cls, rounds: int) -> Plan:
        return cls(rounds, 10, 2000, 1024, 1000, 50.0, 30, 0.5, 600.0, 120.0)

    @classmethod
    def quick(cls, rounds: int) -> Plan:
        return cls(rounds, 10, 400, 1024, 200, 50.0, 10, 0.5, 120.0, 60.0)


def corpus_messages(corpus_dir: Path, count: int, seed: int) -> list[load.Outgoing]:
    """The corpus (written first if missing) as messages ready for the wire."""
    return [
        load.Outgoing(
            e.file,
            e.kind,
            e.mail_from,
            e.rcpt_tos,
            load.for_the_wire((corpus_dir / e.file).read_bytes()),
            e.expect,
        )
        for e in corpus.ensure(corpus_dir, count, seed)
    ]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S"
    )
    if os.geteuid() != 0:
        print("bench: must run as root (the devstack starts daemons)", file=sys.stderr)
        return 2
    rounds = args.rounds or (1 if args.quick else 3)
    plan = Plan.quick(rounds) if args.quick else Plan.full(rounds)
    given = argv if argv is not None else sys.argv[1:]
    command = " ".join(["python bench/run.py", *given])

    args.workdir.mkdir(mode=0o755, parents=True, exist_ok=True)
    corpus_dir = args.workdir / "corpus"
    logger.info("corpus: %d messages in %s", plan.corpus_count, corpus_dir)
    messages = corpus_messages(corpus_dir, plan.corpus_count, args.seed)
    try:
        with (
            rig.devstack(args.statedir, args.port_offset, args.keep_stack) as stack,
            rig.baseline_postfix(stack, args.workdir / "nomilter") as baseline,
        ):
            results = Measurement(plan, stack, baseline, messages).run()
    except StackError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    results["command"] = command
    report = summary.build(results)
    print(summary.table(report))
    if args.json:
        args.json.write_text(summary.as_json(report))
        print(f"results written to {args.json}")
    return 0 if report["complete"] else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python bench/run.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smaller run: 400 + 200 messages, one round",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--rounds",
        type=int,
        default=0,
        help="repetitions of each workload (default 3, quick 1)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=WORKDIR,
        help=f"corpus and the no-milter Postfix (default {WORKDIR})",
    )
    parser.add_argument(
        "--statedir",
        type=Path,
        default=WORKDIR / "stack",
        help="devstack state directory; a stack running there is "
        "reused (default %(default)s)",
    )
    parser.add_argument(
        "--port-offset",
        type=int,
        default=100,
        help="port offset of a devstack the benchmark starts "
        "(default %(default)s: SMTP on 10125)",
    )
    parser.add_argument(
        "--seed", type=int, default=corpus.DEFAULT_SEED, help="seed of the corpus"
    )
    parser.add_argument(
        "--keep-stack",
        action="store_true",
        help="leave a devstack the benchmark started running",
    )
    return parser


class Measurement:
    """One benchmark run against a running stack and baseline Postfix."""

    def __init__(
        self,
        plan: Plan,
        stack: Stack,
        baseline: Postfix,
        messages: list[load.Outgoing],
    ) -> None:
        self.plan = plan
        self.stack = stack
        self.mtas = {NO_MILTER: baseline, MILTER: stack.postfix}
        self.messages = messages
        self.pid = rig.milter_pid(stack)
        self.clamd_pid = stack.clamd.pid()
        self.queue_ids: list[str] = []

    def run(self) -> dict[str, object]:
        plan = self.plan
        log = self.stack.config.log_path("milter")
        log_offset = log.stat().st_size if log.exists() else 0
        started = time.time()
        out: dict[str, object] = {
            "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
            "cores": os.cpu_count(),
            "load_average_before": os.getloadavg(),
            "plan": plan.__dict__,
            "ports": {side: mta.port for side, mta in self.mtas.items()},
            "milter_pid": self.pid,
            "memory_start": rig.memory_of(self.pid),
        }
        self._warm_up()
        phases: dict[str, dict[str, list[Phase]]] = {
            name: {side: [] for side in SIDES} for name in ("smtp_source", "mixed")
        }
        for number in range(plan.rounds):
            order = SIDES if number % 2 == 0 else SIDES[::-1]
            for side in order:
                phases["smtp_source"][side].append(self._phase(side, self._source))
            for side in order:
                phases["mixed"][side].append(self._phase(side, self._mixed))
        out.update(phases)
        out["memory_after_load"] = rig.memory_of(self.pid)
        out["paced"] = self._paced(phases["mixed"][MILTER])
        out["big"] = self._big()
        out["milter_log"] = rig.read_milter_log(log, log_offset)
        out["load_average_after"] = os.getloadavg()
        out["seconds"] = time.time() - started
        held, items = rig.remove_traces(self.stack, self.queue_ids)
        out["cleaned_up"] = {"held_messages": held, "quarantine_items": items}
        return out

    def _phase(self, side: str, workload: Callable[[str], load.LoadResult]) -> Phase:
        """One workload through one MTA, with the CPU it cost."""
        postfix = self.mtas[side]
        rig.drain(postfix)
        trees = {"postfix": postfix.pid(), "milter": self.pid, "clamd": self.clamd_pid}
        with rig.CpuMeter(trees) as meter:
            result = workload(side)
        return Phase(result, meter.seconds)

    def _warm_up(self) -> None:
        """A few corpus messages through both MTAs: first-use costs stay out."""
        sample = self.messages[: self.plan.warmup]
        for side in SIDES:
            result = load.send_corpus(
                self.mtas[side].port,
                sample,
                2,
                self.plan.phase_deadline,
                self.plan.smtp_timeout,
            )
            self._remember(side, result)

    def _source(self, side: str) -> load.LoadResult:
        logger.info(
            "smtp-source, %s: %d x %d B over %d sessions",
            side,
            self.plan.source_count,
            self.plan.source_size,
            self.plan.sessions,
        )
        result = load.smtp_source(
            self.mtas[side].port,
            self.plan.source_count,
            self.plan.source_size,
            self.plan.sessions,
            self.plan.phase_deadline,
        )
        logger.info("  %.1f msg/s %s", result.rate, "; ".join(result.errors))
        return result

    def _mixed(self, side: str, rate: float | None = None) -> load.LoadResult:
        logger.info(
            "mixed corpus, %s: %d messages over %d sessions%s",
            side,
            len(self.messages),
            self.plan.sessions,
            f", offered {rate:.0f} msg/s" if rate else "",
        )
        result = load.send_corpus(
            self.mtas[side].port,
            self.messages,
            self.plan.sessions,
            self.plan.phase_deadline,
            self.plan.smtp_timeout,
            rate,
        )
        self._remember(side, result)
        logger.info(
            "  %.1f msg/s, p50 %.0f ms, p99 %.0f ms, codes %s",
            result.rate,
            result.latency_ms(0.50) or 0,
            result.latency_ms(0.99) or 0,
            dict(result.codes()),
        )
        return result

    def _paced(self, milter: list[Phase]) -> dict[str, object]:
        """The corpus again at half the milter's rate: latency without a queue."""
        rates = sorted(phase.result.rate for phase in milter)
        rate = self.plan.paced_share * rates[len(rates) // 2]
        out: dict[str, object] = {"offered_msg_per_s": rate}
        for side in SIDES:
            out[side] = self._phase(side, lambda s: self._mixed(s, rate))
        return out

    def _big(self) -> dict[str, object]:
        message = load.big_message(self.plan.big_megabytes)
        out: dict[str, object] = {"bytes": len(message.wire)}
        for side in SIDES:
            rig.drain(self.mtas[side])
            before = rig.memory_of(self.pid)
            logger.info("%.0f MB message, %s", len(message.wire) / 1e6, side)
            with rig.RssSampler(self.pid) as sampler:
                result = load.send_one(
                    self.mtas[side].port, message, 10 * self.plan.smtp_timeout
                )
            after = rig.memory_of(self.pid)
            self._remember(side, result)
            out[side] = {
                "result": result,
                "memory_before": before,
                "memory_after": after,
                "sampled_peak_kib": sampler.peak_kib,
                "sampled_peak_anon_kib": sampler.peak_anon_kib,
            }
        return out

    def _remember(self, side: str, result: load.LoadResult) -> None:
        if side == MILTER:
            self.queue_ids += [s.queue_id for s in result.sent if s.queue_id]


@dataclass(frozen=True)
class Phase:
    """One workload through one MTA: what happened, and the CPU seconds it took."""

    result: load.LoadResult
    cpu_seconds: dict[str, float]


if __name__ == "__main__":
    sys.exit(main())
