"""Training and evaluating byte-level language models, with every loss in bits per byte.

A model's average log-loss on held-out bytes, measured in bits (log base 2), is the number of
bits per byte that an arithmetic coder driven by the model would spend on them (plus at most a
couple of bits for the whole message). So the training curve of a byte-level model *is* a curve
of compression rates, and this module reports it in those units: ``nats / ln 2``.

The loop is the usual recipe for small transformers: random windows of the training bytes,
AdamW (Loshchilov & Hutter 2019) with decoupled weight decay on matrices only, a linear warm-up
then cosine decay of the learning rate (as in Hoffmann et al. 2022, who decay to a tenth), and
gradient clipping. It is seeded end to end: the same config and seed give the same curve.

References:
    Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization" (ICLR).
    Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models", section 3.1.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm  # a text bar: tqdm.auto would need ipywidgets in notebooks

__all__ = ["SAMPLINGS", "TrainConfig", "TrainResult", "batch_starts", "evaluate_bits_per_byte", "lr_at", "train"]

LN2 = math.log(2.0)
SAMPLINGS = ("random", "epochs")


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """How to train. Frozen and hashable, so a run can be keyed by its config."""

    steps: int = 500  # optimizer steps
    batch_size: int = 32  # sequences per step
    seq_len: int | None = None  # tokens per sequence; None means the model's n_ctx
    lr: float = 3e-3  # peak learning rate
    warmup_steps: int = 50  # linear warm-up from 0 to lr
    min_lr_ratio: float = 0.1  # cosine decay ends at lr * min_lr_ratio
    weight_decay: float = 0.1  # AdamW weight decay, on weight matrices only
    betas: tuple[float, float] = (0.9, 0.95)  # AdamW moment decay rates
    grad_clip: float = 1.0  # clip the global gradient norm to this (0 disables)
    eval_every: int = 50  # evaluate on held-out bytes every this many steps (0: only at the end)
    eval_bytes: int = 32_768  # held-out bytes used by each evaluation (0: all of them)
    seed: int = 0  # seeds the batches (the model's initial weights have their own seed)
    sampling: str = "random"  # "random": windows at random offsets; "epochs": disjoint windows, each once per epoch

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError(f"steps and batch_size must be >= 1; got {self.steps} and {self.batch_size}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive; got {self.lr}")
        if not 0 <= self.warmup_steps <= self.steps:
            raise ValueError(f"warmup_steps must be between 0 and steps={self.steps}; got {self.warmup_steps}")
        if not 0 <= self.min_lr_ratio <= 1:
            raise ValueError(f"min_lr_ratio must be in [0, 1]; got {self.min_lr_ratio}")
        if self.eval_every < 0 or self.eval_bytes < 0:
            raise ValueError("eval_every and eval_bytes must be >= 0")
        if self.sampling not in SAMPLINGS:
            raise ValueError(f"sampling must be one of {', '.join(SAMPLINGS)}; got {self.sampling!r}")


@dataclass(frozen=True, kw_only=True)
class TrainResult:
    """A training run's curves. Losses are in bits per byte (bits per predicted token)."""

    steps: np.ndarray  # (steps,) step index, 1-based
    tokens: np.ndarray  # (steps,) training tokens seen after each step
    train_bits_per_byte: np.ndarray  # (steps,) loss of each step's batch, before its update
    eval_steps: np.ndarray  # (n_evals,) steps at which the held-out loss was measured
    eval_bits_per_byte: np.ndarray  # (n_evals,) held-out loss at those steps

    @property
    def final_eval_bits_per_byte(self) -> float:
        """The held-out loss after the last step, in bits per byte."""
        return float(self.eval_bits_per_byte[-1])


def lr_at(step: int, config: TrainConfig) -> float:
    """Learning rate at a 0-based step: linear warm-up, then cosine decay to ``lr * min_lr_ratio``."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    cosine = 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
    return config.lr * (config.min_lr_ratio + (1.0 - config.min_lr_ratio) * cosine)


def _as_tensor(data: bytes | np.ndarray | torch.Tensor, name: str) -> torch.Tensor:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return torch.from_numpy(np.frombuffer(bytes(data), dtype=np.uint8).astype(np.int64))
    if isinstance(data, np.ndarray):
        if data.ndim != 1 or data.size and (data.min() < 0 or data.max() > 255):
            raise ValueError(f"{name} must be a 1-D array of byte values in [0, 255]")
        return torch.from_numpy(data.astype(np.int64))
    if isinstance(data, torch.Tensor):
        return data.to(torch.int64).flatten()
    raise TypeError(f"{name} must be bytes, a numpy array or a tensor of byte values; got {type(data).__name__}")


def batch_starts(n_tokens: int, T: int, config: TrainConfig, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """Endless stream of ``(batch_size,)`` start offsets of training windows of ``T + 1`` tokens.

    ``"random"``: uniform offsets. ``"epochs"``: the disjoint windows starting at 0, T, 2T, ...
    (each ends where the next begins, so every token after the first is predicted once per
    epoch), in a fresh random order each epoch; a batch may straddle two epochs.
    """
    if config.sampling == "random":
        while True:
            yield torch.randint(0, n_tokens - T, (config.batch_size,), generator=generator)
    starts = torch.arange(0, n_tokens - T, T)  # the last window ends at or before n_tokens
    queue = torch.empty(0, dtype=torch.int64)
    while True:
        while queue.numel() < config.batch_size:
            queue = torch.cat([queue, starts[torch.randperm(starts.numel(), generator=generator)]])
        yield queue[: config.batch_size]
        queue = queue[config.batch_size :]


def _context_length(model: nn.Module, seq_len: int | None) -> int:
    n_ctx = model.config.n_ctx
    T = n_ctx if seq_len is None else seq_len
    if not 1 <= T <= n_ctx:
        raise ValueError(f"seq_len must be between 1 and the model's n_ctx={n_ctx}; got {T}")
    return T


@torch.no_grad()
def evaluate_bits_per_byte(
    model: nn.Module,
    data: bytes | np.ndarray | torch.Tensor,
    *,
    seq_len: int | None = None,
    max_bytes: int = 0,
    batch_size: int = 64,
) -> float:
    """Average log-loss of a model on bytes, in bits per predicted byte.

    The bytes are cut into consecutive windows of ``seq_len + 1``, overlapping by one byte, so
    that every byte after the first is predicted exactly once, from the bytes before it in its
    window. This is the number the training curves report; :mod:`scalingzip.compressors.lm` measures the
    exact code length of a whole file.

    Args:
        model: a byte-level model with a ``config.n_ctx``.
        data: the held-out bytes (at least two).
        seq_len: window length; defaults to the model's context ``n_ctx``.
        max_bytes: use only the first this many bytes (0: all of them).
        batch_size: windows per forward pass (memory, not the result).
    """
    tokens = _as_tensor(data, "data")
    if max_bytes:
        tokens = tokens[:max_bytes]
    if tokens.numel() < 2:
        raise ValueError(f"need at least 2 bytes to evaluate; got {tokens.numel()}")
    T = _context_length(model, seq_len)
    device = next(model.parameters()).device
    tokens = tokens.to(device)
    was_training = model.training
    model.eval()
    total_bits, n_predicted = 0.0, 0
    starts = list(range(0, tokens.numel() - 1, T))
    windows = [tokens[s : s + T + 1] for s in starts]
    full = [w for w in windows if w.numel() == T + 1]
    tail = [w for w in windows if w.numel() != T + 1]
    for i in range(0, len(full), batch_size):
        batch = torch.stack(full[i : i + batch_size])
        logits = model(batch[:, :-1])
        nats = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1), reduction="sum")
        total_bits += nats.item() / LN2
        n_predicted += batch[:, 1:].numel()
    for w in tail:  # the last, shorter window
        logits = model(w[None, :-1])
        total_bits += F.cross_entropy(logits[0], w[1:], reduction="sum").item() / LN2
        n_predicted += w.numel() - 1
    model.train(was_training)
    return total_bits / n_predicted


def train(
    model: nn.Module,
    train_data: bytes | np.ndarray | torch.Tensor,
    eval_data: bytes | np.ndarray | torch.Tensor | None = None,
    config: TrainConfig = TrainConfig(),
    *,
    progress: bool = True,
) -> TrainResult:
    """Train a byte-level model in place and return its loss curves in bits per byte.

    Each step takes ``batch_size`` windows of ``seq_len + 1`` bytes of ``train_data``, predicts
    every byte of each window from the ones before it, and takes one AdamW step on the mean
    cross-entropy. With ``sampling="random"`` the windows start at seeded random offsets. With
    ``sampling="epochs"`` the data is cut into disjoint windows (consecutive windows share one
    byte, so every byte after the first is predicted once per epoch), visited in a fresh seeded
    order every epoch: during the first epoch each batch is text the model has not trained on,
    so the first epoch's batch losses, taken before each update, add up to a prequential code
    length of the training data (:mod:`scalingzip.studies.sweep` records it for every run).

    Args:
        model: the model to train (modified in place).
        train_data: training bytes; must be longer than one window.
        eval_data: held-out bytes, evaluated every ``config.eval_every`` steps and at the end;
            if None, no held-out curve is recorded.
        config: the :class:`TrainConfig`.
        progress: show a progress bar (tqdm); turn it off in tests and sweeps.
    """
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig; got {type(config).__name__}")
    tokens = _as_tensor(train_data, "train_data")
    T = _context_length(model, config.seq_len)
    if tokens.numel() < T + 2:
        raise ValueError(f"train_data has {tokens.numel()} bytes; need more than one window of {T + 1}")
    generator = torch.Generator().manual_seed(config.seed)  # on the CPU: the same batches on every device
    device = next(model.parameters()).device

    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.lr,
        betas=config.betas,
    )
    offsets = torch.arange(T + 1)
    batches = batch_starts(tokens.numel(), T, config, generator)
    train_bits = np.empty(config.steps)
    eval_steps: list[int] = []
    eval_bits: list[float] = []

    def evaluate(step: int) -> None:
        if eval_data is not None:
            eval_steps.append(step)
            eval_bits.append(evaluate_bits_per_byte(model, eval_data, seq_len=T, max_bytes=config.eval_bytes))

    model.train()
    for step in tqdm(range(config.steps), disable=not progress, desc="training", unit="step"):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, config)
        batch = tokens[next(batches)[:, None] + offsets].to(device)  # (batch, T + 1)
        logits = model(batch[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        train_bits[step] = loss.item() / LN2
        if config.eval_every and (step + 1) % config.eval_every == 0 and step + 1 != config.steps:
            evaluate(step + 1)
    evaluate(config.steps)
    model.eval()

    steps = np.arange(1, config.steps + 1)
    return TrainResult(
        steps=steps,
        tokens=steps * config.batch_size * T,
        train_bits_per_byte=train_bits,
        eval_steps=np.asarray(eval_steps, dtype=np.int64),
        eval_bits_per_byte=np.asarray(eval_bits),
    )
