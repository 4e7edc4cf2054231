"""Benchmark: training throughput of the single-epoch study's transformers on one core (``bench train``).

For each shape of :data:`scalingzip.studies.single_epoch.SHAPES` (named ``L<layers>d<width>``),
trains for a few AdamW steps on windows of the study's training stream, on one thread, with the
study's batch (16 windows of 127 bytes after the start byte), and prints the bytes trained per
second and the FLOP per second achieved, counted two ways: Kaplan's 6N per byte (N the
non-embedding parameters) and the full count of :func:`scalingzip.nn.flops.transformer_flops`
(every matrix product of a dense implementation, attention and the output layer included, times
three for the backward pass), the count the study's compute axis uses. A run's CPU time is its
training bytes divided by the bytes per second; its compute is the bytes times the per-byte count.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import torch

from scalingzip.nn.determinism import one_thread
from scalingzip.nn.flops import count_parameters, transformer_flops
from scalingzip.nn.transformer import TransformerConfig, build_model
from scalingzip.studies import single_epoch

SHAPES = {f"L{s.n_layer}d{s.d_model}": s for s in single_epoch.SHAPES}


def _throughput(shape: TransformerConfig, data: np.ndarray, *, batch: int, seq_len: int, steps: int,
                warmup: int) -> tuple:
    model = build_model(shape, seed=0)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, single_epoch.BETA2))
    rng = np.random.default_rng(0)
    seconds = 0.0
    for step in range(warmup + steps):
        starts = rng.integers(0, len(data) - seq_len - 1, size=batch)
        window = torch.from_numpy(np.stack([data[s:s + seq_len + 1] for s in starts]).astype(np.int64))
        t0 = time.perf_counter()
        logits = model(window[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), window[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step >= warmup:
            seconds += time.perf_counter() - t0
    flops = transformer_flops(shape, seq_len=seq_len + 1)
    bytes_per_s = steps * batch * seq_len / seconds
    return count_parameters(model), bytes_per_s, bytes_per_s * flops.six_n, bytes_per_s * flops.training


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scalingzip bench train", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(SHAPES), choices=list(SHAPES), help="which shapes")
    parser.add_argument("--batch", type=int, default=single_epoch.BATCH_SIZE,
                        help=f"windows per step (default {single_epoch.BATCH_SIZE}, the study's)")
    parser.add_argument("--seq-len", type=int, default=single_epoch.SEQ_LEN,
                        help=f"bytes per window (default {single_epoch.SEQ_LEN}, the study's)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per size (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (default 3)")
    args = parser.parse_args(argv)
    if min(args.batch, args.seq_len, args.steps) < 1 or args.warmup < 0:
        parser.error("--batch, --seq-len and --steps must be >= 1, --warmup >= 0")
    if args.seq_len > 127:
        parser.error("--seq-len must be at most 127: the models read 128 positions, the start byte first")
    data = np.frombuffer(single_epoch.training_stream(), dtype=np.uint8)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"PyTorch {torch.__version__} on 1 thread; batch {args.batch} x {args.seq_len} bytes, "
          f"{args.steps} timed steps")
    header = (f"{'shape':>7} {'N (non-emb.)':>13} {'N (total)':>10} {'bytes/s':>9} {'GFLOP/s 6N':>11} "
              f"{'GFLOP/s full':>13} {'10 MB takes':>12}")
    print(header)
    print("-" * len(header))
    with one_thread():
        for name in args.sizes:
            count, bps, six_n, full = _throughput(SHAPES[name], data, batch=args.batch, seq_len=args.seq_len,
                                                  steps=args.steps, warmup=args.warmup)
            print(f"{name:>7} {count.non_embedding:>13,} {count.total:>10,} {bps:>9,.0f} {six_n / 1e9:>11.2f} "
                  f"{full / 1e9:>13.2f} {len(data) / bps / 60:>10.1f} m")
    return 0
