"""Image classifiers for the vision chapter's scaling sweeps (run through :mod:`scalingzip.sweep`).

A run trains one classifier (an MLP or a small CNN) on a real offline dataset of
:mod:`scalingzip.data` (the 8x8 handwritten digits, or MNIST-1D generated locally) and measures it
on the held-out test part: the test loss in **bits per label**, which is the code length of the
test labels given the images under the model, and the test error.

The training split is cut once, by a fixed seed, into a validation part (:data:`VAL_FRACTION`)
and a pool from which each run takes its ``n_train`` examples. Training stops early in the sense
of Kaplan et al.'s data-limited laws: the weights kept are those of the evaluation with the
lowest validation loss, so a small training set gives a model that stopped before overfitting,
not one that memorised its labels.

The CNN is written with an explicit ``flatten`` between the convolutions and the linear layer,
and its linear layer's width is computed from the input shape, not typed in: the two mistakes of
the popular MNIST snippet (a ``Linear(320, 10)`` applied to an unflattened feature map).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from scalingzip.data import LabelledData, load_digits, load_mnist1d

__all__ = ["ARCHS", "DATASETS", "ClassifierRun", "TRAIN_SIZES", "WIDTHS", "all_runs", "build_classifier", "load_dataset",
           "study"]

LN2 = math.log(2.0)
DATASETS = ("digits", "mnist1d")
ARCHS = ("mlp", "cnn")


def load_dataset(name: str) -> tuple[LabelledData, tuple[int, ...]]:
    """The dataset and the shape of one example as the models see it (channels first)."""
    if name == "digits":
        d = load_digits()
        return d, (1, 8, 8)
    if name == "mnist1d":
        d = load_mnist1d()
        return d, (1, 40)
    raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")


def build_classifier(arch: str, width: int, input_shape: tuple[int, ...], n_classes: int) -> nn.Module:
    """An MLP (two hidden layers of ``width``) or a CNN (two convolutions of ``width`` and
    ``2 width`` channels, 2x max-pooling, flatten, linear) for inputs of ``input_shape``."""
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


@dataclass(frozen=True, kw_only=True)
class ClassifierRun:
    """One classifier trained on (part of) a dataset's training split, tested on its test split."""

    dataset: str  # "digits" or "mnist1d"
    arch: str  # "mlp" or "cnn"
    width: int  # hidden units (MLP) or first-layer channels (CNN)
    n_train: int = 0  # training examples used, the first n of the pool's seeded shuffle; 0: the whole pool
    steps: int = 1000
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 0.0
    label_noise: float = 0.0  # fraction of training and validation labels replaced by random ones
    seed: int = 0  # seeds the weights, the subset, the noise and the batches
    evals: int = 30  # validation evaluations along training (early stopping picks the best)

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS or self.arch not in ARCHS:
            raise ValueError(f"dataset must be one of {DATASETS} and arch one of {ARCHS}")
        if self.n_train < 0 or self.steps < 1 or self.batch_size < 1 or self.evals < 1 or not self.lr > 0:
            raise ValueError("n_train must be >= 0, steps, batch_size and evals >= 1, lr > 0")
        if not 0 <= self.label_noise < 1:
            raise ValueError(f"label_noise must be in [0, 1); got {self.label_noise}")

    def cost(self) -> float:
        return self.steps * self.batch_size * self.width

    def execute(self, device: torch.device) -> dict[str, Any]:
        data, shape = load_dataset(self.dataset)
        scale = 16.0 if self.dataset == "digits" else 1.0  # digits: grey levels 0-16

        def tensor(x: np.ndarray) -> torch.Tensor:
            return torch.from_numpy((x / scale).astype(np.float32).reshape(len(x), *shape)).to(device)

        val_idx, pool = split_pool(len(data.y_train))
        rng = np.random.default_rng(self.seed)
        n = len(pool) if self.n_train == 0 else self.n_train
        if n > len(pool):
            raise ValueError(f"n_train={n} exceeds the {len(pool)} examples of the {self.dataset} training pool")
        idx = pool[rng.permutation(len(pool))[:n]]
        y_np, y_val_np = data.y_train[idx].copy(), data.y_train[val_idx].copy()
        for labels in (y_np, y_val_np):
            noisy = rng.random(len(labels)) < self.label_noise
            labels[noisy] = rng.integers(0, data.n_classes, noisy.sum())
        x, y = tensor(data.x_train[idx]), torch.from_numpy(y_np).to(device)
        x_val, y_val = tensor(data.x_train[val_idx]), torch.from_numpy(y_val_np).to(device)
        x_test, y_test = tensor(data.x_test), torch.from_numpy(data.y_test).to(device)

        torch.manual_seed(self.seed)
        model = build_classifier(self.arch, self.width, shape, data.n_classes).to(device)
        opt = torch.optim.AdamW(model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        g = torch.Generator().manual_seed(self.seed)
        # evaluations at geometrically spaced steps (small data overfits within tens of steps), and
        # before the first step, so that early stopping can always fall back on the initial model
        eval_steps = set(np.unique(np.geomspace(1, self.steps, self.evals).round().astype(int)).tolist())

        def validate() -> float:
            model.eval()
            with torch.no_grad():
                return F.cross_entropy(model(x_val), y_val).item() / LN2

        best = (validate(), 0, copy.deepcopy(model.state_dict()))
        val_curve = [(0, round(best[0], 6))]
        train_bits = np.empty(self.steps)
        for step in range(self.steps):
            model.train()
            b = torch.randint(0, n, (min(self.batch_size, n),), generator=g).to(device)
            loss = F.cross_entropy(model(x[b]), y[b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            train_bits[step] = loss.item() / LN2
            if step + 1 in eval_steps:
                val = validate()
                val_curve.append((step + 1, round(val, 6)))
                if val < best[0]:
                    best = (val, step + 1, copy.deepcopy(model.state_dict()))
        model.load_state_dict(best[2])
        model.eval()
        with torch.no_grad():
            logits = model(x_test)
            test_bits = F.cross_entropy(logits, y_test).item() / LN2
            test_error = (logits.argmax(1) != y_test).float().mean().item()
            train_error = (model(x).argmax(1) != y).float().mean().item()
        bins = np.array_split(train_bits, min(50, self.steps))
        return {
            "test_bits_per_label": test_bits,  # code length of a test label given its image
            "test_error": test_error,
            "train_error": train_error,
            "val_bits_per_label": best[0],
            "best_step": best[1],
            "n_train": n,
            "n_val": len(val_idx),
            "n_test": len(data.y_test),
            "params": sum(p.numel() for p in model.parameters()),
            "train_curve_bits": [round(float(c.mean()), 6) for c in bins],
            "val_curve": val_curve,
        }


VAL_FRACTION = 0.2  # of each training split, held out once for early stopping
SPLIT_SEED = 12345  # fixes which training examples are validation, the same for every run


def split_pool(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(validation indices, pool indices) of a training split of ``n`` examples; fixed for all runs."""
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    n_val = round(n * VAL_FRACTION)
    return np.sort(order[:n_val]), np.sort(order[n_val:])


# --- the study of chapter 6 ----------------------------------------------------------------------

WIDTHS = {"mlp": (4, 8, 16, 32, 64, 128, 256), "cnn": (2, 4, 8, 16, 32, 64)}
TRAIN_SIZES = {"digits": (36, 72, 144, 288, 575, 1150), "mnist1d": (100, 200, 400, 800, 1600, 3200)}
DATA_SWEEP_WIDTH = 32  # the CNN of the data-size sweeps
LABEL_NOISE = (0.0, 0.2)  # the data-size sweeps with clean and with partly random labels
STEPS = 1500
LR = 3e-3


def study() -> dict[str, list[ClassifierRun]]:
    """The runs of chapter 6, by group: model size, data size (clean and noisy labels), seeds."""
    base = dict(steps=STEPS, lr=LR)
    groups: dict[str, list[ClassifierRun]] = {
        "width": [ClassifierRun(dataset=d, arch=a, width=w, **base)
                  for d in DATASETS for a in ARCHS for w in WIDTHS[a]],
        "data": [ClassifierRun(dataset=d, arch="cnn", width=DATA_SWEEP_WIDTH, n_train=n, label_noise=noise, **base)
                 for d in DATASETS for noise in LABEL_NOISE for n in TRAIN_SIZES[d]],
        "seeds": [ClassifierRun(dataset=d, arch=a, width=w, seed=s, **base)
                  for d in DATASETS for a, w in (("mlp", 32), ("cnn", 8)) for s in (1, 2)],
    }
    return groups


def all_runs() -> list[ClassifierRun]:
    """Every run of :func:`study` once, in a stable order."""
    return list(dict.fromkeys(r for runs in study().values() for r in runs))
