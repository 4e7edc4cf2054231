"""Benchmark of the lossless coders: ``python -m scalingzip bench coding [--quick]``.

Prints two tables measured on this machine:

1. throughput, in symbols per second, of the package's pure-Python range coder and of
   constriction's range coder (Rust), both coding the same quantised static model: i.i.d.
   symbols from a skewed 256-symbol distribution;
2. bits per byte of every compressor (zlib -9, bz2 -9, xz -9e, and the package's static,
   order-0 and PPM models) on the course corpus ``load_text("python-docs")``, with the speed of
   compression and decompression. Every compressor is checked to round-trip before it is listed.

``--quick`` uses the first 100 KB of the corpus, 200,000 symbols and fewer PPM orders.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable

import numpy as np

from scalingzip.coding import (
    STDLIB_COMPRESSORS,
    ArithmeticDecoder,
    ArithmeticEncoder,
    code_length_bits,
    constriction_decode,
    constriction_encode,
    quantize_probabilities,
)
from scalingzip.compressors import compress, decompress
from scalingzip.data import corpus_info, load_text


def _best_time(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Smallest wall-clock time of ``repeats`` calls, in seconds, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def _coder_rows(n: int, seed: int, repeats: int) -> list[tuple[str, float, float, float]]:
    rng = np.random.default_rng(seed)
    p = np.exp(-np.arange(256) / 20.0)
    freqs = quantize_probabilities(p / p.sum(), 16)
    q = freqs / freqs.sum()
    symbols = rng.choice(256, size=n, p=q)
    ideal = code_length_bits(symbols, freqs) / n
    rows = [("ideal -log2 q (quantised model)", float("nan"), float("nan"), ideal)]

    def ours_encode() -> bytes:
        enc = ArithmeticEncoder()
        enc.encode_symbols(symbols, freqs)
        return enc.finish()

    t_enc, stream = _best_time(ours_encode, repeats)

    def ours_decode() -> list[int]:
        dec = ArithmeticDecoder(stream)
        out = dec.decode_symbols(n, freqs)
        dec.finish()
        return out

    t_dec, decoded = _best_time(ours_decode, repeats)
    if decoded != symbols.tolist():
        raise RuntimeError("the package coder failed to round-trip")
    rows.append(("scalingzip ArithmeticEncoder (batch)", n / t_enc, n / t_dec, 8 * len(stream) / n))

    m = min(n, 20_000)  # the readable one-call-per-symbol API, on a prefix
    table = freqs.tolist()
    head = symbols[:m].tolist()

    def per_symbol_encode() -> bytes:
        enc = ArithmeticEncoder()
        for s in head:
            enc.encode(s, table)
        return enc.finish()

    t_enc1, stream1 = _best_time(per_symbol_encode, 1)

    def per_symbol_decode() -> list[int]:
        dec = ArithmeticDecoder(stream1)
        out = [dec.decode(table) for _ in range(m)]
        dec.finish()
        return out

    t_dec1, decoded1 = _best_time(per_symbol_decode, 1)
    if decoded1 != head:
        raise RuntimeError("the per-symbol API failed to round-trip")
    rows.append(("scalingzip encode()/decode() per symbol", m / t_enc1, m / t_dec1, 8 * len(stream1) / m))

    t_enc_c, blob = _best_time(lambda: constriction_encode(symbols, q), repeats)
    t_dec_c, decoded_c = _best_time(lambda: constriction_decode(blob, q, n), repeats)
    if not np.array_equal(decoded_c, symbols):
        raise RuntimeError("constriction failed to round-trip")
    rows.append(("constriction RangeEncoder (Rust)", n / t_enc_c, n / t_dec_c, 8 * len(blob) / n))
    return rows


def _compressor_rows(data: bytes, ppm_orders: tuple[int, ...]) -> list[tuple[str, float, float, float]]:
    candidates: list[tuple[str, Callable[[bytes], bytes], Callable[[bytes], bytes]]] = [
        (name, c, d) for name, (c, d) in STDLIB_COMPRESSORS.items()
    ]
    candidates.append(("scalingzip static (order 0)", lambda d: compress(d, "static"), decompress))
    candidates.append(("scalingzip order0 (adaptive)", lambda d: compress(d, "order0"), decompress))
    for k in ppm_orders:
        candidates.append((f"scalingzip ppm order={k}", lambda d, k=k: compress(d, "ppm", order=k), decompress))
    rows = []
    for name, c, d in candidates:
        t_c, blob = _best_time(lambda: c(data), 1)
        t_d, back = _best_time(lambda: d(blob), 1)
        if back != data:
            raise RuntimeError(f"{name} did not round-trip the corpus")
        rows.append((name, 8 * len(blob) / len(data), len(data) / t_c / 1e3, len(data) / t_d / 1e3))
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m scalingzip bench coding", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 KB of corpus, 200k symbols, PPM orders 2 and 5")
    parser.add_argument("--symbols", type=int, default=None, help="symbols for the throughput table (default 1e6)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random symbols")
    args = parser.parse_args(argv)
    n = args.symbols or (200_000 if args.quick else 1_000_000)
    if n < 1:
        parser.error("--symbols must be positive")
    corpus = load_text("python-docs")
    data = corpus[:100_000] if args.quick else corpus
    orders = (2, 5) if args.quick else (1, 2, 3, 4, 5, 6)
    info = corpus_info("python-docs")

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"\nThroughput on {n:,} i.i.d. symbols from a skewed 256-symbol distribution, one quantised")
    print("static model (frequencies summing to 2**16) shared by both coders; best of 3 runs.")
    print(f"{'coder':42s} {'encode sym/s':>14s} {'decode sym/s':>14s} {'bits/symbol':>12s}")
    for name, enc, dec, bps in _coder_rows(n, args.seed, repeats=3):
        enc_s = f"{enc:14,.0f}" if enc == enc else f"{'':14s}"
        dec_s = f"{dec:14,.0f}" if dec == dec else f"{'':14s}"
        print(f"{name:42s} {enc_s} {dec_s} {bps:12.5f}")

    print(f"\nBits per byte on {len(data):,} bytes of corpus 'python-docs' "
          f"(Python {info.python_version}, sha256 {info.sha256[:12]}{', first 100 KB' if args.quick else ''}).")
    print(f"{'compressor':34s} {'bits/byte':>9s} {'compress KB/s':>14s} {'decompress KB/s':>16s}")
    for name, bpb, kc, kd in _compressor_rows(data, orders):
        print(f"{name:34s} {bpb:9.4f} {kc:14,.0f} {kd:16,.0f}")
    return 0
