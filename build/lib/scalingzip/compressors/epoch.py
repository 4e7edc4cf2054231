"""The loss is the file: one epoch of training, and the exact code of the stream it trained on.

A single-epoch run reads its training bytes once, in order: batch ``b`` is the next ``batch_size``
windows of ``seq_len`` bytes, each read after the start byte (so every byte is predicted, the
first from the start byte alone). The model is scored on a batch *before* it trains on it, so the
summed training loss of the epoch, in bits, is a prequential code length of the whole stream
(Blier & Ollivier 2018): the initial weights cost nothing (both sides draw them from the seed),
and nothing else is sent.

* :func:`train_epoch` runs the epoch and returns each batch's code length in bits, taken from
  the very loss that trains the model (no second pass). With the warm-up, stable, decay
  schedule (``schedule="wsd"``) the learning rate before a run's cool-down does not depend on
  the run's length, so one long run also yields every shorter run of the same recipe: given
  ``forks``, :func:`train_epoch` copies the model and its optimiser where a shorter run's
  cool-down starts, trains the copy through that cool-down on the shorter run's last bytes, and
  hands the finished shorter run to ``on_fork``; it is the same, float for float, as training
  the shorter run on its own (a test checks it). Given ``model``, it trains that network (a
  pruned one, say) instead of a fresh one; given ``on_step``, it calls it after every update
  (to prune on a schedule, or to move a sparse mask: :mod:`scalingzip.studies.sparse_lm`).
  Without them a run is what it always was, bit for bit.
* :func:`evaluate_bits` is the code length of held-out bytes under a model, read in the same
  windows as training reads them.
* :func:`encode_epoch` does the same training and arithmetic-codes every byte of every batch,
  in the same order, with the probabilities the model gives before it trains on that batch, into
  one range-coded stream (:mod:`scalingzip.compressors.lm`'s deterministic incremental walk).
  :func:`decode_epoch` decodes a batch, trains on it exactly as the encoder did, and goes on. The
  stream's size is the summed loss plus the coder's rounding: the file *is* the loss curve's area.

Both train on one thread (:func:`~scalingzip.nn.determinism.one_thread`) so that their weights
agree to the last bit; the encoder records a checksum of the final weights, and a decoder whose
training drifted (another machine's floats) says so instead of returning its bytes.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from scalingzip.compressors import as_bytes
from scalingzip.compressors.lm import START_BYTE, StreamLayout, walk_streams
from scalingzip.nn.determinism import one_thread, weights_crc32
from scalingzip.nn.transformer import TransformerConfig, build_model

__all__ = ["EpochCode", "EpochConfig", "EpochResult", "OnStep", "decode_epoch", "encode_epoch", "evaluate_bits",
           "train_epoch"]

# on_step(steps_done, model, optimizer, batch): called after each update of train_epoch's run;
# batch is the (B, seq_len + 1) int64 tensor of windows just trained on (short windows zero-padded)
OnStep = Callable[[int, torch.nn.Module, torch.optim.Optimizer, torch.Tensor], Any]


@dataclass(frozen=True, kw_only=True)
class EpochConfig:
    """How one epoch trains: windows per batch, bytes per window, and AdamW's schedule."""

    batch_size: int = 16
    seq_len: int = 64  # bytes per window; at most the model's n_ctx - 1
    lr: float = 3e-3  # peak learning rate, reached after a linear warm-up
    warmup_steps: int = 10
    weight_decay: float = 0.0
    beta2: float = 0.999  # AdamW's second-moment decay (0.95 is the usual choice for language models)
    seed: int = 0  # the initial weights
    # "cosine": after the warm-up, a cosine decay to lr / 10 over the rest of the epoch.
    # "wsd": warm-up, then constant (stable), then a linear decay over the last `cooldown` of
    # the steps (Hagele et al. 2024), ending at lr / (cool-down steps).
    schedule: str = "cosine"
    cooldown: float = 0.2  # fraction of the steps in the decay ("wsd" only); 0 keeps the rate constant

    def __post_init__(self) -> None:
        for name in ("batch_size", "seq_len"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive int, got {getattr(self, name)!r}")
        if not self.lr > 0 or self.warmup_steps < 0 or self.weight_decay < 0:
            raise ValueError("lr must be > 0, warmup_steps and weight_decay >= 0")
        if not 0 < self.beta2 < 1:
            raise ValueError(f"beta2 must be in (0, 1), got {self.beta2!r}")
        if self.schedule not in ("cosine", "wsd"):
            raise ValueError(f"schedule must be 'cosine' or 'wsd', got {self.schedule!r}")
        if not 0 <= self.cooldown <= 1:
            raise ValueError(f"cooldown must be a fraction in [0, 1], got {self.cooldown!r}")

    @property
    def batch_bytes(self) -> int:
        """Bytes per full batch."""
        return self.batch_size * self.seq_len

    def steps(self, n: int) -> int:
        """Batches in an epoch over ``n`` bytes (the last one may be short)."""
        return -(-n // self.batch_bytes)

    def cooldown_start(self, n: int) -> int:
        """The first step of the decay of a run over ``n`` bytes ("wsd"): steps before it train
        exactly as they would in any longer run of the same recipe."""
        total = self.steps(n)
        if self.schedule != "wsd":
            return 0
        return total - min(total, round(self.cooldown * total))

    def lr_at(self, step: int, n: int) -> float:
        """The learning rate of ``step`` in a run over ``n`` bytes."""
        total = self.steps(n)
        warm = self.lr * (step + 1) / self.warmup_steps if step < self.warmup_steps else self.lr
        if self.schedule == "wsd":
            start = self.cooldown_start(n)
            return warm if step < start else min(warm, self.lr * (total - step) / (total - start))
        if step < self.warmup_steps:
            return warm
        progress = (step - self.warmup_steps) / max(1, total - self.warmup_steps)
        return self.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


@dataclass(frozen=True)
class EpochResult:
    """What one epoch measured: each batch's code length, in bits, before the model trained on it."""

    batch_bits: np.ndarray  # (n_batches,)
    batch_bytes: np.ndarray  # (n_batches,) bytes in each batch
    weights_crc: int  # CRC-32 of the final weights

    @property
    def bits(self) -> float:
        """The prequential code length of the whole stream, in bits."""
        return float(self.batch_bits.sum())

    @property
    def bits_per_byte(self) -> float:
        return self.bits / max(1, int(self.batch_bytes.sum()))


@dataclass(frozen=True)
class EpochCode:
    """An exactly coded epoch: the range coder's stream, and what the training measured."""

    stream: bytes
    n: int  # bytes coded
    result: EpochResult


def _batches(n: int, config: EpochConfig) -> list[tuple[int, StreamLayout]]:
    """(offset, layout) of each batch: ``batch_size`` windows of ``seq_len`` bytes, the last ones shorter."""
    per_batch = config.batch_bytes
    out = []
    for start in range(0, n, per_batch):
        m = min(per_batch, n - start)
        out.append((start, StreamLayout(m, -(-m // config.seq_len), config.seq_len)))
    return out


def _check(model_config: TransformerConfig, config: EpochConfig) -> None:
    if not isinstance(model_config, TransformerConfig):
        raise TypeError(f"model_config must be a TransformerConfig, got {type(model_config).__name__}")
    if not isinstance(config, EpochConfig):
        raise TypeError(f"config must be an EpochConfig, got {type(config).__name__}")
    if config.seq_len > model_config.n_ctx - 1:
        raise ValueError(f"seq_len {config.seq_len} does not fit the model's window (n_ctx {model_config.n_ctx})")


def _targets(seq: torch.Tensor, layout: StreamLayout) -> torch.Tensor:
    """The bytes each position predicts; -100 (ignored) past the end of a short window."""
    targets = seq[:, 1:].clone()
    targets[torch.arange(layout.stream_len)[None, :] >= torch.from_numpy(layout.lengths)[:, None]] = -100
    return targets


def _train_step(model, opt, seq: np.ndarray | torch.Tensor, layout: StreamLayout, lr: float) -> float:
    """Score one batch (its code length in bits, before the update), then train on it."""
    seq = torch.as_tensor(seq)
    targets = _targets(seq, layout)
    logits = model(seq[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100,
                           reduction="sum")
    for group in opt.param_groups:
        group["lr"] = lr
    opt.zero_grad(set_to_none=True)
    (loss / layout.n).backward()
    opt.step()
    return float(loss.detach()) / math.log(2)


def _run(model_config: TransformerConfig, config: EpochConfig, n: int, code_batch, forks=(), on_fork=None,
         model: torch.nn.Module | None = None, on_step: OnStep | None = None) -> EpochResult:
    """Train one epoch over ``n`` bytes; ``code_batch(model, offset, layout) -> (B, seq_len + 1) tokens``
    supplies each batch (coding or decoding it with the model as it is) before the model trains on it.
    Each shorter run of ``forks`` branches off where its cool-down starts (see :func:`train_epoch`).
    ``model`` (trained in place) replaces the fresh one; ``on_step`` is called after each update."""
    _check(model_config, config)
    batches = _batches(n, config)
    if model is None:
        model = build_model(model_config, seed=config.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, betas=(0.9, config.beta2), weight_decay=config.weight_decay)
    bits, sizes = np.zeros(len(batches)), np.zeros(len(batches), dtype=np.int64)
    branch_at: dict[int, list[int]] = {}
    for m in sorted(set(forks) - {n}):  # a shorter run leaves the trunk at its cool-down, or before its short last batch
        branch_at.setdefault(min(config.cooldown_start(m), m // config.batch_bytes), []).append(m)
    with one_thread():
        for step in range(len(batches) + 1):
            for m in branch_at.get(step, ()):
                on_fork(m, *_branch(model, opt, config, m, bits[:step], code_batch))
            if step == len(batches):
                break
            offset, layout = batches[step]
            seq = torch.from_numpy(code_batch(model, offset, layout))
            bits[step] = _train_step(model, opt, seq, layout, config.lr_at(step, n))
            sizes[step] = layout.n
            if on_step is not None:
                on_step(step + 1, model, opt, seq)
    result = EpochResult(bits, sizes, weights_crc32(model))
    if n in forks:
        on_fork(n, model, result)
    return result


def _branch(model, opt, config: EpochConfig, n: int, trunk_bits: np.ndarray, code_batch):
    """Finish a run over ``n`` bytes from a copy of the trunk at its cool-down's first step."""
    model, opt_state = copy.deepcopy(model), copy.deepcopy(opt.state_dict())
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, betas=(0.9, config.beta2), weight_decay=config.weight_decay)
    opt.load_state_dict(opt_state)
    batches = _batches(n, config)
    start = len(trunk_bits)
    bits = np.concatenate([trunk_bits, np.zeros(len(batches) - start)])
    for step in range(start, len(batches)):
        offset, layout = batches[step]
        bits[step] = _train_step(model, opt, code_batch(model, offset, layout), layout, config.lr_at(step, n))
    sizes = np.array([layout.n for _, layout in batches], dtype=np.int64)
    return model, EpochResult(bits, sizes, weights_crc32(model))


def evaluate_bits(model, data: bytes, config: EpochConfig, *, windows_per_batch: int = 64) -> float:
    """The code length of ``data``, in bits, under ``model`` as it is (no training), read as an
    epoch reads it: windows of ``config.seq_len`` bytes, each after the start byte."""
    data = as_bytes(data)
    total = 0.0
    per = windows_per_batch * config.seq_len
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), one_thread():
            for start in range(0, len(data), per):
                m = min(per, len(data) - start)
                layout = StreamLayout(m, -(-m // config.seq_len), config.seq_len)
                seq = torch.from_numpy(layout.split(data[start:start + m]))
                targets = _targets(seq, layout)
                logits = model(seq[:, :-1])
                total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                               ignore_index=-100, reduction="sum"))
    finally:
        model.train(was_training)
    return total / math.log(2)


def train_epoch(data: bytes, model_config: TransformerConfig, config: EpochConfig, *,
                forks: Sequence[int] = (), on_fork: Callable[[int, torch.nn.Module, EpochResult], None] | None = None,
                model: torch.nn.Module | None = None, on_step: OnStep | None = None) -> EpochResult:
    """One epoch over ``data`` in order; returns each batch's code length before the model trained on it.

    Args:
        forks: lengths ``m < len(data)`` of shorter runs of the same recipe to read off this one
            (``schedule="wsd"`` only): each is the run ``train_epoch(data[:m], ...)`` would make.
            ``len(data)`` itself may be listed, to receive this run's own final model.
        on_fork: called as ``on_fork(m, model, result)`` with each run's final model and its
            :class:`EpochResult`, in the order the runs finish.
        model: train this network, in place, instead of ``build_model(model_config, seed=config.seed)``
            (a trained one to fine-tune, one with pruning masks); ``model.config`` must be
            ``model_config``. A new AdamW is made for it, so its schedule starts again.
        on_step: called as ``on_step(steps_done, model, optimizer, batch)`` after each update
            (``steps_done`` from 1; ``batch`` the ``(B, seq_len + 1)`` int64 tensor just trained on,
            start byte first, short windows zero-padded), e.g. to prune on a schedule or to update a
            sparse mask (:class:`~scalingzip.nn.sparse_training.PruneRegrow`). What it changes is
            trained on from the next step. Neither ``model`` nor ``on_step`` goes with shorter
            ``forks``: the branches would copy a masked model, and interleave the hook's calls.

    Without ``model`` and ``on_step`` the run is exactly what it was before they existed.
    """
    data = as_bytes(data)
    forks = tuple(forks)
    if model is not None:
        if not isinstance(model, torch.nn.Module) or getattr(model, "config", None) != model_config:
            raise ValueError("model must be a network whose config is model_config; build it with "
                             "build_model(model_config, seed=...)")
    if on_step is not None and not callable(on_step):
        raise TypeError(f"on_step must be callable; got {type(on_step).__name__}")
    if (model is not None or on_step is not None) and set(forks) - {len(data)}:
        raise ValueError("model and on_step cannot be combined with shorter forks: run each length on its own")
    if forks:
        if on_fork is None:
            raise ValueError("forks need on_fork, to receive each shorter run")
        bad = [m for m in forks if not (isinstance(m, int) and 0 < m <= len(data))]
        if bad:
            raise ValueError(f"each fork must be an int in (0, {len(data)}]; got {bad[0]!r}")
        if config.schedule != "wsd" and set(forks) != {len(data)}:
            raise ValueError("forks need schedule='wsd': a cosine run's rate depends on its length from the start")
    return _run(model_config, config, len(data), lambda net, offset, layout: layout.split(data[offset:offset + layout.n]),
                forks, on_fork, model=model, on_step=on_step)


def encode_epoch(data: bytes, model_config: TransformerConfig, config: EpochConfig) -> EpochCode:
    """Train one epoch over ``data`` and code every byte exactly, each batch before the model trains on it."""
    data = as_bytes(data)
    import constriction as c
    encoder = c.stream.queue.RangeEncoder()
    family = c.stream.model.Categorical(perfect=False)

    def code_batch(model, offset, layout):
        seq = layout.split(data[offset:offset + layout.n])
        truth = seq.copy()

        def choose(probs, active, pos):
            symbols = truth[active, pos]
            encoder.encode(symbols.astype(np.int32), family, probs)
            return symbols

        walk_streams(model, layout, seq, choose)
        return seq

    result = _run(model_config, config, len(data), code_batch)
    return EpochCode(encoder.get_compressed().astype("<u4").tobytes(), len(data), result)


def decode_epoch(stream: bytes, n: int, model_config: TransformerConfig, config: EpochConfig,
                 weights_crc: int) -> bytes:
    """Decode ``n`` bytes coded by :func:`encode_epoch` with the same configs, training as the encoder did.

    Raises:
        ValueError: if the stream is truncated or corrupt, or the decoder's training ended with
            other weights than the encoder's (``weights_crc``): its floats differ from the encoder's.
    """
    stream = as_bytes(stream, "stream")
    if len(stream) % 4:
        raise ValueError(f"stream has {len(stream)} bytes, not whole 32-bit words: it is truncated or corrupt")
    import constriction as c
    decoder = c.stream.queue.RangeDecoder(np.frombuffer(stream, dtype="<u4").astype(np.uint32))
    family = c.stream.model.Categorical(perfect=False)
    out = bytearray()

    def code_batch(model, offset, layout):
        seq = np.zeros((layout.n_streams, layout.stream_len + 1), dtype=np.int64)
        seq[:, 0] = START_BYTE
        walk_streams(model, layout, seq, lambda probs, active, pos: np.asarray(decoder.decode(family, probs), dtype=np.int64))
        out.extend(layout.join(seq))
        return seq

    try:
        result = _run(model_config, config, int(n), code_batch)
    except (AssertionError, RuntimeError) as err:
        raise ValueError(f"stream is truncated or corrupt: the range decoder failed ({err})") from None
    if not decoder.maybe_exhausted():
        raise ValueError("stream has words left after the last byte: it is corrupt or has trailing data")
    if result.weights_crc != weights_crc:
        raise ValueError("the decoder's training ended with other weights than the encoder's: this machine's "
                         "floating point differs from the encoder's, so its bytes cannot be trusted")
    return bytes(out)
