"""Pruning, sparsity and quantisation of networks: how the first part of a two-part code is made shorter.

A trained network is the first part of a two-part code (chapter 3): to use it as a compressor,
the receiver needs its weights. This module makes that part shorter, in the order of Han et al.'s
Deep Compression pipeline; :mod:`scalingzip.compressors.weights` codes the result exactly and
measures it as a real size:

* **Pruning** sets weights to zero through masks (:mod:`torch.nn.utils.prune`'s
  reparametrisation, ``weight = weight_orig * weight_mask``, so a masked weight stays zero while
  the network trains). :func:`prune_by_scores` removes the lowest-scored weights to an exact
  sparsity, over the whole network at once, layer by layer, or row by row; the scores are a
  criterion's (:mod:`scalingzip.nn.saliency`), and :func:`magnitude_prune` is the criterion |W|.
  :func:`prune_units` removes whole
  neurons or channels, and :func:`shrink` turns such a network into a smaller dense one that
  computes the same function. :func:`gradual_sparsity` is Zhu and Gupta's cubic schedule;
  :func:`rewind` and :func:`reinitialize` are the two halves of a lottery-ticket experiment
  (Frankle and Carbin): the same mask with the original initial weights, or with new random ones.
* **Quantisation** maps the surviving weights to a small codebook: evenly spaced levels
  (:func:`quantize_uniform`) or the centroids of one-dimensional k-means (:func:`quantize_kmeans`,
  initialised linearly, as Han et al. found best). :func:`quantize_model` is a copy of a network
  with every layer quantised, the network the weights' code decodes to.
* **Coding** is :mod:`scalingzip.compressors.weights`: :func:`layer_weights` and
  :func:`plain_parameters` are what it reads, each layer's masked weights and every other
  parameter.

Only the weights of ``nn.Linear``, ``nn.Conv1d``, ``nn.Conv2d`` and ``nn.Embedding`` layers are
pruned and quantised; biases and every other parameter are kept exactly. (A byte transformer's
output layer is its token embedding, tied: masking ``tok_emb`` masks both.)

References:
    S. Han, H. Mao and W. J. Dally (2016), "Deep Compression: Compressing Deep Neural Networks with
    Pruning, Trained Quantization and Huffman Coding", ICLR.
    M. Zhu and S. Gupta (2017), "To prune, or not to prune: exploring the efficacy of pruning for
    model compression", arXiv:1710.01878 (the cubic schedule).
    J. Frankle and M. Carbin (2019), "The Lottery Ticket Hypothesis: Finding Sparse, Trainable
    Neural Networks", ICLR.
    J. Frankle, G. K. Dziugaite, D. M. Roy and M. Carbin (2020), "Linear Mode Connectivity and the
    Lottery Ticket Hypothesis", ICML (rewinding to an early step instead of the initialisation).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.utils import prune

__all__ = [
    "PRUNABLE",
    "QUANTIZERS",
    "SCOPES",
    "QuantizedWeights",
    "apportion",
    "clone",
    "gradual_sparsity",
    "layer_weights",
    "magnitude_prune",
    "masks",
    "plain_parameters",
    "prunable_layers",
    "prune_by_scores",
    "prune_units",
    "quantize_kmeans",
    "quantize_model",
    "quantize_uniform",
    "reinitialize",
    "rewind",
    "shrink",
    "sparsity",
    "weights_snapshot",
]

PRUNABLE = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Embedding)
SCOPES = ("global", "layer", "row")  # over what an exact sparsity is reached (see prune_by_scores)
QUANTIZERS = ("float32", "uniform", "kmeans")  # how quantize_model (and the weights' code) maps values


# --- which weights, and their masks ------------------------------------------------------------

def prunable_layers(model: nn.Module) -> dict[str, nn.Module]:
    """The layers whose weights this module prunes, by name (as in ``named_modules``), in order."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    layers = {name: m for name, m in model.named_modules() if isinstance(m, PRUNABLE)}
    if not layers:
        raise ValueError("the model has no Linear, Conv or Embedding layer to prune")
    return layers


def _select(model: nn.Module, layers: Iterable[str] | None) -> dict[str, nn.Module]:
    known = prunable_layers(model)
    if layers is None:
        return known
    if isinstance(layers, str):
        layers = [layers]
    names = list(layers)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown layer {unknown[0]!r}; the prunable layers are: {', '.join(known)}")
    if not names:
        raise ValueError("layers is empty; pass None for every prunable layer")
    return {n: known[n] for n in names}


def _mask(module: nn.Module, name: str = "weight") -> torch.Tensor:
    mask = getattr(module, name + "_mask", None)
    return mask if mask is not None else torch.ones_like(getattr(module, name))


def _current(module: nn.Module, name: str = "weight") -> torch.Tensor:
    """The tensor the next forward will use, detached: ``<name>_orig * <name>_mask`` where pruned.

    (``module.weight`` itself is only refreshed by torch's hook at the start of a forward, so after
    an optimiser step it is stale.)
    """
    if hasattr(module, name + "_mask"):
        return (getattr(module, name + "_orig") * getattr(module, name + "_mask")).detach()
    return getattr(module, name).detach()


def masks(model: nn.Module) -> dict[str, torch.Tensor]:
    """Each prunable layer's weight mask (1 kept, 0 pruned), a copy; all ones where nothing is pruned."""
    return {name: _mask(m).detach().clone() for name, m in prunable_layers(model).items()}


def _set_mask(module: nn.Module, mask: torch.Tensor, name: str = "weight") -> None:
    """Install ``mask`` on ``module.<name>``: replace an existing mask, or reparametrise the tensor."""
    mask = mask.to(dtype=getattr(module, name).dtype, device=getattr(module, name).device)
    if hasattr(module, name + "_mask"):
        getattr(module, name + "_mask").copy_(mask)
        # what torch's forward pre-hook does before every forward, done now so module.<name> is current
        setattr(module, name, getattr(module, name + "_orig") * getattr(module, name + "_mask"))
    else:
        prune.custom_from_mask(module, name, mask)


def clone(model: nn.Module) -> nn.Module:
    """A deep copy, masks included, that also works after a forward pass of a pruned model.

    Torch's pruning hook sets ``module.weight = weight_orig * weight_mask`` with gradients on, a
    tensor that ``deepcopy`` refuses; it is recomputed here without them (the hook recomputes it
    before every forward anyway).
    """
    with torch.no_grad():
        for m in model.modules():
            for name in ("weight", "bias"):
                if hasattr(m, name + "_mask"):
                    setattr(m, name, _current(m, name))
    return copy.deepcopy(model)


def sparsity(model: nn.Module, layers: Iterable[str] | None = None) -> float:
    """Fraction of the selected layers' weights that are pruned (masked to zero)."""
    selected = _select(model, layers)
    total = sum(m.weight.numel() for m in selected.values())
    pruned = sum(int((_mask(m) == 0).sum()) for m in selected.values())
    return pruned / total


def _check_sparsity(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not 0.0 <= value < 1.0:
        raise ValueError(f"sparsity must be a number in [0, 1) (the fraction of weights pruned); got {value!r}")
    return float(value)


# --- unstructured pruning by a score, to an exact sparsity ---------------------------------------

def apportion(real: np.ndarray, caps: np.ndarray, total: int) -> np.ndarray:
    """Integers ``c`` with ``0 <= c <= caps``, ``c.sum() == total`` and ``|c - real| < 1``: each
    ``real`` rounded down, and the ``total - sum`` units left over given to the largest fractional
    parts (ties to the first). How a fractional allocation of weights becomes an exact count.

    Raises:
        ValueError: if ``real`` is outside ``[0, caps]`` or its sum is not within one unit per
            entry of ``total``.
    """
    real, caps = np.asarray(real, dtype=np.float64), np.asarray(caps, dtype=np.int64)
    if real.shape != caps.shape or np.any(real < -1e-9) or np.any(real > caps + 1e-9):
        raise ValueError("real counts must lie between 0 and their caps")
    real = np.clip(real, 0, caps)
    counts = np.floor(real + 1e-9).astype(np.int64)
    need = int(total) - int(counts.sum())
    room = counts < caps
    if not 0 <= need <= int(room.sum()):
        raise ValueError(f"cannot apportion {total} units over counts that sum to {real.sum():.3f}")
    order = np.lexsort((np.arange(real.size), -(real - counts)))  # largest fraction first, ties to the first
    counts[[i for i in order if room[i]][:need]] += 1
    return counts


def _row_counts(score: np.ndarray, n_prune: int) -> np.ndarray:
    """How many weights each row of ``score`` (rows, cols) loses: ``n_prune // rows`` or one more,
    never fewer than the row has already lost (its ``-inf`` scores), ``n_prune`` in all; the extra
    ones go to the rows whose next weight scores lowest."""
    rows, cols = score.shape
    already = np.isneginf(score).sum(axis=1)
    base = n_prune // rows
    counts = np.maximum(base, already)
    extra = n_prune - int(counts.sum())
    if extra < 0:
        raise ValueError(f"rows already pruned beyond {base} of {cols} weights each: the layer cannot reach "
                         f"{n_prune} pruned weights row by row (masks only grow); use scope='layer'")
    if extra:
        at_base = np.flatnonzero(counts == base)
        following = np.sort(score[at_base], axis=1)[:, base]  # each such row's next candidate
        counts[at_base[np.lexsort((at_base, following))[:extra]]] += 1
    return counts


def prune_by_scores(model: nn.Module, scores: Mapping[str, torch.Tensor], target: float | Mapping[str, float], *,
                    scope: str = "global") -> dict[str, float]:
    """Prune the lowest-scored weights of the layers in ``scores`` until exactly the target is pruned.

    Weights pruned before stay pruned (masks only grow: they count first), so calling this with a
    rising target is iterative pruning. Ties are broken by position, so the result is deterministic.

    Args:
        model: the network; its layers are pruned in place.
        scores: a tensor of the weight's shape for each layer to prune, by name (see
            :func:`prunable_layers`); higher means more important (a criterion of
            :mod:`scalingzip.nn.saliency`). Only the layers named here are pruned or counted.
        target: fraction of weights pruned afterwards, in [0, 1); with ``scope="layer"`` or
            ``"row"``, also a mapping from each layer's name to its own fraction.
        scope: over which weights the lowest scores are compared, and where the count is exact:
            ``"global"``, all the layers together: ``round(target * n)`` of their ``n`` weights are
            pruned (layers end at different sparsities); ``"layer"``, each layer alone:
            ``round(target * n_l)`` of its ``n_l``; ``"row"``, each output row (a neuron's, a
            channel's or a token's weights) alone, as Wanda does: a row loses ``round(target * n_l)
            // rows`` weights or one more, so each layer still ends at ``round(target * n_l)``.

    Returns:
        The sparsity of each pruned layer afterwards. Global pruning can empty a layer whose
        scores are all low; check these values.

    Raises:
        ValueError: for a target outside [0, 1), an unknown scope or layer, scores of the wrong
            shape or not finite, or a target below what the layers have already lost (pruning does
            not bring weights back).
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}; got {scope!r}")
    if not isinstance(scores, Mapping) or not scores:
        raise ValueError("scores must be a non-empty mapping from layer names to score tensors")
    selected = _select(model, list(scores))
    if isinstance(target, Mapping):
        if scope == "global":
            raise ValueError("a target per layer needs scope='layer' or scope='row'")
        if set(target) != set(scores):
            raise ValueError(f"target names the layers {sorted(target)}, scores {sorted(scores)}; name the same ones")
        targets = {name: _check_sparsity(target[name]) for name in selected}
    else:
        targets = dict.fromkeys(selected, _check_sparsity(target))
    flat = {}
    for name, module in selected.items():
        score = torch.as_tensor(scores[name]).detach().cpu().to(torch.float64)
        if tuple(score.shape) != tuple(module.weight.shape):
            raise ValueError(f"layer {name!r}: scores of shape {tuple(score.shape)} for a weight of shape "
                             f"{tuple(module.weight.shape)}")
        if not bool(torch.isfinite(score).all()):
            raise ValueError(f"layer {name!r}: scores must be finite")
        # weights pruned before score lowest of all, so they stay pruned
        flat[name] = np.where(_mask(module).detach().cpu().numpy() == 0, -np.inf, score.numpy()).reshape(-1)
    groups = [list(selected)] if scope == "global" else [[name] for name in selected]
    with torch.no_grad():
        for group in groups:
            score = np.concatenate([flat[name] for name in group])
            n = score.size
            n_prune = round(targets[group[0]] * n)
            already = int(np.isneginf(score).sum())
            if n_prune < already:
                raise ValueError(f"{', '.join(group)} already has sparsity {already / n:.4f} > "
                                 f"{targets[group[0]]}; masks only grow")
            if scope == "row":
                module = selected[group[0]]
                by_row = score.reshape(module.weight.shape[0], -1)
                counts = _row_counts(by_row, n_prune)
                rank = np.empty(by_row.shape, dtype=np.int64)
                np.put_along_axis(rank, np.argsort(by_row, axis=1, kind="stable"),
                                  np.arange(by_row.shape[1])[None, :].repeat(by_row.shape[0], 0), axis=1)
                new = (rank >= counts[:, None]).astype(np.float32).reshape(-1)
            else:
                new = np.ones(n, dtype=np.float32)
                new[np.argsort(score, kind="stable")[:n_prune]] = 0.0
            start = 0
            for name in group:
                module = selected[name]
                size = module.weight.numel()
                _set_mask(module, torch.from_numpy(new[start:start + size].copy()).reshape(module.weight.shape))
                start += size
    return {name: sparsity(model, [name]) for name in selected}


def magnitude_prune(model: nn.Module, target: float, *, scope: str = "global",
                    layers: Iterable[str] | None = None) -> dict[str, float]:
    """Prune the smallest-magnitude weights until exactly ``round(target * n)`` of them are pruned:
    :func:`prune_by_scores` with the score |W| (Han et al.).

    Args:
        model: the network; its layers are pruned in place.
        target: fraction of weights pruned afterwards, in [0, 1): of all selected weights together
            (``scope="global"``, which lets layers end at different sparsities) or of each layer's
            own weights (``scope="layer"``).
        scope: ``"global"`` or ``"layer"``.
        layers: names of the layers to prune (see :func:`prunable_layers`); default all.

    Returns:
        The sparsity of each selected layer afterwards. Global pruning can empty a layer whose
        weights are all small (its output is then its bias alone); check these values.

    Raises:
        ValueError: for a target outside [0, 1), an unknown scope or layer, or a target below the
            sparsity the layers already have (pruning does not bring weights back).
    """
    target = _check_sparsity(target)
    if scope not in ("global", "layer"):
        raise ValueError(f"scope must be 'global' or 'layer'; got {scope!r} (for rows: prune_by_scores)")
    selected = _select(model, layers)
    return prune_by_scores(model, {name: _current(m).abs() for name, m in selected.items()}, target, scope=scope)


def gradual_sparsity(step: int, *, final: float, start: int, end: int, initial: float = 0.0,
                     every: int = 1) -> float:
    """Zhu and Gupta's schedule: the target sparsity at training step ``step``.

    s(t) = s_f + (s_i - s_f) (1 - (t - t_0) / (t_1 - t_0))^3 for t_0 <= t <= t_1, with t rounded down
    to a multiple of ``every`` after t_0 (pruning happens every ``every`` steps); s_i before t_0
    and s_f after t_1. It prunes fast while many weights are redundant and slowly near the end.
    """
    initial, final = _check_sparsity(initial), _check_sparsity(final)
    if final < initial:
        raise ValueError(f"final sparsity ({final}) must be at least the initial one ({initial})")
    if not 0 <= start < end or every < 1:
        raise ValueError(f"need 0 <= start < end and every >= 1; got start={start}, end={end}, every={every}")
    if step <= start:
        return initial
    if step >= end:
        return final
    t = start + (step - start) // every * every
    return final + (initial - final) * (1.0 - (t - start) / (end - start)) ** 3


# --- lottery tickets: rewinding and the random control --------------------------------------

def weights_snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of every prunable layer's underlying weights (``weight_orig`` where a layer is pruned)."""
    return {name: getattr(m, "weight_orig", m.weight).detach().clone() for name, m in prunable_layers(model).items()}


def rewind(model: nn.Module, snapshot: dict[str, torch.Tensor]) -> None:
    """Reset the prunable layers' weights to ``snapshot`` (from :func:`weights_snapshot`), keeping
    the masks: the lottery ticket's "same mask, original initialisation" (or an early step's weights)."""
    layers = prunable_layers(model)
    if set(snapshot) != set(layers):
        raise ValueError("the snapshot's layers differ from the model's; take it from the same architecture")
    with torch.no_grad():
        for name, m in layers.items():
            target = getattr(m, "weight_orig", m.weight)
            if snapshot[name].shape != target.shape:
                raise ValueError(f"layer {name!r}: snapshot shape {tuple(snapshot[name].shape)} != {tuple(target.shape)}")
            target.copy_(snapshot[name])
            if hasattr(m, "weight_mask"):
                _set_mask(m, m.weight_mask)


def reinitialize(model: nn.Module, seed: int) -> None:
    """Draw new initial weights and biases for every prunable layer (PyTorch's default
    initialisation, seeded), keeping the masks: the random-reinitialisation control."""
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        with torch.no_grad():
            for m in prunable_layers(model).values():
                fresh = clone(m)
                if hasattr(fresh, "weight_orig"):
                    prune.remove(fresh, "weight")
                fresh.reset_parameters()
                getattr(m, "weight_orig", m.weight).copy_(fresh.weight)
                if m.bias is not None:
                    getattr(m, "bias_orig", m.bias).copy_(fresh.bias)
                if hasattr(m, "weight_mask"):
                    _set_mask(m, m.weight_mask)
                if hasattr(m, "bias_mask"):
                    _set_mask(m, m.bias_mask, "bias")
    finally:
        torch.random.set_rng_state(generator_state)


# --- structured pruning: whole units, and the smaller network -----------------------------------

def prune_units(model: nn.Module, layer: str, n_remove: int) -> list[int]:
    """Prune the ``n_remove`` output units (neurons of a Linear, channels of a Conv) of ``layer``
    with the smallest L2 norm of their incoming weights: their weight rows and biases are masked.

    Returns:
        The indices of the units pruned by this call, ascending.
    """
    module = _select(model, [layer])[layer]
    n_units = module.weight.shape[0]
    mask = _mask(module)
    alive = [u for u in range(n_units) if bool(mask[u].any())]
    if isinstance(n_remove, bool) or not isinstance(n_remove, int) or not 0 <= n_remove < len(alive):
        raise ValueError(f"n_remove must be an int in [0, {len(alive)}) (layer {layer!r} has {len(alive)} units "
                         f"left, and one must stay); got {n_remove!r}")
    with torch.no_grad():
        norms = _current(module).reshape(n_units, -1).norm(dim=1).cpu().numpy()
        order = sorted(alive, key=lambda u: (norms[u], u))
        removed = sorted(order[:n_remove])
        new = mask.clone()
        new[removed] = 0
        _set_mask(module, new)
        if module.bias is not None:
            bias_mask = _mask(module, "bias").clone()
            bias_mask[removed] = 0
            _set_mask(module, bias_mask, "bias")
    return removed


def _leaves(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if not list(m.children())]


def shrink(model: nn.Module) -> nn.Module:
    """A dense copy of ``model`` without the units that :func:`prune_units` removed.

    The model must be an ``nn.Sequential`` (possibly of ``nn.Sequential``s) whose layers run in the
    order they are listed, made of Linear/Conv layers, elementwise activations, pooling and
    ``Flatten``. A removed unit outputs zero (weights and bias masked), so dropping it and the next
    weight layer's inputs that read it leaves the function unchanged. Unstructured masks are
    applied (the weights become plain tensors with zeros).
    """
    if not isinstance(model, nn.Sequential):
        raise ValueError("shrink needs an nn.Sequential (its layers must run in the order they are listed)")
    out = clone(model)
    leaves = _leaves(out)
    allowed = PRUNABLE + (nn.ReLU, nn.GELU, nn.Tanh, nn.Sigmoid, nn.Identity, nn.Flatten, nn.MaxPool1d,
                          nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d, nn.Dropout)
    for m in leaves:
        if not isinstance(m, allowed):
            raise ValueError(f"shrink cannot follow units through {type(m).__name__}")
        for name in ("weight", "bias"):
            if hasattr(m, name + "_mask"):
                prune.remove(m, name)
    weighted = [i for i, m in enumerate(leaves) if isinstance(m, PRUNABLE)]
    with torch.no_grad():
        for a, b in zip(weighted, weighted[1:]):
            layer, nxt = leaves[a], leaves[b]
            w = layer.weight
            dead = (w.reshape(w.shape[0], -1) == 0).all(dim=1)
            if layer.bias is not None:
                dead &= layer.bias == 0
            keep = torch.nonzero(~dead).reshape(-1)
            if len(keep) == w.shape[0]:
                continue
            layer.weight = nn.Parameter(w[keep].clone())
            if layer.bias is not None:
                layer.bias = nn.Parameter(layer.bias[keep].clone())
            _set_out_features(layer, len(keep))
            flattened = any(isinstance(m, nn.Flatten) for m in leaves[a + 1:b])
            if isinstance(nxt, nn.Linear) and flattened:
                per_unit = nxt.in_features // w.shape[0]  # the features of one channel, after pooling
                cols = (keep[:, None] * per_unit + torch.arange(per_unit)).reshape(-1)
            else:
                cols = keep
            nxt.weight = nn.Parameter(nxt.weight[:, cols].clone())
            _set_in_features(nxt, nxt.weight.shape[1])
    return out


def _set_out_features(layer: nn.Module, n: int) -> None:
    if isinstance(layer, nn.Linear):
        layer.out_features = n
    else:
        layer.out_channels = n


def _set_in_features(layer: nn.Module, n: int) -> None:
    if isinstance(layer, nn.Linear):
        layer.in_features = n
    else:
        layer.in_channels = n


# --- quantisation ----------------------------------------------------------------------------

@dataclass(frozen=True)
class QuantizedWeights:
    """Values as indices into a codebook: ``codebook[indices]`` approximates the original values."""

    indices: np.ndarray  # (n,) int64 in [0, len(codebook))
    codebook: np.ndarray  # (k,) float32, ascending

    def values(self) -> np.ndarray:
        """The quantised values, float32."""
        return self.codebook[self.indices]


def _check_values(values: np.ndarray, bits: int) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if v.size == 0:
        raise ValueError("nothing to quantise: values is empty")
    if not np.all(np.isfinite(v)):
        raise ValueError("values must be finite")
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 16:
        raise ValueError(f"bits must be an int from 1 to 16; got {bits!r}")
    return v


def quantize_uniform(values: np.ndarray, bits: int) -> QuantizedWeights:
    """``2**bits`` evenly spaced levels from the smallest value to the largest; each value goes to
    the nearest, so the error is at most half a step, ``(max - min) / (2 (2**bits - 1))``."""
    v = _check_values(values, bits)
    lo, hi = float(v.min()), float(v.max())
    k = 2 ** bits
    if hi == lo:
        return QuantizedWeights(np.zeros(v.size, dtype=np.int64), np.array([lo], dtype=np.float32))
    codebook = np.linspace(lo, hi, k)
    indices = np.clip(np.rint((v - lo) / (hi - lo) * (k - 1)), 0, k - 1).astype(np.int64)
    return QuantizedWeights(indices, codebook.astype(np.float32))


def quantize_kmeans(values: np.ndarray, bits: int, *, iterations: int = 50) -> QuantizedWeights:
    """One-dimensional k-means (Lloyd's algorithm) with ``2**bits`` centroids, initialised evenly
    between the smallest and largest value (linear initialisation keeps centroids at the large
    weights, which matter most). Deterministic: no random starts.

    Cost: ``k = min(2**bits, distinct values)`` centroids, so a small layer at 16 bits never runs
    65,536 of them; each of at most ``iterations`` Lloyd steps is O(n log k) on the sorted values.
    When ``2**bits`` reaches the number of distinct values, Lloyd's steps from the even start leave
    some values sharing a centroid (and other centroids empty), so the error is not zero: at 16
    bits it can exceed :func:`quantize_uniform`'s, while the code of the levels in use is shorter.
    """
    v = _check_values(values, bits)
    k = min(2 ** bits, np.unique(v).size)  # never more centroids than distinct values
    centroids = np.linspace(v.min(), v.max(), k)
    order = np.sort(v)
    for _ in range(iterations):
        edges = (centroids[1:] + centroids[:-1]) / 2  # a value belongs to the nearest centroid
        cells = np.searchsorted(edges, order)
        sums = np.bincount(cells, weights=order, minlength=k)
        counts = np.bincount(cells, minlength=k)
        updated = np.where(counts > 0, sums / np.maximum(counts, 1), centroids)
        if np.allclose(updated, centroids, rtol=0, atol=1e-12):
            break
        centroids = np.sort(updated)
    codebook = np.unique(centroids.astype(np.float32))
    edges = (codebook[1:].astype(np.float64) + codebook[:-1]) / 2
    return QuantizedWeights(np.searchsorted(edges, v).astype(np.int64), codebook)


def quantize_model(model: nn.Module, *, method: str = "kmeans", bits: int = 5) -> nn.Module:
    """A copy of ``model`` with each prunable layer's kept weights quantised, as the weights' code
    (:func:`scalingzip.compressors.weights.encode_weights`) quantises them: per layer, ``2**bits``
    levels by ``method`` (``"uniform"``, ``"kmeans"``, or ``"float32"``: unchanged). Pruned weights
    stay exactly zero, and every other parameter is kept. The copy has no pruning
    reparametrisation (pruned weights are plain zeros): it is the network the code decodes to,
    without coding it.

    Raises:
        ValueError: for an unknown method, or bits outside 1 to 16.
    """
    if method not in QUANTIZERS:
        raise ValueError(f"method must be one of {', '.join(QUANTIZERS)}; got {method!r}")
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 16:
        raise ValueError(f"bits must be an int from 1 to 16; got {bits!r}")
    out = clone(model)
    with torch.no_grad():
        for (weights, keep), module in zip(layer_weights(out), prunable_layers(out).values()):
            for name in ("weight", "bias"):
                if hasattr(module, name + "_mask"):
                    prune.remove(module, name)
            kept = weights[keep]
            if method == "float32" or kept.size == 0:
                continue
            full = np.zeros_like(weights)
            full[keep] = (quantize_kmeans if method == "kmeans" else quantize_uniform)(kept, bits).values()
            module.weight.copy_(torch.from_numpy(full).reshape(module.weight.shape))
    return out


# --- what a code of the network reads ------------------------------------------------------------

def plain_parameters(model: nn.Module) -> list[torch.Tensor]:
    """Every parameter that is not a prunable layer's weight, in a fixed order (biases, norms, ...)."""
    skip = set()
    for m in prunable_layers(model).values():
        skip.add(id(getattr(m, "weight_orig", m.weight)))
    out = []
    for name, p in sorted(model.named_parameters(), key=lambda item: item[0].removesuffix("_orig")):
        if id(p) in skip:
            continue
        owner = model.get_submodule(name.rsplit(".", 1)[0]) if "." in name else model
        base = name.rsplit(".", 1)[-1]
        if base.endswith("_orig"):  # a pruned bias: use the masked value
            out.append(_current(owner, base[: -len("_orig")]))
        else:
            out.append(p.detach())
    return out


def layer_weights(model: nn.Module) -> list[tuple[np.ndarray, np.ndarray]]:
    """(flat float32 weights, flat bool mask) of each prunable layer, weights already masked."""
    return [(_current(m).cpu().numpy().astype(np.float32).reshape(-1),
             _mask(m).detach().cpu().numpy().reshape(-1) != 0) for m in prunable_layers(model).values()]
