"""Benchmark: the CPU speed-up of structurally pruned byte transformers (``bench prune``).

For each base shape of the sparse study (:data:`scalingzip.studies.sparse_lm.BASE_SHAPES`, named
``L<layers>d<width>``), removes a fraction of the attention heads and of the MLP neurons, those of
lowest norm across all blocks (:func:`~scalingzip.nn.structured.prune_heads`,
:func:`~scalingzip.nn.structured.prune_neurons`; 50 % and 50 % by default, the study's "both"
plan), shrinks the model to a dense smaller one
(:func:`~scalingzip.nn.structured.shrink_transformer`), and times the forward pass of the two on one
thread, on the same batch of 16 windows of 128 bytes, without gradients
(:func:`~scalingzip.nn.structured.measure_speedup`, medians of alternating passes). The table sets
the measured speed-up beside the ratio of the forward FLOPs, which is what the speed-up would be
if time followed the arithmetic. The weights are the seeded initial ones: a forward pass takes the
same time whatever their values.

With ``--study``, it times instead every structured model of the sparse study's records
(``results/sparse/``): each base's shape against the shapes its heads and neurons were shrunk to
(the heads and MLP widths each record holds), so that chapter 7 can set the measured speed-up
beside the loss those very shapes cost. ``--save FILE`` writes the table as JSON, with the
machine, the versions and the settings, for the chapter to read (``results/benchmarks/prune.json``
is the file it reads, made by ``python -m scalingzip bench prune --study --save
results/benchmarks/prune.json``). A timing is one machine's at one time: it goes into no test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

import torch

from scalingzip.nn.flops import count_parameters, sparse_forward_flops
from scalingzip.nn.structured import (
    SlimConfig,
    SlimTransformer,
    measure_speedup,
    prune_heads,
    prune_neurons,
    shrink_transformer,
)
from scalingzip.nn.transformer import build_model
from scalingzip.studies.single_epoch import SHAPES
from scalingzip.studies.sparse_lm import BASE_SHAPES

NAMES = {f"L{s.n_layer}d{s.d_model}": s for s in SHAPES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scalingzip bench prune", description=__doc__.splitlines()[0])
    default = [f"L{SHAPES[i].n_layer}d{SHAPES[i].d_model}" for i in BASE_SHAPES]
    parser.add_argument("--sizes", nargs="+", default=default, choices=list(NAMES),
                        help=f"which shapes (default the study's bases: {' '.join(default)})")
    parser.add_argument("--heads", type=float, default=0.5, help="fraction of all heads removed (default 0.5)")
    parser.add_argument("--neurons", type=float, default=0.5, help="fraction of all MLP neurons removed (default 0.5)")
    parser.add_argument("--batch", type=int, default=16, help="windows per forward pass (default 16)")
    parser.add_argument("--repeats", type=int, default=15, help="timed passes of each model (default 15)")
    parser.add_argument("--study", action="store_true",
                        help="time the structured models of the sparse study's records instead (all their plans)")
    parser.add_argument("--save", metavar="FILE", help="also write the table as JSON to FILE")
    args = parser.parse_args(argv)
    if not (0 <= args.heads < 1 and 0 <= args.neurons < 1):
        parser.error("--heads and --neurons must be fractions in [0, 1)")
    if min(args.batch, args.repeats) < 1:
        parser.error("--batch and --repeats must be >= 1")
    machine = {"machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version(),
               "torch": torch.__version__, "threads": 1}
    settings = {"batch": args.batch, "seq_len": 128, "repeats": args.repeats}
    if args.study:
        what = "the sparse study's structured models (heads and MLP widths from its records)"
    else:
        what = f"{args.heads:.0%} of the heads and {args.neurons:.0%} of the MLP neurons removed (lowest norm)"
        settings.update(heads=args.heads, neurons=args.neurons)
    print(f"machine: {machine['machine']}, {machine['cpus']} CPUs, Python {machine['python']}, PyTorch "
          f"{machine['torch']} on 1 thread; forward passes of {args.batch} x 128 bytes, no gradients; {what}")
    header = (f"{'shape':>7} {'plan':>22} {'N dense':>9} {'N pruned':>9} {'FLOP ratio':>11} {'dense ms':>9} "
              f"{'pruned ms':>10} {'speed-up':>9}")
    print(header)
    print("-" * len(header))
    rows = []
    pairs = _study_pairs() if args.study else _default_pairs(args.sizes, args.heads, args.neurons)
    for name, plan, dense, slim in pairs:
        timing = measure_speedup(dense, slim, batch_size=args.batch, repeats=args.repeats)
        row = {"shape": name, "plan": plan, "params_dense": count_parameters(dense).non_embedding,
               "params_pruned": count_parameters(slim).non_embedding,
               "flop_ratio": sparse_forward_flops(dense) / sparse_forward_flops(slim),
               "heads": list(slim.config.heads), "ff_widths": list(slim.config.ff_widths),
               "dense_seconds": timing.dense_seconds, "pruned_seconds": timing.small_seconds,
               "speedup": timing.ratio}
        rows.append(row)
        print(f"{name:>7} {plan:>22} {row['params_dense']:>9,} {row['params_pruned']:>9,} {row['flop_ratio']:>10.2f}x "
              f"{1e3 * timing.dense_seconds:>9.2f} {1e3 * timing.small_seconds:>10.2f} {timing.ratio:>8.2f}x")
    if args.save:
        path = Path(args.save)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"command": "python -m scalingzip bench prune" + (" --study" if args.study else ""),
                                    **machine, **settings, "rows": rows}, indent=1) + "\n")
        print(f"saved {path}")
    return 0


def _default_pairs(sizes: list[str], heads: float, neurons: float) -> list[tuple]:
    """(shape name, plan, dense, shrunk) for each size: the lowest-norm heads and neurons removed."""
    out = []
    for name in sizes:
        dense = build_model(NAMES[name], seed=0)
        pruned = build_model(NAMES[name], seed=0)
        n_heads = sum(b.attn.n_head for b in pruned.blocks)
        n_neurons = sum(b.mlp[0].out_features for b in pruned.blocks)
        prune_heads(pruned, min(round(heads * n_heads), n_heads - len(pruned.blocks)))  # a head and a neuron stay
        prune_neurons(pruned, min(round(neurons * n_neurons), n_neurons - len(pruned.blocks)))
        out.append((name, f"heads {heads:.0%}, neurons {neurons:.0%}", dense, shrink_transformer(pruned)))
    return out


def _study_pairs() -> list[tuple]:
    """(shape name, plan, dense, shrunk) for every structured model of the sparse study's bases."""
    from scalingzip.studies import load_study

    out = []
    for record in load_study("sparse").select("criteria"):
        shape = record.config.model
        dense = build_model(shape, seed=0)
        for row in record["structured"]:
            slim = SlimTransformer(SlimConfig(base=shape, heads=tuple(row["heads"]), ff_widths=tuple(row["ff_widths"])))
            plan = f"{row['score']} h{row['head_fraction']:.2f} n{row['neuron_fraction']:.2f}"
            out.append((f"L{shape.n_layer}d{shape.d_model}", plan, dense, slim))
    return out
