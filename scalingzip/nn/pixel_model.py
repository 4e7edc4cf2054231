"""Autoregressive pixel models, and images coded exactly with them.

An image is coded pixel by pixel in raster order. For each pixel a model reads its *causal
neighbourhood* (the pixels above it and to its left, already known to the decoder) and outputs a
distribution over the pixel's grey levels; an arithmetic coder spends -log2 p(pixel) bits on it.
This is the language-model compressor of chapter 3 with pixels for bytes, and the same scaling
question applies: how the code length falls as the model grows.

:class:`PixelModel` is a small multilayer perceptron on the neighbourhood values, an "outside the
image" flag for each neighbour, and the pixel's row and column (one-hot): ``hidden=0`` is a
linear softmax model, larger ``hidden`` widths and more layers give larger models.

Coding is exact by construction: :func:`encode_images` and :func:`decode_images` run one loop,
over pixel positions, with the whole batch of images at each position; the decoder computes each
position's features from pixels it has already decoded, which equal the encoder's by induction,
in the same batch shape, so the model's floats are the same bit for bit (on one machine, with one
thread; see :mod:`scalingzip.compressors.lm` for why that matters). The probabilities go to constriction's
range coder (:mod:`scalingzip.coding.constriction_coder`).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from scalingzip.compressors.lm import _one_thread  # the coder's floats must not depend on the thread count
from scalingzip.compressors.lm import weights_checksum

__all__ = [
    "PixelModel",
    "PixelModelConfig",
    "causal_offsets",
    "compress_images",
    "context_decode",
    "context_encode",
    "decode_images",
    "decompress_images",
    "encode_images",
    "image_code_length_bits",
    "med_predict",
    "model_checksum",
    "neighbourhood_features",
    "train_pixel_model",
]

LN2 = math.log(2.0)


def causal_offsets(radius: int) -> list[tuple[int, int]]:
    """The (dy, dx) offsets of a pixel's causal neighbourhood of radius ``radius``, raster order.

    Rows above: dy in [-radius, -1], dx in [-radius, radius]; the current row: dx in [-radius, -1].
    """
    if not isinstance(radius, int) or radius < 1:
        raise ValueError(f"radius must be a positive integer; got {radius!r}")
    above = [(dy, dx) for dy in range(-radius, 0) for dx in range(-radius, radius + 1)]
    return above + [(0, dx) for dx in range(-radius, 0)]


def _check_images(images: np.ndarray, levels: int) -> np.ndarray:
    a = np.asarray(images)
    if a.ndim != 3 or not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"images must be an integer array of shape (n, height, width); got {a.dtype} {a.shape}")
    if a.size and (a.min() < 0 or a.max() >= levels):
        raise ValueError(f"pixel values must lie in 0..{levels - 1}; got {a.min()}..{a.max()}")
    return a.astype(np.int64)


def neighbourhood_features(images: np.ndarray, levels: int, radius: int,
                           positions: np.ndarray | None = None) -> torch.Tensor:
    """Features of every pixel (or of the pixels at ``positions``, raster indices) of every image.

    For each neighbour: its value scaled to [0, 1] (0 outside the image) and a flag that is 1
    outside the image; then the one-hot row and column of the pixel. Only pixels before the
    current one in raster order are read, so the decoder can compute the same features.

    Returns:
        ``(n, n_positions, n_features)`` float32 tensor.
    """
    a = _check_images(images, levels)
    n, H, W = a.shape
    offsets = causal_offsets(radius)
    pos = np.arange(H * W) if positions is None else np.asarray(positions)
    rows, cols = pos // W, pos % W
    values, outside = [], []
    for dy, dx in offsets:
        r, c = rows + dy, cols + dx
        inside = (r >= 0) & (c >= 0) & (c < W)
        v = np.zeros((n, len(pos)))
        v[:, inside] = a[:, r[inside], c[inside]] / (levels - 1)
        values.append(v)
        outside.append(np.broadcast_to(~inside, (n, len(pos))).astype(np.float64))
    onehot = np.concatenate([np.eye(H)[rows], np.eye(W)[cols]], axis=1)  # (positions, H + W)
    feats = np.concatenate([np.stack(values, -1), np.stack(outside, -1),
                            np.broadcast_to(onehot, (n, len(pos), H + W))], axis=-1)
    return torch.from_numpy(feats.astype(np.float32))


@dataclass(frozen=True, kw_only=True)
class PixelModelConfig:
    """Shape of a :class:`PixelModel`."""

    levels: int  # grey levels (symbols per pixel)
    height: int
    width: int
    radius: int = 2  # causal neighbourhood radius
    hidden: int = 32  # width of the hidden layers; 0: a linear softmax model
    layers: int = 1  # hidden layers (ignored when hidden == 0)

    def __post_init__(self) -> None:
        for name in ("levels", "height", "width", "radius", "layers"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer; got {getattr(self, name)!r}")
        if self.levels < 2:
            raise ValueError(f"levels must be at least 2; got {self.levels}")
        if not isinstance(self.hidden, int) or self.hidden < 0:
            raise ValueError(f"hidden must be a non-negative integer; got {self.hidden!r}")

    @property
    def n_features(self) -> int:
        return 2 * len(causal_offsets(self.radius)) + self.height + self.width


class PixelModel(nn.Module):
    """p(pixel | causal neighbourhood): an MLP from :func:`neighbourhood_features` to logits."""

    def __init__(self, config: PixelModelConfig, *, seed: int = 0) -> None:
        super().__init__()
        self.config = config
        generator_state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        try:
            dims = [config.n_features] + ([config.hidden] * config.layers if config.hidden else [])
            layers: list[nn.Module] = []
            for d_in, d_out in zip(dims[:-1], dims[1:]):
                layers += [nn.Linear(d_in, d_out), nn.GELU()]
            layers.append(nn.Linear(dims[-1], config.levels))
            self.net = nn.Sequential(*layers)
        finally:
            torch.random.set_rng_state(generator_state)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features)

    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())


def train_pixel_model(model: PixelModel, images: np.ndarray, *, steps: int = 300, lr: float = 1e-2,
                      batch_size: int = 64, seed: int = 0) -> np.ndarray:
    """Train by maximum likelihood on every pixel of ``images``; return the loss (bits/pixel) per step."""
    if steps < 1 or batch_size < 1 or not lr > 0:
        raise ValueError("steps and batch_size must be >= 1 and lr positive")
    c = model.config
    a = _check_images(images, c.levels)
    if a.shape[1:] != (c.height, c.width):
        raise ValueError(f"images are {a.shape[1:]}, the model expects {(c.height, c.width)}")
    feats = neighbourhood_features(a, c.levels, c.radius)  # (n, HW, F)
    targets = torch.from_numpy(a.reshape(len(a), -1))
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = np.empty(steps)
    model.train()
    for step in range(steps):
        idx = torch.randint(0, len(a), (batch_size,), generator=g)
        logits = model(feats[idx])
        loss = F.cross_entropy(logits.reshape(-1, c.levels), targets[idx].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses[step] = loss.item() / LN2
    model.eval()
    return losses


@torch.no_grad()
def _probabilities(model: PixelModel, images: np.ndarray, position: int) -> np.ndarray:
    c = model.config
    feats = neighbourhood_features(images, c.levels, c.radius, positions=np.array([position]))
    return torch.softmax(model(feats[:, 0]).double(), dim=-1).numpy()  # (n, levels)


@torch.no_grad()
def image_code_length_bits(model: PixelModel, images: np.ndarray) -> float:
    """Ideal code length of ``images`` under the model, in bits (what the coder achieves, +~32 bits)."""
    c = model.config
    a = _check_images(images, c.levels)
    logp = torch.log_softmax(model(neighbourhood_features(a, c.levels, c.radius)).double(), dim=-1)
    picked = logp.gather(-1, torch.from_numpy(a.reshape(len(a), -1, 1)))
    return float(-picked.sum() / LN2)


def encode_images(model: PixelModel, images: np.ndarray) -> bytes:
    """Code a batch of images exactly; returns constriction's stream as bytes."""
    import constriction

    c = model.config
    a = _check_images(images, c.levels)
    if a.shape[1:] != (c.height, c.width):
        raise ValueError(f"images are {a.shape[1:]}, the model expects {(c.height, c.width)}")
    encoder = constriction.stream.queue.RangeEncoder()
    family = constriction.stream.model.Categorical(perfect=False)
    flat = a.reshape(len(a), -1)
    model.eval()
    with _one_thread():
        for t in range(c.height * c.width):
            encoder.encode(flat[:, t].astype(np.int32), family, _probabilities(model, a, t))
    return encoder.get_compressed().astype("<u4").tobytes()


def decode_images(model: PixelModel, stream: bytes, n: int) -> np.ndarray:
    """Decode ``n`` images coded by :func:`encode_images` with the same model.

    Raises:
        ValueError: for a stream that is not whole 32-bit words, runs out, or has words left over.
    """
    import constriction

    c = model.config
    if not isinstance(stream, (bytes, bytearray)) or len(stream) % 4:
        raise ValueError("stream must be bytes of whole 32-bit words: it is truncated or corrupt")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative int; got {n!r}")
    out = np.zeros((int(n), c.height, c.width), dtype=np.int64)
    decoder = constriction.stream.queue.RangeDecoder(np.frombuffer(bytes(stream), dtype="<u4").astype(np.uint32))
    family = constriction.stream.model.Categorical(perfect=False)
    model.eval()
    try:
        with _one_thread():
            for t in range(c.height * c.width):
                symbols = decoder.decode(family, _probabilities(model, out, t))
                out[:, t // c.width, t % c.width] = symbols
    except (ValueError, AssertionError, RuntimeError) as err:
        raise ValueError(f"stream is truncated or corrupt: the range decoder failed ({err})") from None
    if not decoder.maybe_exhausted():
        raise ValueError("stream has words left after the last pixel: it is corrupt or has trailing data")
    return out


# --- the container: images coded by a pixel model, with checksums ------------------------------

def model_checksum(model: PixelModel) -> str:
    """SHA-256 (hex) of the model's shape and every parameter's bytes, in a fixed order."""
    if not isinstance(model, PixelModel):
        raise TypeError(f"model must be a PixelModel; got {type(model).__name__}")
    return weights_checksum(model)


_SHAPE_FIELDS = ("levels", "height", "width", "radius", "hidden", "layers")


def compress_images(model: PixelModel, images: np.ndarray) -> bytes:
    """Code ``images`` with ``model`` into the ``SZIP`` container (model name ``"pixels"``).

    The header stores the model's shape and the first 64 bits of :func:`model_checksum` (the
    weights themselves are not stored), the number of pixels and the CRC-32 of the images as
    uint8 bytes in raster order, so :func:`decompress_images` refuses another model and detects
    a damaged payload instead of returning wrong pixels.
    """
    from scalingzip.coding import container

    if not isinstance(model, PixelModel):
        raise TypeError(f"model must be a PixelModel; got {type(model).__name__}")
    c = model.config
    if c.levels > 256:
        raise ValueError(f"the container stores pixels as bytes: at most 256 levels, the model has {c.levels}")
    a = _check_images(images, c.levels)
    if a.shape[1:] != (c.height, c.width):
        raise ValueError(f"images are {a.shape[1:]}, the model expects {(c.height, c.width)}")
    digest = model_checksum(model)
    params = {**{k: getattr(c, k) for k in _SHAPE_FIELDS},
              "model_sha_hi": int(digest[:8], 16), "model_sha_lo": int(digest[8:16], 16)}
    return container.pack("pixels", params, a.astype(np.uint8).tobytes(), encode_images(model, a))


def decompress_images(blob: bytes, model: PixelModel) -> np.ndarray:
    """Invert :func:`compress_images` with the model the images were coded with.

    Raises:
        ValueError: for a blob of another format or model, a model of another shape or with other
            weights, or a damaged blob (the container's checks, the range decoder's, and the
            CRC-32 of the decoded pixels).
    """
    from scalingzip.coding import container

    if not isinstance(model, PixelModel):
        raise TypeError(f"model must be a PixelModel; got {type(model).__name__}")
    header = container.unpack(blob)
    if header.model != "pixels":
        raise ValueError(f"this blob was made by the {header.model!r} model, not a pixel model")
    c = model.config
    stored = {k: header.params[k] for k in _SHAPE_FIELDS}
    if stored != {k: getattr(c, k) for k in _SHAPE_FIELDS}:
        raise ValueError(f"these images were coded by a pixel model of shape {stored}, not {c}")
    digest = model_checksum(model)
    if (int(digest[:8], 16), int(digest[8:16], 16)) != (header.params["model_sha_hi"], header.params["model_sha_lo"]):
        raise ValueError("the model's checksum differs from the one the images were coded with: same shape, "
                         "other weights; pass the model they were coded with")
    per_image = c.height * c.width
    if header.n % per_image:
        raise ValueError(f"header says {header.n} pixels, not a whole number of {c.height}x{c.width} images")
    images = decode_images(model, header.payload, header.n // per_image)
    container.check_output(images.astype(np.uint8).tobytes(), header)
    return images


# --- a classical baseline: predict, pick a context, code the residual adaptively ------------------

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
    from scalingzip.coding.arithmetic import ArithmeticEncoder
    from scalingzip.coding.adaptive import AdaptiveModel

    a = _check_images(images, levels)
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
    from scalingzip.coding.arithmetic import ArithmeticDecoder
    from scalingzip.coding.adaptive import AdaptiveModel

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
