"""Benchmark of the compressors: ``python -m scalingzip bench lm [--model FILE] [--file PATH ...]``.

For each text, none of which any model was trained on, prints bits per byte of gzip -9, bz2 -9,
xz -9e and of every compressor of bytes in the registry (:mod:`scalingzip.compressors`, the modes
of ``compress``), each one's size relative to xz, and compression and decompression throughput
in KB/s (1 KB = 1000 bytes of input or output text). Every row is checked to round-trip before
it is printed. The texts:

* the held-out test split of the course corpus (``split_bytes(load_text("python-docs")).test``);
* English prose that ships with Debian, when present: the first 300,000 bytes of the Vim user
  manual (``/usr/share/vim/vim*/doc/usr_*.txt``) and the licence texts in
  ``/usr/share/common-licenses``;
* any ``--file PATH`` given.

(The texts are those of :mod:`scalingzip.benchmarks.compressors`, ``bench compressors``, which adds
the other compressors installed on the machine, peak memory, and more texts.)

A compressor that needs a model (``lm``) gets the model of ``python -m scalingzip train-lm``
(``--model``, default the package's ``scalingzip/models/lm-python-docs.pt``), and is skipped without one. ``lm-online``
(a transformer learning while it codes) runs only with ``--online-lm``, on the first text only,
because it is slow. As in ``compress``, a file a compressor cannot make shorter is stored as it
is. Timings exclude the one-time loading of the compiled context-mixing loop (about a second),
done before timing.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

from scalingzip.benchmarks.compressors import load_texts
from scalingzip.coding import STDLIB_COMPRESSORS
from scalingzip.compressors import compress, decompress, registered
from scalingzip.compressors.model_files import pretrained_model_path


def _texts(extra: list[str]) -> list[tuple[str, bytes]]:
    texts, _ = load_texts(["python-docs", "vim", "licences"], extra)  # absent ones are skipped
    return [(t.title, t.data) for t in texts]


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _row(name: str, data: bytes, c: Callable[[bytes], bytes], d: Callable[[bytes], bytes]) -> tuple[str, float, float, float]:
    t_c, blob = _timed(lambda: c(data))
    t_d, back = _timed(lambda: d(blob))
    if back != data:
        raise RuntimeError(f"{name} did not round-trip")
    n = max(len(data), 1)
    return name, 8 * len(blob) / n, n / t_c / 1e3, n / t_d / 1e3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scalingzip bench lm", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(pretrained_model_path()), help="model file for the lm compressor")
    parser.add_argument("--online-lm", action="store_true", help="also run the online transformer (slow) on the first text")
    parser.add_argument("--file", action="append", default=[], help="another text to measure (repeatable)")
    args = parser.parse_args(argv)

    import torch

    from scalingzip.compressors.model_files import load_model

    model = None
    if Path(args.model).is_file():
        model, meta = load_model(args.model)
        print(f"pretrained model: {args.model} ({meta.get('preset', '?')}, trained on {meta.get('corpus', '?')} "
              f"{meta.get('split', '?')}, {meta.get('train_bytes', 0):,} bytes)")
    needs = {"model": model}  # what this benchmark can give a compressor that needs something
    chosen = {name: c for name, c in registered(takes="bytes").items() if name != "lm-online" or args.online_lm}
    for name, c in chosen.items():
        if any(needs.get(k) is None for k in c.needs):
            print(f"{name} skipped: it needs {', '.join(c.needs)} "
                  f"(make it with: python -m scalingzip train-lm {args.model})")
    compress(b"warm-up", "mixing")  # load the compiled loop before timing
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"PyTorch {torch.__version__} on 1 thread")
    header = f"{'compressor':28s} {'bits/byte':>9s} {'x xz':>6s} {'comp KB/s':>10s} {'dec KB/s':>9s}"
    for k, (title, data) in enumerate(_texts(args.file)):
        print(f"\n{title}: {len(data):,} bytes")
        print(header)
        print("-" * len(header))
        rows = [_row(name, data, c, d) for name, (c, d) in STDLIB_COMPRESSORS.items()]
        for name, c in chosen.items():
            given = {key: needs[key] for key in c.needs}
            if any(v is None for v in given.values()) or (name == "lm-online" and k > 0):
                continue
            rows.append(_row(name, data, lambda x, name=name, given=given: compress(x, name, fallback=True, **given),
                             lambda b, given=given: decompress(b, **given)))
        xz = next(r[1] for r in rows if r[0].startswith("xz"))
        for name, bpb, c_speed, d_speed in rows:
            print(f"{name:28s} {bpb:9.3f} {bpb / xz:6.3f} {c_speed:10,.0f} {d_speed:9,.0f}")
    return 0
