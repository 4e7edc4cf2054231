"""Benchmark: wall time and parameters of the Chinchilla-style fit (``bench scaling``).

Fits L(N, D) = E + A/N^alpha + B/D^beta by Hoffmann et al.'s procedure (4,500 starts, sum of
Huber terms, delta 1e-3) with :func:`scalingzip.scaling.fit_chinchilla`, and prints its wall
time, parameters and objective. By default the data are synthetic: 240 points drawn from
Besiroglu et al.'s refit with Hoffmann's procedure, plus noise on log-loss. ``--reference``
also runs the slow loop of one SciPy L-BFGS-B call per start (half a minute or more; on a
busy machine OpenBLAS threads can slow SciPy's many small calls several-fold, which
``OPENBLAS_NUM_THREADS=1`` avoids).

``--data PATH`` fits a CSV with columns ``Model Size`` (N), ``Training FLOP`` (C) and ``loss``
instead, with D = C / (6 N); the ``--drop-highest`` highest-loss rows are removed first (5, as
Besiroglu et al. do with the points digitised from Hoffmann et al.'s Fig. 4). ``--digitised``
fits the course's own digitisation of that figure (:func:`scalingzip.scaling.load_chinchilla_points`,
which chapter 4 refits), with the same rows dropped.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import time

import numpy as np
import scipy

from scalingzip.scaling import (
    BESIROGLU_2024_HOFFMANN_PROCEDURE,
    HOFFMANN_GRID,
    ChinchillaFit,
    fit_chinchilla,
    load_chinchilla_points,
    synthetic_chinchilla_data,
)

COLUMNS = ("Model Size", "Training FLOP", "loss")


def _read_csv(path: str, drop_highest: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path} lacks the column(s) {', '.join(missing)}; it needs {', '.join(COLUMNS)}")
        rows = [(float(r["Model Size"]), float(r["Training FLOP"]), float(r["loss"])) for r in reader]
    N, C, L = (np.array(col) for col in zip(*rows))
    keep = np.argsort(L, kind="stable")[: len(L) - drop_highest] if drop_highest > 0 else np.arange(len(L))
    keep = np.sort(keep)
    return N[keep], C[keep] / (6.0 * N[keep]), L[keep]


def _row(name: str, seconds: float | None, fit: ChinchillaFit | None, law: object) -> str:
    wall = "-" if seconds is None else f"{seconds:.2f}"
    objective = "-" if fit is None else f"{fit.objective:.10e}"
    conv = "-" if fit is None else f"{fit.n_converged}/{fit.n_starts}"
    return (
        f"{name:<22} {wall:>7} {objective:>17} {law.E:>8.4f} {law.A:>9.2f} {law.B:>9.1f} "
        f"{law.alpha:>8.5f} {law.beta:>8.5f} {conv:>10}"
    )


def main(argv: list[str]) -> int:
    """Run the benchmark and print its table; returns a process exit status."""
    parser = argparse.ArgumentParser(prog="python -m scalingzip bench scaling", description=__doc__.splitlines()[0])
    parser.add_argument("--data", metavar="PATH", help="CSV with columns 'Model Size', 'Training FLOP', 'loss'")
    parser.add_argument("--digitised", action="store_true",
                        help="fit the course's digitisation of Hoffmann et al.'s Fig. 4 (scalingzip/data/digitised/)")
    parser.add_argument("--drop-highest", type=int, default=5,
                        help="with --data or --digitised: drop this many highest-loss rows")
    parser.add_argument("--n-points", type=int, default=240, help="synthetic data: number of points")
    parser.add_argument("--noise", type=float, default=0.01, help="synthetic data: sd of the noise on log-loss")
    parser.add_argument("--seed", type=int, default=0, help="synthetic data: seed")
    parser.add_argument("--repeats", type=int, default=3, help="time the fast fit this many times, report the best")
    parser.add_argument("--reference", action="store_true", help="also time the slow loop of SciPy L-BFGS-B calls")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    law = BESIROGLU_2024_HOFFMANN_PROCEDURE
    if args.data and args.digitised:
        parser.error("give --data or --digitised, not both")
    if args.digitised:
        points = load_chinchilla_points().drop_highest_loss(args.drop_highest)
        N, D, L = points.N, points.D, points.loss
        source = f"{points.source} ({len(N)} points after dropping the {args.drop_highest} highest losses)"
        first_row = "published refit"
    elif args.data:
        try:
            N, D, L = _read_csv(args.data, args.drop_highest)
        except (OSError, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        source = f"{args.data} ({len(N)} points after dropping the {args.drop_highest} highest losses)"
        first_row = "published refit"
    else:
        N, D, L = synthetic_chinchilla_data(law, n_points=args.n_points, noise=args.noise, seed=args.seed)
        source = f"synthetic: {args.n_points} points from the refit below, noise sd {args.noise} on log L, seed {args.seed}"
        first_row = "generator (truth)"

    times, fit = [], None
    for _ in range(args.repeats):
        start = time.perf_counter()
        fit = fit_chinchilla(N, D, L)
        times.append(time.perf_counter() - start)
    assert fit is not None

    print(f"Chinchilla-style fit: {HOFFMANN_GRID.n_starts:,} starts, sum of Huber terms (delta {fit.delta:g})")
    print(f"data: {source}")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}; "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}"
    )
    print()
    header = f"{'method':<22} {'wall s':>7} {'objective':>17} {'E':>8} {'A':>9} {'B':>9} {'alpha':>8} {'beta':>8} {'converged':>10}"
    print(header)
    print("-" * len(header))
    print(_row(first_row, None, None, law) + f"   [{law.citation}]")
    print(_row(f"batched (best of {args.repeats})", min(times), fit, fit))
    if args.reference:
        start = time.perf_counter()
        slow = fit_chinchilla(N, D, L, method="scipy")
        print(_row("scipy loop", time.perf_counter() - start, slow, slow))
        print()
        print(f"objective, batched - scipy loop: {fit.objective - slow.objective:+.3e} (negative: batched is lower)")
    else:
        print()
        print("add --reference to time the loop of one SciPy L-BFGS-B call per start (half a minute or more)")
    return 0
