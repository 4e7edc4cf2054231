"""Sensitivity: how much each layer can lose, and a per-layer sparsity for a global target.

Layers differ in how much pruning they tolerate: a byte transformer's token embedding (which is
also its output layer) is read at every position, the first attention layer may be small and
crowded. A **sensitivity scan** prunes one layer at a time, the others dense, at a grid of
sparsities, and measures the loss on held-out bytes (bits per byte) each time
(:func:`sensitivity_scan`); the curves say where weights are cheap.

:func:`allocate_sparsity` turns the scan into one sparsity per layer for a global target: every
layer is pruned as far as its loss increase stays under a common threshold τ (bits per byte),
reading the scan's curves piecewise linearly, and τ is bisected until the layers together lose
exactly ``round(target * n)`` weights. The allocation ignores how layers interact when several
are pruned at once; that is the approximation of the method, and a study should measure the loss
of the jointly pruned network.

The scan is the sensitivity analysis of MIT 6.5940's first lab (Han, "TinyML and Efficient Deep
Learning Computing", Lab 1: fine-grained pruning), where the per-layer sparsities are chosen by
hand from the curves; here the choice is a threshold, bisected.

References:
    S. Han et al. (2023), MIT 6.5940 "TinyML and Efficient Deep Learning Computing", Lab 1
    (https://efficientml.ai).
    S. Han, J. Pool, J. Tran and W. J. Dally (2015), "Learning both Weights and Connections for
    Efficient Neural Networks", NeurIPS (per-layer sensitivity to pruning).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from torch import nn

from scalingzip.nn.determinism import one_thread
from scalingzip.nn.pruning import _check_sparsity, apportion, clone, prune_by_scores
from scalingzip.nn.saliency import Loss, lm_loss, saliency
from scalingzip.nn.train import evaluate_bits_per_byte

__all__ = ["SensitivityScan", "SparsityAllocation", "allocate_sparsity", "sensitivity_scan"]

DEFAULT_SPARSITIES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True, kw_only=True)
class SensitivityScan:
    """Held-out loss with each layer alone pruned to each sparsity of a grid (the others dense)."""

    layers: tuple[str, ...]  # the scanned layers, by name
    n_weights: np.ndarray  # (n_layers,) int64, weights of each layer
    sparsities: np.ndarray  # (k,) ascending; the first is 0 (the network as given)
    bits_per_byte: np.ndarray  # (n_layers, k) held-out loss, bits per byte
    criterion: str  # the score that chose which weights to prune

    @property
    def dense_bits_per_byte(self) -> float:
        """The loss of the network as given, before any of the scan's pruning, bits per byte."""
        return float(self.bits_per_byte[0, 0])

    @property
    def loss_increase(self) -> np.ndarray:
        """(n_layers, k) loss increase over the unpruned network, bits per byte."""
        return self.bits_per_byte - self.dense_bits_per_byte


def sensitivity_scan(model: nn.Module, data: bytes, *, sparsities: Sequence[float] = DEFAULT_SPARSITIES,
                     criterion: str = "magnitude", batches: Sequence | None = None,
                     layers: Iterable[str] | None = None, seq_len: int | None = None, max_bytes: int = 0,
                     loss: Loss = lm_loss, seed: int = 0) -> SensitivityScan:
    """Prune each layer alone to each sparsity and measure the held-out loss.

    Scores are computed once, on the model as given (:func:`~scalingzip.nn.saliency.saliency`); each
    layer is then pruned in a copy, by those scores (within each row for Wanda, within the layer for
    the others), to each sparsity in turn, and the loss measured with
    :func:`~scalingzip.nn.train.evaluate_bits_per_byte` on one thread. The model is not changed.
    Cost: one evaluation of ``data`` per layer and sparsity.

    Args:
        model: a byte-level model with a ``config.n_ctx`` (a :class:`~scalingzip.nn.transformer.ByteTransformer`).
        data: held-out bytes the loss is measured on.
        sparsities: the grid, each in (0, 1), at least each layer's present sparsity; 0 is added.
        criterion, batches, layers, loss, seed: as :func:`~scalingzip.nn.saliency.saliency`.
        seq_len, max_bytes: as :func:`~scalingzip.nn.train.evaluate_bits_per_byte`.

    Raises:
        ValueError: for an empty grid or a sparsity outside [0, 1), and as ``saliency`` does.
    """
    grid = sorted({0.0, *(_check_sparsity(s) for s in sparsities)})
    if len(grid) < 2:
        raise ValueError("sparsities must hold at least one value in (0, 1)")
    scores = saliency(model, criterion, batches=batches, layers=layers, loss=loss, seed=seed)
    scope = "row" if criterion == "wanda" else "layer"
    names = tuple(scores)
    bits = np.empty((len(names), len(grid)))
    with one_thread():
        dense = evaluate_bits_per_byte(model, data, seq_len=seq_len, max_bytes=max_bytes)
        bits[:, 0] = dense
        for i, name in enumerate(names):
            pruned = clone(model)
            for j, s in enumerate(grid[1:], start=1):  # rising sparsities: each prunes on from the last
                prune_by_scores(pruned, {name: scores[name]}, s, scope=scope)
                bits[i, j] = evaluate_bits_per_byte(pruned, data, seq_len=seq_len, max_bytes=max_bytes)
    return SensitivityScan(layers=names, n_weights=np.array([scores[n].numel() for n in names], dtype=np.int64),
                           sparsities=np.array(grid), bits_per_byte=bits, criterion=criterion)


@dataclass(frozen=True, kw_only=True)
class SparsityAllocation:
    """A sparsity for each layer that together reach a global target exactly."""

    sparsity: dict[str, float]  # per layer: pruned weights / weights (pass to prune_by_scores, scope="layer")
    pruned: dict[str, int]  # per layer: weights to prune; they sum to round(target * total weights)
    threshold_bits_per_byte: float  # τ: each layer's scanned loss increase at its sparsity is about τ or less


def _allowed(sparsities: np.ndarray, increase: np.ndarray, tau: float) -> float:
    """The largest sparsity up to which the piecewise-linear curve ``increase(sparsity)`` stays at or
    below ``tau`` (non-decreasing in ``tau``: a curve that dips after rising still stops at its first crossing)."""
    if tau < increase[0]:
        return float(sparsities[0])
    for k in range(len(sparsities) - 1):
        if increase[k + 1] > tau:
            frac = (tau - increase[k]) / (increase[k + 1] - increase[k])
            return float(sparsities[k] + frac * (sparsities[k + 1] - sparsities[k]))
    return float(sparsities[-1])


def allocate_sparsity(scan: SensitivityScan, target: float, *, iterations: int = 100) -> SparsityAllocation:
    """Per-layer sparsities, from a scan, that prune exactly ``round(target * n)`` of the scanned
    layers' ``n`` weights, each layer as far as its loss increase stays under a common threshold.

    For a threshold τ, layer ``l`` may be pruned to ``a_l(τ)``, where its scanned curve (read
    piecewise linearly) first rises above τ; ``sum_l a_l(τ) n_l`` grows with τ. τ is bisected
    until two values bracket the target within ``iterations`` halvings, the fractional counts are
    interpolated between the two brackets to the target, and rounded by largest remainder
    (:func:`~scalingzip.nn.pruning.apportion`), so the total is exact and each layer is within one
    weight of its share.

    Raises:
        ValueError: for a target outside [0, 1), or above what the scan covers (every layer at the
            grid's largest sparsity): scan to higher sparsities.
    """
    target = _check_sparsity(target)
    n = scan.n_weights.astype(np.int64)
    goal = round(target * int(n.sum()))
    increase = scan.loss_increase
    reachable = float((scan.sparsities[-1] * n).sum())
    if goal > reachable + 1e-9:
        raise ValueError(f"target {target} needs {goal} pruned weights; the scan reaches {reachable:.0f} "
                         f"(every layer at {scan.sparsities[-1]}); scan to higher sparsities")

    def counts(tau: float) -> np.ndarray:
        return np.array([_allowed(scan.sparsities, increase[i], tau) for i in range(len(n))]) * n

    lo, hi = float(min(0.0, increase.min())) - 1.0, float(increase.max()) + 1.0  # counts(lo) = 0 <= goal <= counts(hi)
    for _ in range(iterations):
        mid = (lo + hi) / 2
        if counts(mid).sum() <= goal:
            lo = mid
        else:
            hi = mid
    low, high = counts(lo), counts(hi)
    span = high.sum() - low.sum()
    weight = 0.0 if span <= 0 else (goal - low.sum()) / span
    real = np.clip(low + weight * (high - low), 0, n)
    real *= goal / real.sum() if real.sum() > 0 else 0.0  # remove the last float error: sum(real) == goal
    pruned = apportion(np.minimum(real, n), n, goal)
    return SparsityAllocation(
        sparsity={name: int(c) / int(size) for name, c, size in zip(scan.layers, pruned, n)},
        pruned={name: int(c) for name, c in zip(scan.layers, pruned)},
        threshold_bits_per_byte=hi,
    )
