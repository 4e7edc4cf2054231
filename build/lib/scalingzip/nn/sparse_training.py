"""Sparse training from scratch: a network that is sparse from its first step, and masks that move.

Pruning a trained network pays for the dense training first. Sparse training never does: the
masks are drawn at initialisation and the network trains with only the kept weights, so its
training FLOPs scale with its density. Three pieces:

* **Per-layer densities** for a global density ``d`` (:func:`layer_densities`): ``"uniform"``
  gives every layer ``d``; ``"erk"`` (Erdős–Rényi-Kernel, Evci et al. 2020, after Mocanu et al.'s
  Erdős–Rényi) makes a layer's density proportional to ``sum(shape) / prod(shape)``, so small
  layers stay denser, capping at one and sharing out the rest. Either way the counts are whole
  numbers that add up to exactly ``round(d * n)``.
* **A fixed random mask** with those counts (:func:`sparse_init`), installed with the masks of
  :mod:`scalingzip.nn.pruning`, so the usual training loop trains the sparse network unchanged.
* **Prune and regrow** (:class:`PruneRegrow`), called every step by a training loop: every
  ``every`` steps until ``end`` it drops, in each layer, the fraction ``f(t) = f_0 / 2 (1 + cos(π t
  / end))`` (the cosine decay of Evci et al.) of the active weights with the smallest magnitude,
  and activates as many others: at random (**SET**, Mocanu et al. 2018) or those with the largest
  dense gradient (**RigL**, Evci et al. 2020). Weights that were inactive and become active start
  at zero (and their optimiser moments too), so the function changes only by the dropped weights;
  each layer keeps its count, so the sparsity stays exact.

FLOPs (:func:`sparse_training_flops`): with ``f_S`` the forward FLOPs per token of the sparse
network (:func:`~scalingzip.nn.flops.sparse_forward_flops`) and ``f_D`` of the same network dense,
a static mask or SET costs ``3 f_S`` per training token (forward, gradient of the activations,
gradient of the kept weights; SET's drop and regrow are elementwise and not counted, as in Evci et
al.). RigL needs the dense gradient every ``every`` steps; this module computes it on a batch of
its own (the one passed to :meth:`PruneRegrow.step`), which costs a forward, an activation
gradient and a dense weight gradient, ``2 f_S + f_D``, so with that batch the size of a training
batch RigL costs ``3 f_S + (2 f_S + f_D) / every`` per training token. (Evci et al. reuse a
training batch, ``(3 f_S every + 2 f_S + f_D) / (every + 1)``; the difference is only where the
extra batch comes from.)

References:
    D. C. Mocanu, E. Mocanu, P. Stone, P. H. Nguyen, M. Gibescu and A. Liotta (2018), "Scalable
    training of artificial neural networks with adaptive sparse connectivity inspired by network
    science", Nature Communications 9 (SET, and Erdős–Rényi layer densities).
    U. Evci, T. Gale, J. Menick, P. S. Castro and E. Elsen (2020), "Rigging the Lottery: Making
    All Tickets Winners", ICML (RigL, ERK densities, the cosine-decayed update fraction, and the
    FLOP accounting of Appendix H).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from scalingzip.nn.flops import sparse_forward_flops
from scalingzip.nn.pruning import _select, _set_mask, apportion
from scalingzip.nn.saliency import Loss, lm_loss, weight_gradients

__all__ = [
    "DISTRIBUTIONS",
    "METHODS",
    "PruneRegrow",
    "SparseTrainingFlops",
    "layer_densities",
    "sparse_init",
    "sparse_training_flops",
]

DISTRIBUTIONS = ("uniform", "erk")
METHODS = ("set", "rigl")


def _check_density(density: float) -> float:
    if isinstance(density, bool) or not isinstance(density, (int, float, np.floating)) or not 0.0 < density <= 1.0:
        raise ValueError(f"density must be a number in (0, 1] (the fraction of weights kept); got {density!r}")
    return float(density)


def layer_densities(model: nn.Module, density: float, *, distribution: str = "erk",
                    layers: Iterable[str] | None = None) -> dict[str, float]:
    """The density (kept / weights) of each layer for a global ``density``, by layer name.

    ``"uniform"``: each layer about ``density``. ``"erk"``: layer ``l`` of weight shape ``s``
    gets ``min(1, ε sum(s) / prod(s))``, with ε chosen so that the kept weights add up to the
    target (layers that would exceed one are made dense and ε solved again). The kept counts are
    rounded by largest remainder (:func:`~scalingzip.nn.pruning.apportion`): they add up to exactly
    ``round(density * n)`` over the selected layers, each within one weight of its real share.

    Args:
        density: fraction of the selected layers' weights kept, in (0, 1].
        distribution: ``"uniform"`` or ``"erk"``.
        layers: the layers to make sparse (see :func:`~scalingzip.nn.pruning.prunable_layers`);
            default all, embeddings included.

    Raises:
        ValueError: for a density outside (0, 1], an unknown distribution or layer.
    """
    density = _check_density(density)
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}; got {distribution!r}")
    selected = _select(model, layers)
    n = np.array([m.weight.numel() for m in selected.values()], dtype=np.int64)
    goal = round(density * int(n.sum()))
    if distribution == "uniform":
        real = density * n.astype(np.float64)
    else:
        raw = np.array([sum(m.weight.shape) / math.prod(m.weight.shape) for m in selected.values()])
        dense = np.zeros(len(n), dtype=bool)
        while True:
            eps = (goal - n[dense].sum()) / (raw[~dense] * n[~dense]).sum()
            over = ~dense & (eps * raw > 1)
            if not over.any():  # eps only grows as layers turn dense, so a dense layer stays so
                break
            dense |= over
        real = np.where(dense, n, eps * raw * n)
    kept = apportion(real * (goal / real.sum()), n, goal) if goal else np.zeros(len(n), dtype=np.int64)
    return {name: int(k) / int(size) for name, k, size in zip(selected, kept, n)}


def sparse_init(model: nn.Module, density: float, *, distribution: str = "erk", seed: int = 0,
                layers: Iterable[str] | None = None) -> dict[str, float]:
    """Install a random mask on each selected layer, in place, keeping exactly
    ``round(d_l * n_l)`` weights of each, with ``d_l`` from :func:`layer_densities`; which weights is
    uniform at random (seeded). Any mask the layers had is replaced. The kept weights keep their
    values (the initialisation); masked ones are zero in every forward pass.

    Returns:
        The density of each selected layer.

    Raises:
        ValueError: as :func:`layer_densities`.
    """
    densities = layer_densities(model, density, distribution=distribution, layers=layers)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, m in _select(model, list(densities)).items():
            n = m.weight.numel()
            keep = torch.randperm(n, generator=g)[: round(densities[name] * n)]
            mask = torch.zeros(n)
            mask[keep] = 1.0
            _set_mask(m, mask.reshape(m.weight.shape))
    return densities


class PruneRegrow:
    """Prune-and-regrow updates of sparse masks during training: SET or RigL.

    Call :meth:`step` once per training step, after ``optimizer.step()``, with the number of steps
    done so far (1, 2, ...). On steps ``t`` with ``t % every == 0`` and ``t < end`` it updates every
    selected layer's mask; on the others it does nothing and costs nothing.

    Invariants kept by each update, per layer: the number of active weights is unchanged (``k``
    dropped, then ``k`` grown among the inactive ones, dropped ones included, ``k = round(f(t) *
    active)``); every weight active after the update that was inactive before it is zero, in
    ``weight_orig`` and in the optimiser's per-weight state (Adam's moments, SGD's momentum); every
    other active weight keeps its value (a weight dropped and grown back was never gone). So the
    masked weights after the update are those before it times the new mask.

    Args:
        method: ``"set"`` (regrow at random) or ``"rigl"`` (regrow the largest dense gradients;
            :meth:`step` then needs a ``batch``).
        every: steps between updates (ΔT; Evci et al. use 100).
        end: no update from this step on (Evci et al. stop at 3/4 of training).
        fraction: f_0, the fraction of active weights moved at step 0 (0.3 in Evci et al.).
        seed: seeds SET's random regrowth.
        layers: the layers to update (default all prunable layers); each must carry a mask
            (:func:`sparse_init`).
        loss: ``loss(model, batch)`` for RigL's gradient; the byte model's :func:`~scalingzip.nn.saliency.lm_loss`.

    Raises:
        ValueError: for an unknown method, ``every`` or ``end`` below 1, or a fraction outside (0, 1).
    """

    def __init__(self, method: str = "rigl", *, every: int = 100, end: int, fraction: float = 0.3, seed: int = 0,
                 layers: Iterable[str] | None = None, loss: Loss = lm_loss) -> None:
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
        for name, value in (("every", every), ("end", end)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int; got {value!r}")
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"fraction must be in (0, 1); got {fraction!r}")
        self.method, self.every, self.end, self.fraction = method, every, end, float(fraction)
        self.layers = None if layers is None else list(layers)
        self.loss = loss
        self._generator = torch.Generator().manual_seed(seed)

    def updates_at(self, step_index: int) -> bool:
        """Whether :meth:`step` changes the masks after ``step_index`` steps."""
        return 0 < step_index < self.end and step_index % self.every == 0

    def fraction_at(self, step_index: int) -> float:
        """f(t) = f_0 / 2 (1 + cos(π t / end)): the fraction of each layer's active weights moved at step t."""
        return self.fraction / 2 * (1 + math.cos(math.pi * min(step_index, self.end) / self.end))

    def step(self, model: nn.Module, optimizer: torch.optim.Optimizer | None, step_index: int,
             batch: object | None = None) -> int:
        """Update the masks if ``step_index`` is an update step (see :meth:`updates_at`).

        Args:
            model: the sparse network, with masks on the selected layers.
            optimizer: the optimiser that trains it (its state of grown weights is zeroed), or None.
            step_index: training steps done so far.
            batch: RigL's batch for the dense gradient (a fresh training batch); unused by SET.

        Returns:
            The number of weights that were inactive and are now active (as many became inactive),
            over all layers; 0 when nothing was updated.

        Raises:
            ValueError: for a layer without a mask, RigL without a batch, or an optimiser that does
                not train a selected layer's weights.
        """
        if not self.updates_at(step_index):
            return 0
        selected = _select(model, self.layers)
        bare = [name for name, m in selected.items() if not hasattr(m, "weight_mask")]
        if bare:
            raise ValueError(f"layer {bare[0]!r} has no mask; install the sparse masks first with "
                             "sparse_init(model, ...)")
        trained = set() if optimizer is None else {id(p) for group in optimizer.param_groups for p in group["params"]}
        if optimizer is not None and any(id(m.weight_orig) not in trained for m in selected.values()):
            raise ValueError("the optimizer does not train every masked layer's weights; "
                             "build it from model.parameters()")
        if self.method == "rigl":
            if batch is None:
                raise ValueError("RigL regrows the weights with the largest gradient: pass a batch to step()")
            grads = weight_gradients(model, selected, batch, self.loss)
        fraction = self.fraction_at(step_index)
        grown_total = 0
        with torch.no_grad():
            for name, m in selected.items():
                mask = m.weight_mask.reshape(-1) != 0
                active = torch.nonzero(mask).reshape(-1)
                k = round(fraction * active.numel())
                if k == 0:
                    continue
                weights = m.weight_orig.reshape(-1)  # a view: writes go to the parameter
                order = torch.sort(weights[active].abs(), stable=True).indices
                after_drop = mask.clone()
                after_drop[active[order[:k]]] = False
                candidates = torch.nonzero(~after_drop).reshape(-1)
                if self.method == "set":
                    grow = candidates[torch.randperm(candidates.numel(), generator=self._generator)[:k]]
                else:
                    score = grads[name].reshape(-1)[candidates].abs()
                    grow = candidates[torch.sort(score, descending=True, stable=True).indices[:k]]
                new = after_drop.clone()
                new[grow] = True
                fresh = new & ~mask  # active now, inactive before: these start from zero
                weights[fresh] = 0.0
                if optimizer is not None:
                    for value in optimizer.state.get(m.weight_orig, {}).values():
                        if isinstance(value, torch.Tensor) and value.shape == m.weight_orig.shape:
                            value.reshape(-1)[fresh] = 0.0
                _set_mask(m, new.reshape(m.weight.shape).to(m.weight_mask.dtype))
                assert int(new.sum()) == active.numel(), "a mask update must keep the layer's count"
                grown_total += int(fresh.sum())
        return grown_total


@dataclass(frozen=True, kw_only=True)
class SparseTrainingFlops:
    """Training FLOPs per token of a sparse byte transformer, as Evci et al. count them."""

    sparse_forward: float  # f_S: forward FLOP per token, masked weights skipped
    dense_forward: float  # f_D: forward FLOP per token of the same network dense
    training: float  # FLOP per training token, mask updates included (see sparse_training_flops)

    @property
    def relative(self) -> float:
        """Training FLOPs as a fraction of dense training's (3 f_D)."""
        return self.training / (3 * self.dense_forward)


def sparse_training_flops(model: nn.Module, *, method: str = "static", every: int | None = None,
                          seq_len: int | None = None) -> SparseTrainingFlops:
    """Training FLOP per token of ``model`` with its present masks (see the module's docstring).

    ``"static"`` (a fixed mask) and ``"set"``: ``3 f_S``. ``"rigl"``: ``3 f_S + (2 f_S + f_D) /
    every``, the dense gradient on one extra batch, the size of a training batch, every ``every``
    steps. Multiply by the training tokens for a run's total, to compare runs at equal compute.

    Raises:
        ValueError: for an unknown method, or RigL without ``every``.
        TypeError: if ``model`` is not a ``ByteTransformer``.
    """
    if method not in ("static", *METHODS):
        raise ValueError(f"method must be 'static', 'set' or 'rigl'; got {method!r}")
    f_s = sparse_forward_flops(model, seq_len=seq_len)
    f_d = sparse_forward_flops(model, seq_len=seq_len, dense=True)
    training = 3 * f_s
    if method == "rigl":
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"RigL's cost needs every, the steps between updates (a positive int); got {every!r}")
        training += (2 * f_s + f_d) / every
    return SparseTrainingFlops(sparse_forward=f_s, dense_forward=f_d, training=training)
