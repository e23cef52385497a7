"""Build the demonstration mails in ``samples/<outcome>/``.

    python samples/build.py                 rewrite every committed sample
    python samples/build.py --check         exit 1 if a committed sample is stale
    python samples/build.py --generated     also write the EICAR mails into
                                            samples/reject/ (never committed)
    python samples/build.py --generated --dest DIR
                                            write only the EICAR mails, into DIR

Standard library only, deterministic output: dates, Message-IDs, MIME boundaries
and zip timestamps are fixed, so a rebuild changes a file only when its recipe in
``samplekit/`` changes. The mails use LF line ends, as mail stored on Unix does
(Maildir, mbox); an SMTP client sends them as CRLF.

``samples/`` is not a package. Tests load this file by path and call
``write_generated(dest_dir)``; it puts ``samples/`` on ``sys.path`` so that its
helper package ``samplekit`` can be imported.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from samplekit import benign, hostile, payloads  # noqa: E402
from samplekit.compose import Sample, render  # noqa: E402

SAMPLES: tuple[Sample, ...] = benign.SAMPLES + hostile.SAMPLES


def eicar() -> bytes:
    """The EICAR test file, for tests and scripts that need it at run time."""
    return payloads.eicar()


def generated_samples() -> tuple[Sample, ...]:
    """The mails that carry EICAR; written at run time, ignored by git."""
    return hostile.generated_samples()


def write_generated(dest_dir: Path | str) -> list[Path]:
    """Write the EICAR mails (attachment and zipped attachment) into *dest_dir*."""
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for sample in generated_samples():
        path = dest / sample.path.name
        path.write_bytes(render(sample))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the sample mails.")
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare with the files on disk instead of writing",
    )
    parser.add_argument(
        "--generated",
        action="store_true",
        help="also write the EICAR mails (never committed)",
    )
    parser.add_argument(
        "--dest", type=Path, help="with --generated: write only the EICAR mails, here"
    )
    args = parser.parse_args(argv)

    if args.dest is not None:
        if not args.generated:
            parser.error("--dest needs --generated")
        for path in write_generated(args.dest):
            print(path)
        return 0

    stale = [
        s.path
        for s in SAMPLES
        if not s.path.is_file() or s.path.read_bytes() != render(s)
    ]
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(HERE.parent)}", file=sys.stderr)
        return 1 if stale else 0

    for sample in SAMPLES:
        sample.path.parent.mkdir(exist_ok=True)
        sample.path.write_bytes(render(sample))
    if args.generated:
        write_generated(HERE / "reject")
    print(
        f"{len(SAMPLES)} samples written, {len(stale)} changed"
        + (", EICAR mails generated" if args.generated else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
