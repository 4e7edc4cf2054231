"""Information measures of discrete distributions, in bits.

The entropy H(p) is the least average code length, in bits per symbol, that any lossless code
can reach for symbols drawn from p; the cross-entropy H(p, q) is what a code designed for q
costs on data from p, and the Kullback-Leibler divergence KL(p || q) = H(p, q) - H(p) is the
excess paid for using the wrong model.

References:
    C. E. Shannon (1948), "A mathematical theory of communication", Bell System Technical
    Journal 27.
    T. M. Cover and J. A. Thomas (2006), "Elements of Information Theory", 2nd ed., ch. 2 and 5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "PROBABILITY_ATOL",
    "as_probability_vector",
    "bits_per_byte",
    "cross_entropy_bits",
    "entropy_bits",
    "kl_bits",
]

# How far the sum of a probability vector may stray from 1 (absolute), to allow for the
# rounding of float32 softmax outputs.
PROBABILITY_ATOL = 1e-6


def as_probability_vector(p: Sequence[float] | np.ndarray, name: str = "p") -> np.ndarray:
    """Check that ``p`` is a probability vector and return it as a float64 array.

    Args:
        p: one-dimensional, non-empty, finite, non-negative, summing to 1 within
            :data:`PROBABILITY_ATOL`.
        name: how error messages refer to the argument.

    Returns:
        ``p`` as a new 1-D ``float64`` array (not renormalised).

    Raises:
        ValueError: if any of the conditions above fails; the message says which.
    """
    try:
        arr = np.array(p, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a 1-D sequence of numbers, got {type(p).__name__}") from err
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D probability vector, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity; pass finite probabilities")
    if np.any(arr < 0):
        raise ValueError(f"{name} has negative entries (min {arr.min():g}); probabilities are >= 0")
    total = float(arr.sum())
    if abs(total - 1.0) > PROBABILITY_ATOL:
        raise ValueError(
            f"{name} sums to {total!r}, not 1; divide by its sum first (p / p.sum())"
        )
    return arr


def _pair(p, q) -> tuple[np.ndarray, np.ndarray]:
    p_arr = as_probability_vector(p, "p")
    q_arr = as_probability_vector(q, "q")
    if p_arr.shape != q_arr.shape:
        raise ValueError(
            f"p and q must have the same length (one entry per symbol), got {p_arr.size} and {q_arr.size}"
        )
    return p_arr, q_arr


def entropy_bits(p: Sequence[float] | np.ndarray) -> float:
    """Shannon entropy H(p) = -sum p log2 p, in bits per symbol (with 0 log 0 = 0)."""
    arr = as_probability_vector(p)
    nz = arr[arr > 0]
    return float(-(nz * np.log2(nz)).sum())


def cross_entropy_bits(p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray) -> float:
    """Cross-entropy H(p, q) = -sum p log2 q, in bits per symbol.

    This is the average code length of an ideal code built for ``q`` on symbols drawn from
    ``p``. Terms with p = 0 contribute 0; it is ``inf`` if some symbol has q = 0 < p (that
    symbol cannot be coded at all).
    """
    p_arr, q_arr = _pair(p, q)
    mask = p_arr > 0
    if np.any(q_arr[mask] == 0):
        return math.inf
    return float(-(p_arr[mask] * np.log2(q_arr[mask])).sum())


def kl_bits(p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray) -> float:
    """Kullback-Leibler divergence KL(p || q) = sum p log2(p / q), in bits per symbol.

    Always >= 0 (Gibbs' inequality), 0 exactly when p = q, and ``inf`` where q = 0 < p.
    """
    p_arr, q_arr = _pair(p, q)
    mask = p_arr > 0
    if np.any(q_arr[mask] == 0):
        return math.inf
    value = float((p_arr[mask] * (np.log2(p_arr[mask]) - np.log2(q_arr[mask]))).sum())
    return max(value, 0.0)  # rounding can give -1e-17 for p == q


def bits_per_byte(n_bits: float, n_bytes: int) -> float:
    """Code length per byte of input: ``n_bits / n_bytes`` (8.0 means no compression).

    Args:
        n_bits: total code length in bits (for a file, ``8 * len(compressed)``).
        n_bytes: length of the original data in bytes; must be positive.
    """
    if isinstance(n_bytes, bool) or not isinstance(n_bytes, (int, np.integer)):
        raise TypeError(f"n_bytes must be an int, got {type(n_bytes).__name__}")
    if n_bytes <= 0:
        raise ValueError(f"n_bytes must be positive to define bits per byte, got {n_bytes}")
    if not math.isfinite(n_bits) or n_bits < 0:
        raise ValueError(f"n_bits must be a finite number >= 0, got {n_bits!r}")
    return float(n_bits) / int(n_bytes)
