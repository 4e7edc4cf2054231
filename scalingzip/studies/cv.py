"""The vision chapter's scaling study: image classifiers and pixel models, run through :mod:`scalingzip.studies.sweep`.

A :class:`ClassifierRun` trains one classifier (an MLP or a small CNN) on a real offline dataset of
:mod:`scalingzip.data` (the 8x8 handwritten digits, or MNIST-1D generated locally) and measures it
on the held-out test part: the test loss in **bits per label**, which is the code length of the
test labels given the images under the model, and the test error. A :class:`PixelRun` trains an
autoregressive pixel model (:mod:`scalingzip.nn.pixel_model`) on the digits and codes the test digits with
it, exactly: **bits per pixel**.

The training split is cut once, by a fixed seed, into a validation part (:data:`VAL_FRACTION`)
and a pool from which each run takes its ``n_train`` examples. Training stops early in the sense
of Kaplan et al.'s data-limited laws: the validation loss is evaluated at ``evals`` geometrically
spaced steps, training ends after ``patience`` evaluations without improvement, and the weights
kept are those of the evaluation with the lowest validation loss, so a small training set gives a
model that stopped before overfitting, not one that memorised its labels.

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

__all__ = ["ARCHS", "DATASETS", "ClassifierRun", "PixelRun", "TRAIN_SIZES", "WIDTHS", "all_runs", "build_classifier", "load_dataset",
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
    patience: int = 6  # stop once this many evaluations in a row have not improved on the best

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS or self.arch not in ARCHS:
            raise ValueError(f"dataset must be one of {DATASETS} and arch one of {ARCHS}")
        if self.n_train < 0 or min(self.steps, self.batch_size, self.evals, self.patience) < 1 or not self.lr > 0:
            raise ValueError("n_train must be >= 0, steps, batch_size, evals and patience >= 1, lr > 0")
        if not 0 <= self.label_noise < 1:
            raise ValueError(f"label_noise must be in [0, 1); got {self.label_noise}")

    def cost(self) -> float:
        return self.steps * self.batch_size * self.width

    def execute(self, device: torch.device) -> dict[str, Any]:
        return self.train(device)[1]

    def train(self, device: torch.device | str = "cpu") -> tuple[nn.Module, dict[str, Any]]:
        """Train and measure; return the model (the kept checkpoint, in eval mode) and the metrics."""
        device = torch.device(device)
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

        def train_step() -> torch.Tensor:
            b = torch.randint(0, n, (min(self.batch_size, n),), generator=g).to(device)
            return F.cross_entropy(model(x[b]), y[b])

        def validate() -> float:
            with torch.no_grad():
                return F.cross_entropy(model(x_val), y_val).item() / LN2

        run = train_early_stopping(model, opt, train_step, validate, steps=self.steps, evals=self.evals,
                                   patience=self.patience)
        with torch.no_grad():
            logits = model(x_test)
            test_bits = F.cross_entropy(logits, y_test).item() / LN2
            test_error = (logits.argmax(1) != y_test).float().mean().item()
            train_error = (model(x).argmax(1) != y).float().mean().item()
        return model, {
            "test_bits_per_label": test_bits,  # code length of a test label given its image
            "test_error": test_error,
            "train_error": train_error,
            "val_bits_per_label": run.best_val,
            "best_step": run.best_step,
            "steps_run": len(run.train_bits),
            "n_train": n,
            "n_val": len(val_idx),
            "n_test": len(data.y_test),
            "params": sum(p.numel() for p in model.parameters()),
            "train_curve_bits": run.binned_train_bits(),
            "val_curve": run.val_curve,
        }


@dataclass(frozen=True, kw_only=True)
class PixelRun:
    """An autoregressive pixel model (:mod:`scalingzip.nn.pixel_model`) trained on the digits' training
    pool and measured as a compressor of the test images: bits per pixel, ideal and coded exactly.

    Early stopping as for :class:`ClassifierRun`: the validation part of the training split picks
    the evaluation with the lowest code length.
    """

    hidden: int  # hidden width; 0: a linear softmax model
    layers: int = 2
    radius: int = 2
    n_train: int = 0  # training images, the first n of the pool's seeded shuffle; 0: the whole pool
    steps: int = 10_000
    batch_size: int = 32  # images per step (64 pixels each)
    lr: float = 3e-3
    seed: int = 0
    evals: int = 30
    patience: int = 6

    def __post_init__(self) -> None:
        if self.hidden < 0 or self.n_train < 0:
            raise ValueError("hidden and n_train must be >= 0")
        if min(self.layers, self.radius, self.steps, self.batch_size, self.evals, self.patience) < 1 or not self.lr > 0:
            raise ValueError("layers, radius, steps, batch_size, evals and patience must be >= 1, lr > 0")

    def cost(self) -> float:
        return self.steps * self.batch_size * (self.hidden + 8) * self.layers

    def execute(self, device: torch.device) -> dict[str, Any]:
        return self.train(device)[1]

    def train(self, device: torch.device | str = "cpu") -> tuple[nn.Module, dict[str, Any]]:
        """Train, code the test digits; return the model (best checkpoint, eval mode) and the metrics."""
        from scalingzip.nn import pixel_model as pixels

        data = load_digits()
        levels, (H, W) = 17, data.x_train.shape[1:]
        val_idx, pool = split_pool(len(data.x_train))
        rng = np.random.default_rng(self.seed)
        n = len(pool) if self.n_train == 0 else self.n_train
        if n > len(pool):
            raise ValueError(f"n_train={n} exceeds the {len(pool)} images of the digits training pool")
        train = data.x_train[pool[rng.permutation(len(pool))[:n]]]
        config = pixels.PixelModelConfig(levels=levels, height=H, width=W, radius=self.radius,
                                         hidden=self.hidden, layers=self.layers)
        model = pixels.PixelModel(config, seed=self.seed)
        feats = pixels.neighbourhood_features(train, levels, self.radius)
        targets = torch.from_numpy(train.reshape(n, -1).astype(np.int64))
        opt = torch.optim.Adam(model.parameters(), lr=self.lr)
        g = torch.Generator().manual_seed(self.seed)

        def train_step() -> torch.Tensor:
            b = torch.randint(0, n, (min(self.batch_size, n),), generator=g)
            return F.cross_entropy(model(feats[b]).reshape(-1, levels), targets[b].reshape(-1))

        def bits_per_pixel(images: np.ndarray) -> float:
            return pixels.image_code_length_bits(model, images) / images.size

        x_val = data.x_train[val_idx]
        run = train_early_stopping(model, opt, train_step, lambda: bits_per_pixel(x_val), steps=self.steps,
                                   evals=self.evals, patience=self.patience)
        blob = pixels.compress_images(model, data.x_test)
        if not np.array_equal(pixels.decompress_images(blob, model), data.x_test):
            raise RuntimeError("the pixel model's code did not round-trip")  # cannot happen; checked anyway
        return model, {
            "test_bits_per_pixel": bits_per_pixel(data.x_test),  # ideal code length under the model
            "coded_bits_per_pixel": 8 * len(blob) / data.x_test.size,  # the container, header included
            "train_bits_per_pixel": bits_per_pixel(train),
            "val_bits_per_pixel": run.best_val,
            "best_step": run.best_step,
            "steps_run": len(run.train_bits),
            "n_train": n,
            "n_test": len(data.x_test),
            "params": model.n_params,
            "train_curve_bits": run.binned_train_bits(),
            "val_curve": run.val_curve,
        }


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


def train_early_stopping(model: nn.Module, opt: torch.optim.Optimizer, train_step, validate, *, steps: int,
                         evals: int, patience: int) -> EarlyStoppingRun:
    """Train with early stopping; leave ``model`` at its best evaluated weights, in eval mode.

    ``train_step()`` returns one batch's loss (nats, with gradients); ``validate()`` returns the
    validation loss in bits and is called in eval mode. The validation loss is evaluated before the
    first step (so the initial model is always a fallback) and after ``evals`` geometrically spaced
    steps (small data overfits within tens of steps); training ends after ``patience`` evaluations
    in a row without improvement, or after ``steps`` steps.
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


VAL_FRACTION = 0.2  # of each training split, held out once for early stopping
SPLIT_SEED = 12345  # fixes which training examples are validation, the same for every run


def split_pool(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(validation indices, pool indices) of a training split of ``n`` examples; fixed for all runs."""
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    n_val = round(n * VAL_FRACTION)
    return np.sort(order[:n_val]), np.sort(order[n_val:])


# --- the study of chapter 6 ----------------------------------------------------------------------

WIDTHS = {"mlp": (4, 8, 16, 32, 64, 128, 256), "cnn": (2, 4, 8, 16, 32, 64)}
# halvings of each training pool (1,150 digits, 3,200 MNIST-1D); 0 is the whole pool, so the largest
# point of a data sweep is the same run as the width sweep's model of that width
TRAIN_SIZES = {"digits": (36, 72, 144, 288, 575, 0), "mnist1d": (100, 200, 400, 800, 1600, 0)}
DATA_SWEEP_WIDTH = 32  # the CNN of the data-size sweeps
LABEL_NOISE = (0.0, 0.2)  # the data-size sweeps with clean and with partly random labels
STEPS = 6000
LR = 3e-3
SEEDS = (0, 1, 2)  # every point of the design is trained from three seeds


PIXEL_WIDTHS = (0, 4, 8, 16, 32, 64, 128, 256)  # hidden width of the pixel models; 0: linear
PIXEL_TRAIN_SIZES = (36, 72, 144, 288, 575, 0)  # training images of the pixel-model data sweep


def study() -> dict[str, list[ClassifierRun | PixelRun]]:
    """The runs of chapter 6, by group: model size (MLP and CNN widths on the whole pool) and data
    size (the CNN of width :data:`DATA_SWEEP_WIDTH`, clean and noisy labels), each from three seeds."""
    base = dict(steps=STEPS, lr=LR)
    return {
        "width": [ClassifierRun(dataset=d, arch=a, width=w, seed=s, **base)
                  for d in DATASETS for a in ARCHS for w in WIDTHS[a] for s in SEEDS],
        "data": [ClassifierRun(dataset=d, arch="cnn", width=DATA_SWEEP_WIDTH, n_train=n, label_noise=noise, seed=s,
                               **base)
                 for d in DATASETS for noise in LABEL_NOISE for n in TRAIN_SIZES[d] for s in SEEDS],
        "pixels": [PixelRun(hidden=h, seed=s) for h in PIXEL_WIDTHS for s in SEEDS],
        "pixels-data": [PixelRun(hidden=64, n_train=n, seed=s) for n in PIXEL_TRAIN_SIZES for s in SEEDS],
    }


def all_runs() -> list[ClassifierRun | PixelRun]:
    """Every run of :func:`study` once, in a stable order."""
    return list(dict.fromkeys(r for runs in study().values() for r in runs))
