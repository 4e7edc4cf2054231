"""Image classifiers and the one recipe that trains them: builders, minibatch AdamW, early stopping.

The course's classifiers (chapters 6 and 7, and the studies :mod:`scalingzip.studies.cv` and
:mod:`scalingzip.studies.pruned`) are all built by :func:`build_classifier` and trained by the same
recipe: AdamW on minibatches drawn uniformly with replacement by a seeded generator
(:func:`minibatch_loss`), either for a fixed number of steps (:func:`train_classifier`) or with
early stopping on a validation set (:func:`train_early_stopping`, which any model with a
``train_step`` can use: the pixel models of chapter 6 do). Losses are cross-entropies; a test loss
in **bits per label** (:func:`evaluate_classifier`) is the code length of the test labels given
their images under the model.

The CNN is written with an explicit ``flatten`` between the convolutions and the linear layer,
and its linear layer's width is computed from the input shape, not typed in: the two mistakes of
the popular MNIST snippet (a ``Linear(320, 10)`` applied to an unflattened feature map).

The order of the random draws is part of the recipe: a run seeds the global generator just before
building its model (the initial weights), and one :class:`torch.Generator` draws its batches, one
``randint`` per step, so a recorded run is reproduced bit for bit on the same machine.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "ARCHS",
    "ClassifierScore",
    "EarlyStoppingRun",
    "build_classifier",
    "evaluate_classifier",
    "minibatch_loss",
    "train_classifier",
    "train_early_stopping",
]

LN2 = math.log(2.0)
ARCHS = ("mlp", "cnn")


def build_classifier(arch: str, width: int, input_shape: tuple[int, ...], n_classes: int) -> nn.Module:
    """An MLP (two hidden layers of ``width``) or a CNN (two convolutions of ``width`` and
    ``2 width`` channels, 2x max-pooling, flatten, linear) for inputs of ``input_shape``
    (channels first: ``(1, 8, 8)`` for the digits, ``(1, 40)`` for MNIST-1D).

    The weights are drawn from torch's global generator: seed it first (``torch.manual_seed``).
    """
    if not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive integer; got {width!r}")
    if arch == "mlp":
        n_in = int(np.prod(input_shape))
        return nn.Sequential(nn.Flatten(), nn.Linear(n_in, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                             nn.Linear(width, n_classes))
    if arch == "cnn":
        conv, pool = (nn.Conv2d, nn.MaxPool2d) if len(input_shape) == 3 else (nn.Conv1d, nn.MaxPool1d)
        features = nn.Sequential(conv(input_shape[0], width, 3, padding=1), nn.ReLU(),
                                 conv(width, 2 * width, 3, padding=1), nn.ReLU(), pool(2), nn.Flatten())
        with torch.no_grad():  # the flattened size, computed rather than typed in
            n_flat = features(torch.zeros(1, *input_shape)).shape[1]
        return nn.Sequential(features, nn.Linear(n_flat, n_classes))
    raise ValueError(f"unknown arch {arch!r}; choose one of {', '.join(ARCHS)}")


def minibatch_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, batch_size: int,
                   generator: torch.Generator) -> torch.Tensor:
    """Cross-entropy (nats, with gradients) of ``min(batch_size, len(y))`` examples drawn uniformly
    with replacement: one ``randint`` from ``generator`` (on the CPU), moved to ``x``'s device."""
    b = torch.randint(0, len(y), (min(batch_size, len(y)),), generator=generator).to(x.device)
    return F.cross_entropy(model(x[b]), y[b])


def _generator(seed: int | None, generator: torch.Generator | None) -> torch.Generator:
    if (seed is None) == (generator is None):
        raise ValueError("give exactly one of seed (a fresh generator) and generator (one shared across calls)")
    return torch.Generator().manual_seed(seed) if generator is None else generator


def train_classifier(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, steps: int, batch_size: int = 64,
                     lr: float = 3e-3, weight_decay: float = 0.0, seed: int | None = None,
                     generator: torch.Generator | None = None,
                     before_step: Callable[[int], None] | None = None) -> None:
    """Train ``model`` for ``steps`` steps of AdamW on minibatches of ``(x, y)``; leave it in eval mode.

    Args:
        model: a classifier (logits of shape ``(batch, classes)``).
        x, y: the training inputs (float, the model's input shape) and labels (int64).
        steps: optimiser steps; a new AdamW is made for this call.
        seed: seeds a fresh batch generator; or
        generator: a generator shared across calls (a study that trains, prunes and fine-tunes
            one model draws all its batches from one generator).
        before_step: called with the step's index before each step (a pruning schedule).
    """
    g = _generator(seed, generator)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    model.train()
    for step in range(steps):
        if before_step is not None:
            before_step(step)
        loss = minibatch_loss(model, x, y, batch_size=batch_size, generator=g)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    model.eval()


@dataclass(frozen=True, kw_only=True)
class ClassifierScore:
    """A classifier on a labelled set."""

    bits_per_label: float  # mean cross-entropy in bits: the code length of a label given its input
    error: float  # fraction of examples misclassified, in [0, 1]


def evaluate_classifier(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> ClassifierScore:
    """The loss in bits per label and the error of ``model`` (in its current mode) on ``(x, y)``, in one pass."""
    with torch.no_grad():
        logits = model(x)
        return ClassifierScore(bits_per_label=F.cross_entropy(logits, y).item() / LN2,
                               error=(logits.argmax(1) != y).float().mean().item())


@dataclass
class EarlyStoppingRun:
    """What :func:`train_early_stopping` did: the kept evaluation and the curves."""

    best_val: float  # validation loss of the kept weights, bits
    best_step: int  # the step after which they were evaluated (0: the initial model)
    train_bits: list[float]  # training loss of every step run, bits
    val_curve: list[tuple[int, float]]  # (step, validation loss) of every evaluation, rounded

    def binned_train_bits(self, n_bins: int = 50) -> list[float]:
        """The training curve averaged over at most ``n_bins`` consecutive bins, rounded."""
        bins = np.array_split(np.array(self.train_bits), min(n_bins, len(self.train_bits)))
        return [round(float(c.mean()), 6) for c in bins]


def train_early_stopping(model: nn.Module, opt: torch.optim.Optimizer, train_step: Callable[[], torch.Tensor],
                         validate: Callable[[], float], *, steps: int, evals: int,
                         patience: int) -> EarlyStoppingRun:
    """Train with early stopping; leave ``model`` at its best evaluated weights, in eval mode.

    ``train_step()`` returns one batch's loss (nats, with gradients; for a classifier,
    :func:`minibatch_loss`); ``validate()`` returns the validation loss in bits and is called in
    eval mode. The validation loss is evaluated before the first step (so the initial model is
    always a fallback) and after ``evals`` geometrically spaced steps (small data overfits within
    tens of steps); training ends after ``patience`` evaluations in a row without improvement, or
    after ``steps`` steps.
    """
    eval_steps = set(np.unique(np.geomspace(1, steps, evals).round().astype(int)).tolist())
    model.eval()
    best = (validate(), 0, copy.deepcopy(model.state_dict()))
    val_curve = [(0, round(best[0], 6))]
    train_bits: list[float] = []
    for step in range(steps):
        model.train()
        loss = train_step()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        train_bits.append(loss.item() / LN2)
        if step + 1 in eval_steps:
            model.eval()
            val = validate()
            val_curve.append((step + 1, round(val, 6)))
            if val < best[0]:
                best = (val, step + 1, copy.deepcopy(model.state_dict()))
            elif [s for s, _ in val_curve].index(best[1]) <= len(val_curve) - 1 - patience:
                break  # no improvement in the last `patience` evaluations
    model.load_state_dict(best[2])
    model.eval()
    return EarlyStoppingRun(best_val=best[0], best_step=best[1], train_bits=train_bits, val_curve=val_curve)
