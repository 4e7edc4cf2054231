"""Predictive coding: code the error of a prediction instead of the value itself.

A smooth signal is poorly compressed sample by sample but well once each sample is replaced by
its difference from a prediction made from the samples before it: the residuals cluster near 0,
so their entropy is lower. Both transforms here are exactly invertible on integers, so they cost
nothing in fidelity; the entropy coder then gains from the residuals' peaked distribution.

* :func:`predictive_encode` / :func:`predictive_decode`: the fixed polynomial predictors of
  Shorten and FLAC; order 1 predicts x[n-1] (delta coding), order 2 predicts 2x[n-1] - x[n-2]
  (a straight line through the last two samples), order 3 a parabola. The residual of order k
  is the k-th difference, so decoding is k cumulative sums.
* :func:`png_filter` / :func:`png_unfilter`: the five filters of PNG, which predict a byte of
  an image from its left (a), upper (b) and upper-left (c) neighbours, modulo 256.

References:
    T. Robinson (1994), "SHORTEN: simple lossless and near-lossless waveform compression",
    Cambridge University Engineering Department, CUED/F-INFENG/TR.156.
    W3C (2003), "Portable Network Graphics (PNG) Specification (Second Edition)", sec. 9
    (filtering), and RFC 2083 (1997).
    A. W. Paeth (1991), "Image file compression made easy", Graphics Gems II.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "PNG_FILTERS",
    "delta_decode",
    "delta_encode",
    "png_filter",
    "png_unfilter",
    "predictive_decode",
    "predictive_encode",
]

PNG_FILTERS = ("none", "sub", "up", "average", "paeth")  # index = PNG filter type byte
_MAX_ORDER = 3


def _as_int_signal(x: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integers (got dtype {arr.dtype}); quantise real signals first")
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one axis (samples along the last axis)")
    return arr.astype(np.int64)


def _check_order(order: int) -> int:
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)):
        raise TypeError(f"order must be an int, got {type(order).__name__}")
    if not 0 <= order <= _MAX_ORDER:
        raise ValueError(f"order must be 0, 1, 2 or 3 (the fixed polynomial predictors), got {order}")
    return int(order)


def predictive_encode(x: np.ndarray, order: int = 2) -> np.ndarray:
    """Residuals of the fixed order-``order`` polynomial predictor, along the last axis.

    Samples before the start count as 0, so the first residuals are large; the rest are
    x[n] - x[n-1] (order 1), x[n] - 2x[n-1] + x[n-2] (order 2), and so on.

    Args:
        x: integer array, samples along the last axis.
        order: 0 (no prediction), 1 (delta), 2 (linear) or 3 (quadratic).

    Returns:
        ``int64`` residuals, same shape as ``x``. Arithmetic wraps modulo 2**64, so
        :func:`predictive_decode` inverts it exactly for every int64 input.
    """
    r = _as_int_signal(x, "x")
    for _ in range(_check_order(order)):
        r[..., 1:] = r[..., 1:] - r[..., :-1]  # the right side is a new array
    return r


def predictive_decode(residuals: np.ndarray, order: int = 2) -> np.ndarray:
    """Invert :func:`predictive_encode`: ``order`` cumulative sums along the last axis (``int64``)."""
    x = _as_int_signal(residuals, "residuals")
    for _ in range(_check_order(order)):
        x = np.cumsum(x, axis=-1, dtype=np.int64)
    return x


def delta_encode(x: np.ndarray) -> np.ndarray:
    """Delta coding, ``predictive_encode(x, order=1)``: first sample, then differences."""
    return predictive_encode(x, 1)


def delta_decode(residuals: np.ndarray) -> np.ndarray:
    """Invert :func:`delta_encode` (a cumulative sum)."""
    return predictive_decode(residuals, 1)


def _as_image(image: np.ndarray, name: str) -> tuple[np.ndarray, int]:
    """Return the image as (H, W * C) uint8 rows and the bytes per pixel C."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        raise ValueError(f"{name} must be a uint8 array (got {arr.dtype}); convert with .astype(np.uint8)")
    if arr.ndim == 2:
        return arr, 1
    if arr.ndim == 3 and arr.shape[2] >= 1:
        return arr.reshape(arr.shape[0], -1), arr.shape[2]
    raise ValueError(f"{name} must have shape (H, W) or (H, W, C), got {arr.shape}")


def _paeth(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def png_filter(image: np.ndarray, method: str = "adaptive") -> tuple[np.ndarray, np.ndarray]:
    """Apply PNG filters to an 8-bit image, row by row.

    Args:
        image: ``uint8`` array of shape (H, W) or (H, W, C); neighbours are taken per channel
            (a = same channel of the pixel to the left, b = above, c = above-left; 0 outside).
        method: one of :data:`PNG_FILTERS` for every row, or ``"adaptive"`` to choose for each
            row the filter with the smallest sum of |residual| read as signed bytes (the PNG
            specification's suggested heuristic).

    Returns:
        ``(filtered, filter_types)``: ``uint8`` residuals of the same shape as ``image``
        (``(original - prediction) mod 256``), and the filter type of each row, shape (H,).
    """
    rows, bpp = _as_image(image, "image")
    if method != "adaptive" and method not in PNG_FILTERS:
        raise ValueError(f"method must be 'adaptive' or one of {PNG_FILTERS}, got {method!r}")
    x = rows.astype(np.int16)
    a = np.zeros_like(x)
    a[:, bpp:] = x[:, :-bpp]
    b = np.zeros_like(x)
    b[1:] = x[:-1]
    c = np.zeros_like(x)
    c[1:, bpp:] = x[:-1, :-bpp]
    predictions = np.stack([np.zeros_like(x), a, b, (a + b) // 2, _paeth(a, b, c)])  # (5, H, L)
    residuals = ((x[None] - predictions) & 0xFF).astype(np.uint8)
    if method == "adaptive":
        signed_cost = np.abs(residuals.view(np.int8).astype(np.int64)).sum(axis=2)  # (5, H)
        types = np.argmin(signed_cost, axis=0).astype(np.uint8)  # ties -> lowest type
    else:
        types = np.full(rows.shape[0], PNG_FILTERS.index(method), dtype=np.uint8)
    filtered = residuals[types, np.arange(rows.shape[0])]
    return filtered.reshape(np.shape(image)), types


def png_unfilter(filtered: np.ndarray, filter_types: np.ndarray) -> np.ndarray:
    """Invert :func:`png_filter`: rebuild the image row by row, left to right.

    Args:
        filtered: ``uint8`` residuals, shape (H, W) or (H, W, C).
        filter_types: shape (H,), each 0..4 (an index into :data:`PNG_FILTERS`).

    Returns:
        The original ``uint8`` image, same shape as ``filtered``.
    """
    rows, bpp = _as_image(filtered, "filtered")
    types = np.asarray(filter_types)
    if types.shape != (rows.shape[0],) or not np.issubdtype(types.dtype, np.integer):
        raise ValueError(f"filter_types must be integers of shape ({rows.shape[0]},), one per row; got {types.shape}")
    if types.size and (types.min() < 0 or types.max() > 4):
        raise ValueError("filter_types must be in 0..4 (none, sub, up, average, paeth)")
    height, length = rows.shape
    out = np.zeros((height, length), dtype=np.uint8)
    prev = [0] * length
    for y in range(height):
        f = rows[y].tolist()
        t = int(types[y])
        if t == 0:
            row = f
        elif t == 2:
            row = [(v + u) & 0xFF for v, u in zip(f, prev)]
        elif t == 1:
            row = f[:]
            for i in range(bpp, length):
                row[i] = (row[i] + row[i - bpp]) & 0xFF
        else:
            row = [0] * length
            for i in range(length):
                a = row[i - bpp] if i >= bpp else 0
                b = prev[i]
                if t == 3:
                    pred = (a + b) >> 1
                else:
                    c = prev[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                row[i] = (f[i] + pred) & 0xFF
        out[y] = row
        prev = row
    return out.reshape(np.shape(filtered))
