"""Turning one run's measurements into the report: a JSON document and a table.

Rates are the median over rounds for each MTA; a ratio is the milter's median
over the no-milter median. Latency percentiles pool every round.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

from load import LoadResult
from rig import Memory

SOURCE = "smtp-source 1 KB"
MIXED = "mixed corpus"
PACED = "mixed corpus, paced"
BIG = "big message"
#: The goals the benchmark checks, as (figure, comparison, limit).
TARGETS = {
    SOURCE: ("ratio", ">=", 0.60),
    MIXED: ("ratio", ">=", 0.55),
    "mixed p99 ms": ("p99", "<=", 80.0),
    "paced p99 ms": ("p99", "<=", 80.0),
    "big peak RSS": ("peak", "<", 3.0),  # times the message size
}


def build(raw: dict[str, Any]) -> dict[str, Any]:
    """The report: every figure the table shows, and the per-round detail."""
    source = _workload(_results(raw["smtp_source"]))
    mixed = _workload(_results(raw["mixed"]))
    mixed.update(_latencies(_results(raw["mixed"])))
    paced = _paced(raw["paced"])
    big = _big(raw["big"])
    cpu = {SOURCE: _cpu(raw["smtp_source"]), MIXED: _cpu(raw["mixed"])}
    log = dict(raw["milter_log"])
    inspect = sorted(log.pop("inspect_ms", []))
    log["inspect_p50_ms"] = _quantile(inspect, 0.50)
    log["inspect_p99_ms"] = _quantile(inspect, 0.99)
    plan = raw["plan"]
    checks = [
        _check(SOURCE, source["ratio"]),
        _check(MIXED, mixed["ratio"]),
        _check("mixed p99 ms", mixed["latency"]["milter"]["p99_ms"]),
        _check("paced p99 ms", paced["milter"]["p99_ms"]),
        _check("big peak RSS", big["peak_over_size"]),
    ]
    missed = mixed["milter"]["missed_rejects"]
    complete = (
        not source["errors"]
        and not mixed["errors"]
        and not missed
        and big["milter"]["code"] // 100 in (2, 5)
    )
    return {
        "command": raw.get("command", ""),
        "started": raw["started"],
        "seconds": round(raw["seconds"], 1),
        "cores": raw["cores"],
        "load_average_before": raw["load_average_before"],
        "load_average_after": raw["load_average_after"],
        "plan": plan,
        "workloads": {SOURCE: source, MIXED: mixed, PACED: paced, BIG: big},
        "cpu_ms_per_message": cpu,
        "cpu_ratio": {name: _cpu_ratio(sides) for name, sides in cpu.items()},
        "memory_mib": {
            "start": _mib(raw["memory_start"]),
            "after_load": _mib(raw["memory_after_load"]),
            "after_big": _mib(raw["big"]["milter"]["memory_after"]),
        },
        "milter_log": log,
        "targets": checks,
        "complete": complete,
        "cleaned_up": raw["cleaned_up"],
    }


def _workload(sides: dict[str, list[LoadResult]]) -> dict[str, Any]:
    out: dict[str, Any] = {"errors": []}
    for side, results in sides.items():
        rates = [round(r.rate, 1) for r in results]
        codes: Counter[int] = Counter()
        for result in results:
            codes.update(result.codes())
            out["errors"] += [f"{side}: {e}" for e in result.errors]
        out[side] = {
            "msg_per_s": statistics.median(rates) if rates else 0.0,
            "msg_per_s_rounds": rates,
            "codes": {str(code): count for code, count in sorted(codes.items())},
            "missed_rejects": sum(len(r.missed_rejects()) for r in results),
        }
    baseline, milter = out["no-milter"], out["milter"]
    out["ratio"] = _ratio(milter["msg_per_s"], baseline["msg_per_s"])
    out["ratio_rounds"] = [
        _ratio(m, b)
        for m, b in zip(
            milter["msg_per_s_rounds"], baseline["msg_per_s_rounds"], strict=False
        )
    ]
    return out


def _latencies(sides: dict[str, list[LoadResult]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for side, results in sides.items():
        seconds = sorted(s.seconds * 1000 for r in results for s in r.sent)
        out[side] = {
            "p50_ms": _quantile(seconds, 0.50),
            "p99_ms": _quantile(seconds, 0.99),
        }
    by_kind: dict[str, list[float]] = {}
    for result in sides["milter"]:
        for sent in result.sent:
            by_kind.setdefault(sent.kind, []).append(sent.seconds * 1000)
    return {
        "latency": out,
        "milter_p50_ms_by_kind": {
            kind: _quantile(sorted(v), 0.5) for kind, v in sorted(by_kind.items())
        },
    }


def _big(raw: dict[str, Any]) -> dict[str, Any]:
    size = raw["bytes"]
    out: dict[str, Any] = {"bytes": size}
    for side in ("no-milter", "milter"):
        result: LoadResult = raw[side]["result"]
        sent = result.sent[0] if result.sent else None
        out[side] = {
            "code": sent.code if sent else 0,
            "reply": sent.text if sent else "; ".join(result.errors),
            "seconds": round(sent.seconds, 2) if sent else None,
        }
    milter = raw["milter"]
    before: Memory = milter["memory_before"]
    after: Memory = milter["memory_after"]
    sampled = milter["sampled_peak_kib"]
    # VmHWM is the peak since start: it only speaks for this message if it moved.
    peak_kib = after.hwm_kib if after.hwm_kib > before.hwm_kib else sampled
    out["milter"].update(
        rss_before_mib=round(before.rss_mib, 1),
        hwm_before_mib=round(before.hwm_mib, 1),
        hwm_after_mib=round(after.hwm_mib, 1),
        sampled_peak_mib=round(sampled / 1024, 1),
        anon_before_mib=round(before.anon_kib / 1024, 1),
        sampled_peak_anon_mib=round(milter["sampled_peak_anon_kib"] / 1024, 1),
        peak_mib=round(peak_kib / 1024, 1),
        rss_after_mib=round(after.rss_mib, 1),
    )
    out["peak_over_size"] = round(peak_kib * 1024 / size, 2)
    return out


def _results(sides: dict[str, list[Any]]) -> dict[str, list[LoadResult]]:
    return {side: [phase.result for phase in phases] for side, phases in sides.items()}


def _paced(raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"offered_msg_per_s": round(raw["offered_msg_per_s"], 1)}
    for side in ("no-milter", "milter"):
        result: LoadResult = raw[side].result
        out[side] = {
            "msg_per_s": round(result.rate, 1),
            "p50_ms": _quantile(sorted(s.seconds * 1000 for s in result.sent), 0.50),
            "p99_ms": _quantile(sorted(s.seconds * 1000 for s in result.sent), 0.99),
            "errors": result.errors,
        }
    return out


def _cpu(sides: dict[str, list[Any]]) -> dict[str, dict[str, float]]:
    """CPU milliseconds per message, per side: whole machine, milter, clamd."""
    out: dict[str, dict[str, float]] = {}
    for side, phases in sides.items():
        totals: Counter[str] = Counter()
        messages = 0
        for phase in phases:
            totals.update(phase.cpu_seconds)
            messages += phase.result.messages
        out[side] = {
            name: round(total * 1000 / max(1, messages), 2)
            for name, total in totals.items()
        }
    return out


def _cpu_ratio(sides: dict[str, dict[str, float]]) -> float | None:
    """The rate ratio a CPU-bound machine allows: our CPU per message, no milter
    over milter. Work of other users ("others") is left out, so this figure holds
    still when the machine is shared; it should agree with the measured ratio.
    """

    def own(side: dict[str, float]) -> float:
        return side.get("machine", 0.0) - side.get("others", 0.0)

    return _ratio(own(sides["no-milter"]), own(sides["milter"]))


def _check(name: str, value: float | None) -> dict[str, Any]:
    _, comparison, limit = TARGETS[name]
    if value is None:
        met = False
    elif comparison == ">=":
        met = value >= limit
    elif comparison == "<=":
        met = value <= limit
    else:
        met = value < limit
    return {
        "name": name,
        "value": value,
        "target": f"{comparison} {limit:g}",
        "met": met,
    }


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def _quantile(ordered: Sequence[float], quantile: float) -> float | None:
    if not ordered:
        return None
    rank = max(0, min(len(ordered) - 1, round(quantile * len(ordered)) - 1))
    return round(ordered[rank], 1)


def _mib(memory: Memory) -> dict[str, float]:
    return {
        "rss": round(memory.rss_mib, 1),
        "hwm": round(memory.hwm_mib, 1),
        "anon": round(memory.anon_kib / 1024, 1),
        "file": round(memory.file_kib / 1024, 1),
    }


# --- output -----------------------------------------------------------------------


def as_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, default=_plain) + "\n"


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def table(report: dict[str, Any]) -> str:
    """The human summary: one line per workload, then the detail that explains it."""
    plan = report["plan"]
    work = report["workloads"]
    source, mixed, paced, big = work[SOURCE], work[MIXED], work[PACED], work[BIG]
    checks = {c["name"]: c for c in report["targets"]}
    latency = mixed["latency"]
    lines = [
        f"mailwarden benchmark, {report['started']}, {report['cores']} cores, "
        f"{plan['rounds']} round(s), {plan['sessions']} sessions, load average "
        f"{report['load_average_before'][0]:.2f} -> "
        f"{report['load_average_after'][0]:.2f}, {report['seconds']:.0f} s",
        f"  {report['command']}",
        "",
        f"{'workload':<28}{'no milter':>10}{'milter':>9}{'ratio':>7}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'peak RSS':>10}  target",
        _row(
            f"smtp-source {plan['source_count']} x 1 KB",
            _rate(source["no-milter"]),
            _rate(source["milter"]),
            _num(source["ratio"], 2),
            "-",
            "-",
            "-",
            _verdict(checks[SOURCE]),
        ),
        _row(
            f"mixed corpus {plan['corpus_count']} msgs",
            _rate(mixed["no-milter"]),
            _rate(mixed["milter"]),
            _num(mixed["ratio"], 2),
            _num(latency["milter"]["p50_ms"], 1),
            _num(latency["milter"]["p99_ms"], 1),
            "-",
            f"{_verdict(checks[MIXED])}; p99 {_verdict(checks['mixed p99 ms'])}",
        ),
        _row(
            "  no milter, same run",
            "",
            "",
            "",
            _num(latency["no-milter"]["p50_ms"], 1),
            _num(latency["no-milter"]["p99_ms"], 1),
            "",
            "",
        ),
        _row(
            f"mixed at {paced['offered_msg_per_s']:.0f} msg/s offered",
            f"{paced['no-milter']['msg_per_s']:.1f}",
            f"{paced['milter']['msg_per_s']:.1f}",
            "-",
            _num(paced["milter"]["p50_ms"], 1),
            _num(paced["milter"]["p99_ms"], 1),
            "-",
            f"p99 {_verdict(checks['paced p99 ms'])}",
        ),
        _row(
            "  no milter, same run",
            "",
            "",
            "",
            _num(paced["no-milter"]["p50_ms"], 1),
            _num(paced["no-milter"]["p99_ms"], 1),
            "",
            "",
        ),
        _row(
            f"{big['bytes'] / 1e6:.0f} MB message",
            _seconds(big["no-milter"]),
            _seconds(big["milter"]),
            "-",
            "-",
            "-",
            f"{big['milter']['peak_mib']:.0f} MiB",
            f"peak {big['peak_over_size']:.2f} x size, "
            f"{_verdict(checks['big peak RSS'], ' x size')}",
        ),
        "",
        "targets: mixed >= 0.55x, 1 KB >= 0.60x, p99 <= 80 ms at "
        f"{plan['sessions']} sessions, 50 MB message peak RSS < 3 x its size",
        f"ratio per round: smtp-source {source['ratio_rounds']}, "
        f"mixed {mixed['ratio_rounds']}",
        f"replies, mixed: no milter {mixed['no-milter']['codes']}, "
        f"milter {mixed['milter']['codes']}; "
        f"EICAR not refused with 5xx: {mixed['milter']['missed_rejects']}",
        f"big message: no milter {big['no-milter']['code']}, "
        f"milter {big['milter']['code']} {big['milter']['reply'][:70]}",
    ]
    memory = report["memory_mib"]
    lines.append(
        "milter memory MiB (RSS/VmHWM, anon+file): start {}/{} ({}+{}), "
        "after load {}/{} ({}+{}), "
        "after big {}/{}; during big: sampled peak {} (anon {} -> {}), "
        "VmHWM {} -> {}".format(
            memory["start"]["rss"],
            memory["start"]["hwm"],
            memory["start"]["anon"],
            memory["start"]["file"],
            memory["after_load"]["rss"],
            memory["after_load"]["hwm"],
            memory["after_load"]["anon"],
            memory["after_load"]["file"],
            memory["after_big"]["rss"],
            memory["after_big"]["hwm"],
            big["milter"]["sampled_peak_mib"],
            big["milter"]["anon_before_mib"],
            big["milter"]["sampled_peak_anon_mib"],
            big["milter"]["hwm_before_mib"],
            big["milter"]["hwm_after_mib"],
        )
    )
    lines.append(
        "CPU ms per message (machine = all cores, everyone; ratio the CPU allows):"
    )
    for workload, sides in report["cpu_ms_per_message"].items():
        lines.append(
            f"  {workload:<18}ratio {report['cpu_ratio'][workload]}; "
            + "; ".join(
                f"{side}: " + ", ".join(f"{k} {v}" for k, v in values.items())
                for side, values in sides.items()
            )
        )
    log = report["milter_log"]
    if log.get("available"):
        lines.append(
            f"milter log: actions {log['actions']}, inspection p50/p99 "
            f"{log['inspect_p50_ms']}/{log['inspect_p99_ms']} ms, "
            f"{log['errors']} errors, {log['warnings']} warnings, "
            f"{log['tracebacks']} tracebacks"
        )
        lines += [f"  {line[:160]}" for line in log["first_errors"]]
    errors = source["errors"] + mixed["errors"]
    for side in ("no-milter", "milter"):
        errors += [f"paced, {side}: {e}" for e in paced[side]["errors"]]
    lines += [f"error: {e}" for e in errors[:10]]
    if not report["complete"]:
        lines.append("INCOMPLETE: a workload failed or a check did not hold (above)")
    return "\n".join(lines)


def _row(name: str, *cells: str) -> str:
    *figures, target = cells
    widths = (10, 9, 7, 8, 8, 10)
    return (
        f"{name:<28}"
        + "".join(
            f"{cell:>{width}}" for cell, width in zip(figures, widths, strict=True)
        )
        + (f"  {target}" if target else "")
    ).rstrip()


def _rate(side: dict[str, Any]) -> str:
    return f"{side['msg_per_s']:.1f}"


def _seconds(side: dict[str, Any]) -> str:
    return "-" if side["seconds"] is None else f"{side['seconds']:.1f} s"


def _num(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _verdict(check: dict[str, Any], unit: str = "") -> str:
    return f"{check['target']}{unit} {'ok' if check['met'] else 'MISSED'}"
