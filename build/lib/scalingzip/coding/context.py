"""A classical image coder: predict each pixel, pick a context, code the residual adaptively.

The median edge detector of LOCO-I / JPEG-LS (:func:`med_predict`) predicts each pixel from its
west, north and north-west neighbours; the local activity around it picks one of 8 contexts, and
the residual ``(x - prediction) mod levels`` is coded with the course's adaptive arithmetic coder
(:class:`~scalingzip.coding.adaptive.AdaptiveModel`), one model per context. Nothing is learned in
advance: the baseline that the learned pixel models of :mod:`scalingzip.nn.pixel_model` must beat.

References:
    M. J. Weinberger, G. Seroussi and G. Sapiro (2000), "The LOCO-I lossless image compression
    algorithm: principles and standardization into JPEG-LS", IEEE Transactions on Image
    Processing 9(8).
"""

from __future__ import annotations

import bisect

import numpy as np

from .adaptive import AdaptiveModel
from .arithmetic import ArithmeticDecoder, ArithmeticEncoder

__all__ = ["ACTIVITY_THRESHOLDS", "check_images", "context_decode", "context_encode", "med_predict"]


def check_images(images: np.ndarray, levels: int) -> np.ndarray:
    """``images`` as int64, checked to be an integer array ``(n, height, width)`` with values in ``0..levels-1``."""
    a = np.asarray(images)
    if a.ndim != 3 or not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"images must be an integer array of shape (n, height, width); got {a.dtype} {a.shape}")
    if a.size and (a.min() < 0 or a.max() >= levels):
        raise ValueError(f"pixel values must lie in 0..{levels - 1}; got {a.min()}..{a.max()}")
    return a.astype(np.int64)


ACTIVITY_THRESHOLDS = (0, 1, 3, 7, 15, 31, 63)  # local activity bins (8 contexts), as fractions of 255


def med_predict(w: int, n: int, nw: int) -> int:
    """The median edge detector of LOCO-I / JPEG-LS: the west or north neighbour at an edge, else
    the plane through the three neighbours (``w + n - nw``)."""
    if nw >= max(w, n):
        return min(w, n)
    if nw <= min(w, n):
        return max(w, n)
    return w + n - nw


def _thresholds(levels: int) -> list[int]:
    return [round(t * (levels - 1) / 255) for t in ACTIVITY_THRESHOLDS]


def _walk_context_coder(images: np.ndarray, levels: int, code) -> None:
    """Visit every pixel of every image in raster order; ``code(i, r, c, pred, ctx)`` codes it.

    Neighbours outside the image count as 0 (NE beyond the last column: the north pixel). The
    context is the bin of the local activity ``|w - nw| + |nw - n| + |n - ne|``.
    """
    thresholds = _thresholds(levels)
    n_img, H, W = images.shape
    for i in range(n_img):
        img = images[i]
        for r in range(H):
            above = img[r - 1] if r else None
            row = img[r]
            for c in range(W):
                w = int(row[c - 1]) if c else 0
                if above is None:
                    n = nw = ne = 0
                else:
                    n = int(above[c])
                    nw = int(above[c - 1]) if c else 0
                    ne = int(above[c + 1]) if c + 1 < W else n
                activity = abs(w - nw) + abs(nw - n) + abs(n - ne)
                ctx = bisect.bisect_right(thresholds, activity) - 1 if activity else 0
                code(i, r, c, med_predict(w, n, nw), ctx)


def context_encode(images: np.ndarray, levels: int) -> bytes:
    """Code images with MED prediction, 8 activity contexts and an adaptive arithmetic coder per
    context (the course's coder, :class:`~scalingzip.coding.adaptive.AdaptiveModel`): a LOCO-I-like
    classical image coder, with nothing learned in advance. The residual ``(x - pred) mod levels``
    is the symbol. Decode with :func:`context_decode`."""
    a = check_images(images, levels)
    models = [AdaptiveModel(levels) for _ in ACTIVITY_THRESHOLDS]
    encoder = ArithmeticEncoder()

    def code(i: int, r: int, c: int, pred: int, ctx: int) -> None:
        models[ctx].encode((int(a[i, r, c]) - pred) % levels, encoder)

    _walk_context_coder(a, levels, code)
    return encoder.finish()


def context_decode(stream: bytes, shape: tuple[int, int, int], levels: int) -> np.ndarray:
    """Decode ``shape = (n, height, width)`` images coded by :func:`context_encode`.

    Raises:
        ValueError: for a stream that is corrupt, truncated or has trailing bytes.
    """
    if len(shape) != 3 or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0 for s in shape):
        raise ValueError(f"shape must be (n, height, width) of non-negative ints; got {shape!r}")
    if not isinstance(levels, int) or levels < 2:
        raise ValueError(f"levels must be an int >= 2; got {levels!r}")
    out = np.zeros(tuple(int(s) for s in shape), dtype=np.int64)
    models = [AdaptiveModel(levels) for _ in ACTIVITY_THRESHOLDS]
    decoder = ArithmeticDecoder(stream)

    def code(i: int, r: int, c: int, pred: int, ctx: int) -> None:
        out[i, r, c] = (models[ctx].decode(decoder) + pred) % levels

    _walk_context_coder(out, levels, code)
    decoder.finish()
    return out
