"""Transform coding: change basis so the energy gathers in few coefficients, then quantise.

* :func:`dct` / :func:`idct` and the blockwise :func:`block_dct2` / :func:`block_idct2`: the
  orthonormal DCT-II (as in JPEG's 8x8 blocks). Orthonormal means energy (sum of squares) and
  squared error are the same in both domains; :func:`energy_compaction` measures how much of
  the energy the k largest coefficients hold.
* :func:`s_transform` / :func:`inverse_s_transform`: the integer Haar transform by lifting
  (the S-transform), which maps integers to integers and is exactly invertible, so it can sit
  inside a lossless coder.
* :func:`quantize` / :func:`dequantize`: uniform scalar quantisation, the step that makes
  transform coding lossy; each value moves by at most ``step / 2``.

References:
    N. Ahmed, T. Natarajan and K. R. Rao (1974), "Discrete cosine transform", IEEE
    Transactions on Computers C-23(1).
    G. K. Wallace (1991), "The JPEG still picture compression standard", Communications of
    the ACM 34(4).
    A. R. Calderbank, I. Daubechies, W. Sweldens and B.-L. Yeo (1998), "Wavelet transforms
    that map integers to integers", Applied and Computational Harmonic Analysis 5(3).
    W. Sweldens (1996), "The lifting scheme", Applied and Computational Harmonic Analysis 3(2).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft

__all__ = [
    "block_dct2",
    "block_idct2",
    "dct",
    "dequantize",
    "energy_compaction",
    "idct",
    "inverse_s_transform",
    "quantize",
    "s_transform",
]


def _as_float(x: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity")
    return arr


def dct(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Orthonormal DCT-II along ``axis`` (``scipy.fft.dct(x, type=2, norm="ortho")``)."""
    return scipy.fft.dct(_as_float(x, "x"), type=2, norm="ortho", axis=axis)


def idct(coefficients: np.ndarray, axis: int = -1) -> np.ndarray:
    """Inverse of :func:`dct` (the orthonormal DCT-III)."""
    return scipy.fft.idct(_as_float(coefficients, "coefficients"), type=2, norm="ortho", axis=axis)


def _check_block(block: int) -> int:
    if isinstance(block, bool) or not isinstance(block, (int, np.integer)) or block < 1:
        raise ValueError(f"block must be a positive int (e.g. 8), got {block!r}")
    return int(block)


def block_dct2(image: np.ndarray, block: int = 8) -> np.ndarray:
    """2-D orthonormal DCT-II of each ``block`` x ``block`` tile of an image.

    Args:
        image: shape (H, W), H and W multiples of ``block`` (crop or pad first).
        block: tile side in pixels.

    Returns:
        ``float64`` array of shape (H // block, W // block, block, block): tile (i, j)'s
        coefficients, [0, 0] the DC term (block times the tile's mean).
    """
    x = _as_float(image, "image")
    b = _check_block(block)
    if x.ndim != 2 or x.shape[0] % b or x.shape[1] % b:
        raise ValueError(f"image must be 2-D with sides that are multiples of {b}, got shape {x.shape}; crop or pad it")
    tiles = x.reshape(x.shape[0] // b, b, x.shape[1] // b, b).transpose(0, 2, 1, 3)
    return scipy.fft.dctn(tiles, type=2, norm="ortho", axes=(2, 3))


def block_idct2(coefficients: np.ndarray) -> np.ndarray:
    """Inverse of :func:`block_dct2`: shape (H // b, W // b, b, b) back to an (H, W) image."""
    c = _as_float(coefficients, "coefficients")
    if c.ndim != 4 or c.shape[2] != c.shape[3]:
        raise ValueError(f"coefficients must have shape (rows, cols, b, b) as from block_dct2, got {c.shape}")
    tiles = scipy.fft.idctn(c, type=2, norm="ortho", axes=(2, 3))
    n_r, n_c, b, _ = c.shape
    return tiles.transpose(0, 2, 1, 3).reshape(n_r * b, n_c * b)


def energy_compaction(coefficients: np.ndarray, k: int) -> float:
    """Fraction of the total energy (sum of squares) held by the ``k`` largest coefficients.

    Args:
        coefficients: any shape; all entries are ranked together (pass one block to rank
            within a block).
        k: how many coefficients to keep, 0..size.

    Returns:
        A number in [0, 1]; 1.0 for an all-zero input.
    """
    c = _as_float(coefficients, "coefficients").ravel()
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= c.size:
        raise ValueError(f"k must be an int between 0 and the number of coefficients ({c.size}), got {k!r}")
    energy = np.sort(c * c)[::-1]
    total = float(energy.sum())
    if total == 0.0:
        return 1.0
    return float(energy[: int(k)].sum() / total)


def _as_int64(x: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integers (got dtype {arr.dtype}); the S-transform maps integers to integers")
    return arr.astype(np.int64)


def _check_levels(levels: int, length: int) -> int:
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 0:
        raise ValueError(f"levels must be a non-negative int, got {levels!r}")
    if length % (1 << int(levels)):
        raise ValueError(f"the last axis has length {length}, which is not a multiple of 2**levels = {1 << int(levels)}; pad it")
    return int(levels)


def s_transform(x: np.ndarray, levels: int = 1) -> np.ndarray:
    """Integer Haar transform by lifting, along the last axis, ``levels`` times.

    One level maps each pair (x0, x1) to a detail h = x0 - x1 and a smooth part
    l = x1 + floor(h / 2) = floor((x0 + x1) / 2). The output holds the smooth parts in the
    first half and the details in the second; each further level transforms the first half.

    Args:
        x: integer array whose last axis is a multiple of ``2**levels`` long.
        levels: number of levels (0 returns a copy).

    Returns:
        ``int64`` array of the same shape. Arithmetic wraps modulo 2**64, and lifting steps
        are undone exactly whatever the rounding, so :func:`inverse_s_transform` is exact.
    """
    y = _as_int64(x, "x")
    n = y.shape[-1] if y.ndim else 0
    levels = _check_levels(levels, n)
    for _ in range(levels):
        x0, x1 = y[..., 0:n:2].copy(), y[..., 1:n:2].copy()
        h = x0 - x1  # predict step: the detail
        low = x1 + (h >> 1)  # update step: >> is floor division by 2 for int64
        y[..., : n // 2], y[..., n // 2 : n] = low, h
        n //= 2
    return y


def inverse_s_transform(y: np.ndarray, levels: int = 1) -> np.ndarray:
    """Invert :func:`s_transform` with the same ``levels`` (``int64``)."""
    x = _as_int64(y, "y")
    total = x.shape[-1] if x.ndim else 0
    levels = _check_levels(levels, total)
    for level in range(levels - 1, -1, -1):
        n = total >> level
        low, h = x[..., : n // 2].copy(), x[..., n // 2 : n].copy()
        x1 = low - (h >> 1)  # undo the update
        x0 = h + x1  # undo the predict
        x[..., 0:n:2], x[..., 1:n:2] = x0, x1
    return x


def _check_step(step: float) -> float:
    if isinstance(step, bool) or not isinstance(step, (int, float, np.integer, np.floating)):
        raise TypeError(f"step must be a number, got {type(step).__name__}")
    if not math.isfinite(step) or step <= 0:
        raise ValueError(f"step must be a finite number > 0, got {step!r}")
    return float(step)


def quantize(x: np.ndarray, step: float) -> np.ndarray:
    """Uniform scalar quantisation: the index ``round(x / step)`` (ties to even), as ``int64``.

    This is where information is thrown away: ``dequantize(quantize(x, step), step)`` differs
    from ``x`` by at most ``step / 2`` per value (plus float rounding).
    """
    s = _check_step(step)
    q = np.rint(_as_float(x, "x") / s)
    if q.size and np.abs(q).max() >= 2.0**62:
        raise ValueError(f"x / step reaches {np.abs(q).max():.3g}, too large for int64 indices; use a larger step")
    return q.astype(np.int64)


def dequantize(q: np.ndarray, step: float) -> np.ndarray:
    """Reconstruction of :func:`quantize`: ``q * step`` as ``float64``."""
    s = _check_step(step)
    arr = np.asarray(q)
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"q must hold integer indices from quantize, got dtype {arr.dtype}")
    return arr.astype(np.float64) * s
