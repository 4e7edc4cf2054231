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
model that stopped before overfitting, not one that memorised its labels. The models and the
training recipe are those of :mod:`scalingzip.nn.classifiers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from scalingzip.data import LabelledData, load_digits, load_mnist1d
from scalingzip.nn.classifiers import (ARCHS, build_classifier, evaluate_classifier, minibatch_loss,
                                       train_early_stopping)

__all__ = ["ARCHS", "DATASETS", "ClassifierRun", "PixelRun", "TRAIN_SIZES", "WIDTHS", "all_runs", "load_dataset",
           "split_pool", "study"]

DATASETS = ("digits", "mnist1d")


def load_dataset(name: str) -> tuple[LabelledData, tuple[int, ...]]:
    """The dataset and the shape of one example as the models see it (channels first)."""
    if name == "digits":
        d = load_digits()
        return d, (1, 8, 8)
    if name == "mnist1d":
        d = load_mnist1d()
        return d, (1, 40)
    raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")


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

        run = train_early_stopping(model, opt,
                                   train_step=lambda: minibatch_loss(model, x, y, batch_size=self.batch_size, generator=g),
                                   validate=lambda: evaluate_classifier(model, x_val, y_val).bits_per_label,
                                   steps=self.steps, evals=self.evals, patience=self.patience)
        test = evaluate_classifier(model, x_test, y_test)
        return model, {
            "test_bits_per_label": test.bits_per_label,  # code length of a test label given its image
            "test_error": test.error,
            "train_error": evaluate_classifier(model, x, y).error,
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
        from scalingzip.compressors.images import compress_images, decompress_images
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
        blob = compress_images(model, data.x_test)
        if not np.array_equal(decompress_images(blob, model), data.x_test):
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
