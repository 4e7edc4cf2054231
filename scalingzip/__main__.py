"""The course's command line: ``python -m scalingzip COMMAND ...``.

Commands:
    compress IN OUT      compress a file (--mode: mixing [default], lm, lm-online, ...; --list).
    decompress IN OUT    decompress a file made by compress.
    train-lm [OUT]       train the lm mode's model on the course corpus and save it.
    sweep STUDY          run a scaling study (nlp, cv), skipping the runs already recorded.
    assign [LAB ...]     write each lab's student notebook and autograder zip (under _build/assignments).
    grade LAB FILES      grade submitted notebooks offline with a lab's autograder zip.
    bench NAME           print a benchmark table measured on this machine (``bench --list``).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from scalingzip import cli

# benchmark name -> module under scalingzip.benchmarks exposing ``main(argv) -> int``
BENCHMARKS = {
    "coding": ("coding", "throughput of the arithmetic coders and bits per byte of every compressor on the course corpus"),
    "scaling": ("scaling", "wall time and parameters of the Chinchilla-style fit"),
    "lm": ("lm", "bits per byte and throughput of the registered compressors of bytes next to gzip, bz2 and xz, on held-out text"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scalingzip", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cli.add_commands(sub)
    bench = sub.add_parser("bench", help="run a benchmark and print its table")
    bench.add_argument("name", nargs="?", choices=sorted(BENCHMARKS), help="which benchmark")
    bench.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    bench.add_argument("rest", nargs=argparse.REMAINDER, help="options passed to the benchmark")
    args = parser.parse_args(argv)

    if args.command == "bench":
        if args.list or args.name is None:
            for name, (_, doc) in sorted(BENCHMARKS.items()):
                print(f"{name:10s} {doc}")
            return 0
        module_name, _ = BENCHMARKS[args.name]
        module = importlib.import_module(f"scalingzip.benchmarks.{module_name}")
        return int(module.main(args.rest) or 0)
    if args.command in ("compress", "decompress", "train-lm", "sweep", "assign", "grade"):
        return cli.run(args)
    parser.error(f"unknown command {args.command!r}")  # argparse exits; kept for clarity
    return 2


if __name__ == "__main__":
    sys.exit(main())
