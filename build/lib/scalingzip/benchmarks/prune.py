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
same time whatever their values. A timing is this machine's, now: it goes into no record and no test.
"""

from __future__ import annotations

import argparse
import os
import platform

import torch

from scalingzip.nn.flops import count_parameters, sparse_forward_flops
from scalingzip.nn.structured import measure_speedup, prune_heads, prune_neurons, shrink_transformer
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
    args = parser.parse_args(argv)
    if not (0 <= args.heads < 1 and 0 <= args.neurons < 1):
        parser.error("--heads and --neurons must be fractions in [0, 1)")
    if min(args.batch, args.repeats) < 1:
        parser.error("--batch and --repeats must be >= 1")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"PyTorch {torch.__version__} on 1 thread; forward passes of {args.batch} x 128 bytes, no gradients; "
          f"{args.heads:.0%} of the heads and {args.neurons:.0%} of the MLP neurons removed (lowest norm)")
    header = (f"{'shape':>7} {'N dense':>9} {'N pruned':>9} {'FLOP ratio':>11} {'dense ms':>9} {'pruned ms':>10} "
              f"{'speed-up':>9}")
    print(header)
    print("-" * len(header))
    for name in args.sizes:
        dense = build_model(NAMES[name], seed=0)
        pruned = build_model(NAMES[name], seed=0)
        heads = sum(b.attn.n_head for b in pruned.blocks)
        neurons = sum(b.mlp[0].out_features for b in pruned.blocks)
        removable_heads = heads - len(pruned.blocks)  # every block keeps a head and a neuron
        prune_heads(pruned, min(round(args.heads * heads), removable_heads))
        prune_neurons(pruned, min(round(args.neurons * neurons), neurons - len(pruned.blocks)))
        slim = shrink_transformer(pruned)
        flops = sparse_forward_flops(dense) / sparse_forward_flops(slim)
        timing = measure_speedup(dense, slim, batch_size=args.batch, repeats=args.repeats)
        print(f"{name:>7} {count_parameters(dense).non_embedding:>9,} {count_parameters(slim).non_embedding:>9,} "
              f"{flops:>10.2f}x {1e3 * timing.dense_seconds:>9.2f} {1e3 * timing.small_seconds:>10.2f} "
              f"{timing.ratio:>8.2f}x")
    return 0
