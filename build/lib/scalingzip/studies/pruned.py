"""The pruning chapter's study: classifiers pruned by several methods, quantised and coded.

A :class:`PruneRun` trains an image classifier (:mod:`scalingzip.nn.classifiers`, the recipe of
:mod:`scalingzip.studies.cv`) on the digits (or MNIST-1D) training pool, prunes it to a target
sparsity by one of four methods of :mod:`scalingzip.nn.pruning`, and measures it on the test split:
the test loss in bits per label and the test error, then the Deep Compression pipeline on the pruned
network: k-means quantisation of the surviving weights to 2-8 bits, each quantised network evaluated
and coded exactly (:func:`scalingzip.compressors.weights.encode_weights`), next to its float32 size.

Methods (``method``):

* ``"oneshot"``: train dense, prune to the target once (global magnitude), fine-tune.
* ``"iterative"``: train dense, then rounds that each prune ``round_rate`` of the remaining
  weights and fine-tune, until the target is reached.
* ``"gradual"``: train dense, then fine-tune while the sparsity follows Zhu and Gupta's cubic
  schedule from 0 to the target over the first three quarters of the fine-tuning.
* ``"ticket"``: Frankle and Carbin's iterative magnitude pruning with rewinding: train, prune
  ``round_rate`` of the remaining weights, reset the survivors to their initial values, train
  again, until the target; the last mask is then trained from the original initialisation (the
  ticket) and from a new random one (the control), both for ``steps`` steps. Metrics of the
  control carry the prefix ``reinit_``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from scalingzip.compressors.weights import decode_weights, encode_weights, float32_bits, weights_code_length_bits
from scalingzip.nn import pruning as P
from scalingzip.nn.classifiers import build_classifier, evaluate_classifier, train_classifier
from scalingzip.studies.cv import load_dataset, split_pool

__all__ = ["METHODS", "PruneRun", "PrunedPixelRun", "all_runs", "study"]

METHODS = ("oneshot", "iterative", "gradual", "ticket")
QUANT_BITS = (2, 3, 4, 5, 6, 8)


@dataclass(frozen=True, kw_only=True)
class PruneRun:
    """One classifier, pruned to ``sparsity`` by ``method`` and measured dense-equivalently."""

    dataset: str = "digits"
    arch: str = "mlp"
    width: int = 128  # hidden units (MLP) or first-layer channels (CNN)
    method: str = "oneshot"
    sparsity: float = 0.0  # fraction of the Linear/Conv weights pruned at the end, in [0, 1)
    seed: int = 0  # seeds the weights and the batches (and, +1000, the random control's weights)
    steps: int = 2000  # dense training steps (and each ticket's training)
    finetune_steps: int = 1000  # after pruning (per round for "iterative")
    round_rate: float = 0.2  # "iterative", "ticket": fraction of the remaining weights pruned per round
    batch_size: int = 64
    lr: float = 3e-3

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}; got {self.method!r}")
        if not 0.0 <= self.sparsity < 1.0 or not 0.0 < self.round_rate < 1.0:
            raise ValueError("sparsity must be in [0, 1) and round_rate in (0, 1)")
        if min(self.width, self.steps, self.finetune_steps, self.batch_size) < 1 or not self.lr > 0:
            raise ValueError("width, steps, finetune_steps and batch_size must be >= 1, lr > 0")

    def rounds(self) -> list[float]:
        """The sparsity after each round of "iterative" or "ticket": 1 - (1 - r)^k, the last one the target."""
        if self.sparsity == 0:
            return []
        k = max(1, math.ceil(math.log(1 - self.sparsity) / math.log(1 - self.round_rate) - 1e-9))
        return [min(1 - (1 - self.round_rate) ** i, self.sparsity) for i in range(1, k)] + [self.sparsity]

    def cost(self) -> float:
        n_rounds = max(1, len(self.rounds()))
        per_method = {"oneshot": self.steps + self.finetune_steps, "gradual": self.steps + self.finetune_steps,
                      "iterative": self.steps + n_rounds * self.finetune_steps,
                      "ticket": (n_rounds + 2) * self.steps}
        return per_method[self.method] * self.width

    def execute(self, device: torch.device) -> dict[str, Any]:
        data, shape = load_dataset(self.dataset)
        scale = 16.0 if self.dataset == "digits" else 1.0
        _, pool = split_pool(len(data.y_train))

        def tensor(x: np.ndarray) -> torch.Tensor:
            return torch.from_numpy((x / scale).astype(np.float32).reshape(len(x), *shape)).to(device)

        x, y = tensor(data.x_train[pool]), torch.from_numpy(data.y_train[pool]).to(device)
        x_test, y_test = tensor(data.x_test), torch.from_numpy(data.y_test).to(device)
        torch.manual_seed(self.seed)
        model = build_classifier(self.arch, self.width, shape, data.n_classes).to(device)
        init = P.weights_snapshot(model)
        g = torch.Generator().manual_seed(self.seed)

        def fit(net: nn.Module, steps: int, schedule=None) -> None:
            def prune_on_schedule(step: int) -> None:
                target = schedule(step)
                if target > P.sparsity(net) + 0.5 / sum(m.numel() for m in P.masks(net).values()):
                    P.magnitude_prune(net, target)

            train_classifier(net, x, y, steps=steps, batch_size=self.batch_size, lr=self.lr, generator=g,
                             before_step=None if schedule is None else prune_on_schedule)

        def evaluate(net: nn.Module) -> tuple[float, float]:
            score = evaluate_classifier(net, x_test, y_test)
            return score.bits_per_label, score.error

        fit(model, self.steps)
        dense_bits, dense_error = evaluate(model)
        metrics: dict[str, Any] = {"dense_test_bits_per_label": dense_bits, "dense_test_error": dense_error}
        if self.method == "oneshot":
            if self.sparsity > 0:
                P.magnitude_prune(model, self.sparsity)
            fit(model, self.finetune_steps)
        elif self.method == "iterative":
            for target in self.rounds():
                P.magnitude_prune(model, target)
                fit(model, self.finetune_steps)
            if not self.rounds():
                fit(model, self.finetune_steps)
        elif self.method == "gradual":
            end = max(1, round(0.75 * self.finetune_steps))
            fit(model, self.finetune_steps,
                schedule=lambda t: P.gradual_sparsity(t, final=self.sparsity, start=0, end=end,
                                                      every=max(1, end // 20)))
            P.magnitude_prune(model, self.sparsity)  # the schedule's last value, exactly
        else:  # ticket: iterative magnitude pruning with rewinding to the initial weights
            for target in self.rounds():
                P.magnitude_prune(model, target)
                P.rewind(model, init)
                fit(model, self.steps)
            control = _clone_with_masks(model, init)
            P.reinitialize(control, seed=self.seed + 1000)
            fit(control, self.steps)
            bits, error = evaluate(control)
            metrics.update(reinit_test_bits_per_label=bits, reinit_test_error=error)
        bits, error = evaluate(model)
        metrics.update(test_bits_per_label=bits, test_error=error, sparsity=P.sparsity(model),
                       nonzero_weights=sum(int(m.sum()) for m in P.masks(model).values()),
                       weights=sum(m.numel() for m in P.masks(model).values()),
                       params=sum(p.numel() for p in model.parameters()),  # weight_orig and biases
                       float32_bits=float32_bits(model),
                       sparse_float32_code_bits=weights_code_length_bits(model, method="float32"))
        quantised = {}
        for bits_q in QUANT_BITS:
            blob = encode_weights(model, method="kmeans", bits=bits_q)
            q_bits, q_error = evaluate(decode_weights(blob, model).to(device).eval())
            quantised[str(bits_q)] = {"code_bits": 8 * len(blob), "test_bits_per_label": q_bits, "test_error": q_error}
        metrics["kmeans"] = quantised
        return metrics


@dataclass(frozen=True, kw_only=True)
class PrunedPixelRun:
    """A pixel model of chapter 6 (:class:`scalingzip.studies.cv.PixelRun`, same recipe, so the same
    dense model), pruned gradually to ``sparsity`` while fine-tuning on the digits pool, then both
    parts of a two-part code measured exactly: the weights (:func:`scalingzip.compressors.weights.encode_weights`,
    k-means at each of :data:`PIXEL_QUANT_BITS`) and the test digits coded by the quantised model
    (:func:`scalingzip.compressors.images.compress_images`, decoded and compared)."""

    hidden: int = 64
    sparsity: float = 0.0
    seed: int = 0
    finetune_steps: int = 2000
    batch_size: int = 32
    lr: float = 1e-3

    def __post_init__(self) -> None:
        if not 0.0 <= self.sparsity < 1.0:
            raise ValueError(f"sparsity must be in [0, 1); got {self.sparsity}")
        if min(self.hidden, self.finetune_steps, self.batch_size) < 1 or not self.lr > 0:
            raise ValueError("hidden, finetune_steps and batch_size must be >= 1, lr > 0")

    def cost(self) -> float:
        return (10_000 + self.finetune_steps) * self.batch_size * (self.hidden + 8)

    def execute(self, device: torch.device) -> dict[str, Any]:
        from scalingzip.compressors.images import compress_images, decompress_images
        from scalingzip.data import load_digits
        from scalingzip.nn import pixel_model as pixels
        from scalingzip.studies.cv import PixelRun

        model, dense = PixelRun(hidden=self.hidden, seed=self.seed).train("cpu")
        data = load_digits()
        _, pool = split_pool(len(data.x_train))
        train = data.x_train[pool]
        c = model.config
        feats = pixels.neighbourhood_features(train, c.levels, c.radius)
        targets = torch.from_numpy(train.reshape(len(train), -1).astype(np.int64))
        opt = torch.optim.Adam(model.parameters(), lr=self.lr)
        g = torch.Generator().manual_seed(self.seed)
        end = max(1, round(0.75 * self.finetune_steps))
        model.train()
        for step in range(self.finetune_steps):
            target = P.gradual_sparsity(step, final=self.sparsity, start=0, end=end, every=max(1, end // 20))
            if target > P.sparsity(model):
                P.magnitude_prune(model, target)
            b = torch.randint(0, len(train), (self.batch_size,), generator=g)
            loss = F.cross_entropy(model(feats[b]).reshape(-1, c.levels), targets[b].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if self.sparsity > 0:
            P.magnitude_prune(model, self.sparsity)
        model.eval()
        n_pixels = data.x_test.size
        metrics: dict[str, Any] = {
            "dense_test_bits_per_pixel": dense["test_bits_per_pixel"],
            "test_bits_per_pixel": pixels.image_code_length_bits(model, data.x_test) / n_pixels,
            "sparsity": P.sparsity(model), "params": dense["params"], "n_test_pixels": n_pixels,
            "float32_bits": float32_bits(model),
            "sparse_float32_code_bits": weights_code_length_bits(model, method="float32"),
        }
        quantised = {}
        for bits in PIXEL_QUANT_BITS:
            weights_blob = encode_weights(model, method="kmeans", bits=bits)
            q_model = decode_weights(weights_blob, model).eval()
            images_blob = compress_images(q_model, data.x_test)
            if not np.array_equal(decompress_images(images_blob, q_model), data.x_test):
                raise RuntimeError("the quantised pixel model's code did not round-trip")
            quantised[str(bits)] = {"model_code_bits": 8 * len(weights_blob), "data_code_bits": 8 * len(images_blob)}
        metrics["kmeans"] = quantised
        return metrics


PIXEL_QUANT_BITS = (3, 4, 5, 6, 8)


def _clone_with_masks(model: nn.Module, init: dict[str, torch.Tensor]) -> nn.Module:
    """A copy of ``model`` with its masks, at the initial weights (the control starts from it)."""
    clone = P.clone(model)
    P.rewind(clone, init)
    return clone


# --- the study of chapter 7 ----------------------------------------------------------------------

SPARSITIES = (0.5, 0.8, 0.9, 0.95, 0.98, 0.99)
TICKET_SPARSITIES = (0.5, 0.8, 0.9, 0.95, 0.98)
SEEDS = (0, 1, 2)
SMALL_WIDTHS = (16, 32, 64)  # dense models whose nonzero count a pruned width-128 model matches
PIXEL_SPARSITIES = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98)


def study() -> dict[str, list[PruneRun | PrunedPixelRun]]:
    """The runs of chapter 7: sparsity sweeps by method, lottery tickets, and sparse-vs-dense at
    equal nonzeros, on the digits with the two-layer MLP of width 128; and chapter 6's pixel model
    of width 64 pruned to growing sparsity, for the two-part code. Three seeds each."""
    groups = {
        "dense": [PruneRun(method="oneshot", sparsity=0.0, seed=s) for s in SEEDS],
        "methods": [PruneRun(method=m, sparsity=q, seed=s)
                    for m in ("oneshot", "iterative", "gradual") for q in SPARSITIES for s in SEEDS],
        "tickets": [PruneRun(method="ticket", sparsity=q, seed=s) for q in TICKET_SPARSITIES for s in SEEDS],
    }
    big = _mlp_weights(128)
    groups["equal-nonzeros"] = [
        run for w in SMALL_WIDTHS for s in SEEDS
        for run in (PruneRun(method="oneshot", width=w, sparsity=0.0, seed=s),
                    PruneRun(method="gradual", width=128, sparsity=round(1 - _mlp_weights(w) / big, 6), seed=s))]
    groups["pixels"] = [PrunedPixelRun(sparsity=q, seed=s) for q in PIXEL_SPARSITIES for s in SEEDS]
    return groups


def _mlp_weights(width: int) -> int:
    """Linear weights (no biases) of the digits MLP of ``width``: 64 -> w -> w -> 10."""
    return 64 * width + width * width + width * 10


def all_runs() -> list[PruneRun | PrunedPixelRun]:
    """Every run of :func:`study` once, in a stable order."""
    return list(dict.fromkeys(r for runs in study().values() for r in runs))
