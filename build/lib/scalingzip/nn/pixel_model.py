"""Autoregressive pixel models: a network that predicts each pixel from the pixels before it.

An image is read pixel by pixel in raster order. For each pixel a model reads its *causal
neighbourhood* (the pixels above it and to its left, already known to a decoder) and outputs a
distribution over the pixel's grey levels; -log2 p(pixel) is the pixel's ideal code length. This
is the language model of chapter 3 with pixels for bytes, and the same scaling question applies:
how the code length falls as the model grows.

:class:`PixelModel` is a small multilayer perceptron on the neighbourhood values, an "outside the
image" flag for each neighbour, and the pixel's row and column (one-hot): ``hidden=0`` is a
linear softmax model, larger ``hidden`` widths and more layers give larger models.
:func:`train_pixel_model` trains it by maximum likelihood; :func:`image_code_length_bits` is the
ideal code length of a batch of images, and :func:`pixel_probabilities` the distribution at one
position, which the exact coder of :mod:`scalingzip.compressors.images` codes with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from scalingzip.coding.context import check_images

__all__ = [
    "PixelModel",
    "PixelModelConfig",
    "causal_offsets",
    "image_code_length_bits",
    "neighbourhood_features",
    "pixel_probabilities",
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


def neighbourhood_features(images: np.ndarray, levels: int, radius: int,
                           positions: np.ndarray | None = None) -> torch.Tensor:
    """Features of every pixel (or of the pixels at ``positions``, raster indices) of every image.

    For each neighbour: its value scaled to [0, 1] (0 outside the image) and a flag that is 1
    outside the image; then the one-hot row and column of the pixel. Only pixels before the
    current one in raster order are read, so the decoder can compute the same features.

    Returns:
        ``(n, n_positions, n_features)`` float32 tensor.
    """
    a = check_images(images, levels)
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
    a = check_images(images, c.levels)
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
def pixel_probabilities(model: PixelModel, images: np.ndarray, position: int) -> np.ndarray:
    """The model's distribution of the pixel at raster index ``position`` of every image, from the
    pixels before it: ``(n, levels)`` float64, the probabilities the exact coder uses."""
    c = model.config
    feats = neighbourhood_features(images, c.levels, c.radius, positions=np.array([position]))
    return torch.softmax(model(feats[:, 0]).double(), dim=-1).numpy()  # (n, levels)


@torch.no_grad()
def image_code_length_bits(model: PixelModel, images: np.ndarray) -> float:
    """Ideal code length of ``images`` under the model, in bits (what the coder achieves, +~32 bits)."""
    c = model.config
    a = check_images(images, c.levels)
    logp = torch.log_softmax(model(neighbourhood_features(a, c.levels, c.radius)).double(), dim=-1)
    picked = logp.gather(-1, torch.from_numpy(a.reshape(len(a), -1, 1)))
    return float(-picked.sum() / LN2)
