"""The classical compressors of the standard library, as baselines measured in bits per byte.

* ``"zlib -9"``: DEFLATE = LZ77 + Huffman (Ziv & Lempel 1977; Deutsch 1996), as in gzip -9.
* ``"bz2 -9"``: the Burrows-Wheeler transform + move-to-front + Huffman, 900 KB blocks.
* ``"xz -9e"``: LZMA2 (LZ77 with a large window + an adaptive binary range coder),
  preset 9 with ``PRESET_EXTREME``.

zstd and brotli are not in the standard library and are left out. Every measurement checks
that the compressor round-trips the data before reporting its size.

References:
    J. Ziv and A. Lempel (1977), "A universal algorithm for sequential data compression",
    IEEE Transactions on Information Theory 23(3).
    M. Burrows and D. J. Wheeler (1994), "A block-sorting lossless data compression
    algorithm", SRC Research Report 124.
    P. Deutsch (1996), RFC 1951 "DEFLATE compressed data format specification version 1.3".
"""

from __future__ import annotations

import bz2
import lzma
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["STDLIB_COMPRESSORS", "CompressionResult", "baseline_results", "measure_compressor"]

# name -> (compress, decompress), both bytes -> bytes
STDLIB_COMPRESSORS: dict[str, tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]] = {
    "zlib -9": (lambda d: zlib.compress(d, 9), zlib.decompress),
    "bz2 -9": (lambda d: bz2.compress(d, 9), bz2.decompress),
    "xz -9e": (lambda d: lzma.compress(d, preset=9 | lzma.PRESET_EXTREME), lzma.decompress),
}


@dataclass(frozen=True, kw_only=True)
class CompressionResult:
    """How well one compressor did on one input."""

    name: str  # compressor, e.g. "zlib -9"
    n_bytes: int  # length of the input, bytes
    n_compressed_bytes: int  # length of the output, bytes (headers included)
    bits_per_byte: float  # 8 * n_compressed_bytes / n_bytes; nan for empty input


def measure_compressor(
    name: str,
    compress: Callable[[bytes], bytes],
    decompress: Callable[[bytes], bytes],
    data: bytes,
) -> CompressionResult:
    """Compress ``data``, check that it decompresses to ``data`` again, and report the size.

    Raises:
        TypeError: if ``data`` is not bytes-like.
        ValueError: if the compressor does not give back the original bytes.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    data = bytes(data)
    blob = compress(data)
    if decompress(blob) != data:
        raise ValueError(f"compressor {name!r} did not round-trip the data; its output cannot be trusted")
    bpb = 8 * len(blob) / len(data) if data else math.nan
    return CompressionResult(name=name, n_bytes=len(data), n_compressed_bytes=len(blob), bits_per_byte=bpb)


def baseline_results(data: bytes) -> list[CompressionResult]:
    """Measure every compressor of :data:`STDLIB_COMPRESSORS` on ``data``, in that order."""
    return [measure_compressor(name, c, d, data) for name, (c, d) in STDLIB_COMPRESSORS.items()]
