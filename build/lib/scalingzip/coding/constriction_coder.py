"""Fast exact entropy coding through the ``constriction`` library (Rust), for long messages.

The package's own :class:`~scalingzip.coding.arithmetic.ArithmeticEncoder` is written to be
read; where a chapter codes millions of symbols with a different distribution for each (the
language-model compressor), this thin wrapper hands the work to constriction's range coder
(``constriction.stream.queue.RangeEncoder``), which quantises each distribution with
``Categorical(perfect=False)`` to 24-bit fixed point and codes it exactly. Streams are sequences
of 32-bit words, returned here as little-endian bytes.

A stream written here can only be read here (constriction's quantisation and word layout differ
from the package coder's), and the decoder must be given the same probabilities bit for bit.

References:
    R. Bamler (2022), "Understanding entropy coding with asymmetric numeral systems (ANS): a
    statistician's perspective", arXiv:2201.01741 (constriction's design).
    G. N. N. Martin (1979), "Range encoding: an algorithm for removing redundancy from a
    digitised message".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["constriction_decode", "constriction_encode"]


def _import_constriction():
    try:
        import constriction
    except ImportError:
        raise ImportError("constriction is needed here; install the course's requirements "
                          "(pip install constriction==0.5.0)") from None
    return constriction


def _check_probabilities(probabilities: np.ndarray | Sequence, n: int | None) -> np.ndarray:
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim not in (1, 2) or p.shape[-1] == 0:
        raise ValueError(f"probabilities must have shape (K,) or (n, K) with K >= 1, got {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError("probabilities must be finite and >= 0")
    if np.any(p.sum(axis=-1) <= 0):
        raise ValueError("every probability vector needs a positive sum")
    if p.ndim == 2 and n is not None and p.shape[0] != n:
        raise ValueError(f"probabilities has {p.shape[0]} rows but there are {n} symbols; give one row per symbol")
    return p


def constriction_encode(symbols: Sequence[int] | np.ndarray | bytes, probabilities: np.ndarray | Sequence) -> bytes:
    """Range-code ``symbols`` with constriction.

    Args:
        symbols: shape (n,), integers in ``[0, K)`` (``bytes`` work as symbols 0..255).
        probabilities: shape (K,) for one distribution shared by every symbol, or (n, K) for
            one row per symbol. Rows need not be normalised; every symbol in ``[0, K)`` gets
            at least the smallest representable probability, so all are codable.

    Returns:
        The stream as bytes (a whole number of 32-bit little-endian words).
    """
    constriction = _import_constriction()
    if isinstance(symbols, (bytes, bytearray)):
        syms = np.frombuffer(bytes(symbols), dtype=np.uint8).astype(np.int32)
    else:
        syms = np.asarray(symbols)
        if syms.size and (syms.ndim != 1 or not np.issubdtype(syms.dtype, np.integer)):
            raise ValueError(f"symbols must be a 1-D array of ints, got dtype {syms.dtype} shape {syms.shape}")
        syms = syms.astype(np.int32).reshape(-1)
    p = _check_probabilities(probabilities, syms.size)
    k = p.shape[-1]
    if syms.size and (syms.min() < 0 or syms.max() >= k):
        raise ValueError(f"symbols must lie in 0..{k - 1} (one column of probabilities per symbol value)")
    encoder = constriction.stream.queue.RangeEncoder()
    if syms.size:
        if p.ndim == 1:
            encoder.encode(syms, constriction.stream.model.Categorical(p, perfect=False))
        else:
            encoder.encode(syms, constriction.stream.model.Categorical(perfect=False), p)
    return encoder.get_compressed().astype("<u4").tobytes()


def constriction_decode(data: bytes, probabilities: np.ndarray | Sequence, n: int | None = None) -> np.ndarray:
    """Decode a stream from :func:`constriction_encode` given the same probabilities.

    Args:
        data: the bytes returned by :func:`constriction_encode`.
        probabilities: exactly what the encoder was given: (K,) or (n, K).
        n: number of symbols; required for a (K,) table, implied by the rows of an (n, K) one.

    Returns:
        ``int32`` array of shape (n,).
    """
    constriction = _import_constriction()
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data must be bytes from constriction_encode, got {type(data).__name__}")
    if len(data) % 4:
        raise ValueError(f"data has {len(data)} bytes, not a whole number of 32-bit words; it is truncated")
    p = _check_probabilities(probabilities, n)
    if p.ndim == 1 and n is None:
        raise ValueError("pass n (the number of symbols) when every symbol shares one probability vector")
    count = int(n) if n is not None else p.shape[0]
    if count < 0:
        raise ValueError(f"n must be >= 0, got {count}")
    words = np.frombuffer(bytes(data), dtype="<u4").astype(np.uint32)
    if count == 0:
        return np.zeros(0, dtype=np.int32)
    decoder = constriction.stream.queue.RangeDecoder(words)
    if p.ndim == 1:
        out = decoder.decode(constriction.stream.model.Categorical(p, perfect=False), count)
    else:
        out = decoder.decode(constriction.stream.model.Categorical(perfect=False), p)
    return np.asarray(out, dtype=np.int32)
