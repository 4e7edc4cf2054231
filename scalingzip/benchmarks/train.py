"""Benchmark: training throughput of the byte transformers on one core (``bench train``).

For each named size of :data:`scalingzip.nn.transformer.PRESETS`, trains for a few AdamW steps on
windows of the ``cpython-docs`` training split, on one thread, and prints the bytes trained per
second and the FLOP per second achieved, counted two ways: Kaplan's 6N per byte (N the
non-embedding parameters) and the full count of :func:`scalingzip.nn.flops.transformer_flops`
(every matrix product of a dense implementation, attention and the output layer included, times
three for the backward pass). A study's wall time is its training bytes divided by the first
column; its compute, in the chapter's units, is the bytes times the per-byte count.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import torch

from scalingzip.data import document_splits
from scalingzip.nn.determinism import one_thread
from scalingzip.nn.flops import count_parameters, transformer_flops
from scalingzip.nn.transformer import PRESETS, build_model


def _throughput(name: str, data: np.ndarray, *, batch: int, seq_len: int, steps: int, warmup: int) -> tuple:
    model = build_model(name, seed=0)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
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
    flops = transformer_flops(PRESETS[name], seq_len=seq_len)
    bytes_per_s = steps * batch * seq_len / seconds
    return count_parameters(model), bytes_per_s, bytes_per_s * flops.six_n, bytes_per_s * flops.training


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scalingzip bench train", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(PRESETS), choices=list(PRESETS), help="which presets")
    parser.add_argument("--batch", type=int, default=32, help="windows per step (default 32)")
    parser.add_argument("--seq-len", type=int, default=128, help="bytes per window (default 128)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per size (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (default 3)")
    args = parser.parse_args(argv)
    if min(args.batch, args.seq_len, args.steps) < 1 or args.warmup < 0:
        parser.error("--batch, --seq-len and --steps must be >= 1, --warmup >= 0")
    data = np.frombuffer(document_splits("cpython-docs").train, dtype=np.uint8)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"PyTorch {torch.__version__} on 1 thread; batch {args.batch} x {args.seq_len} bytes, "
          f"{args.steps} timed steps")
    header = f"{'size':>5s} {'N (non-emb.)':>13s} {'N (total)':>10s} {'bytes/s':>9s} {'GFLOP/s 6N':>11s} {'GFLOP/s full':>13s}"
    print(header)
    print("-" * len(header))
    with one_thread():
        for name in args.sizes:
            count, bps, six_n, full = _throughput(name, data, batch=args.batch, seq_len=args.seq_len,
                                                  steps=args.steps, warmup=args.warmup)
            print(f"{name:>5s} {count.non_embedding:>13,} {count.total:>10,} {bps:>9,.0f} {six_n / 1e9:>11.2f} "
                  f"{full / 1e9:>13.2f}")
    return 0
