"""The loss is the file: one epoch of training, and the exact code of the stream it trained on.

A single-epoch run reads its training bytes once, in order: batch ``b`` is the next ``batch_size``
windows of ``seq_len`` bytes, each read after the start byte (so every byte is predicted, the
first from the start byte alone). The model is scored on a batch *before* it trains on it, so the
summed training loss of the epoch, in bits, is a prequential code length of the whole stream
(Blier & Ollivier 2018): the initial weights cost nothing (both sides draw them from the seed),
and nothing else is sent.

* :func:`train_epoch` runs the epoch and returns each batch's code length in bits, taken from
  the very loss that trains the model (no second pass).
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

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from scalingzip.compressors import as_bytes
from scalingzip.compressors.lm import START_BYTE, StreamLayout, walk_streams
from scalingzip.nn.determinism import one_thread, weights_crc32
from scalingzip.nn.transformer import TransformerConfig, build_model

__all__ = ["EpochCode", "EpochConfig", "EpochResult", "decode_epoch", "encode_epoch", "train_epoch"]


@dataclass(frozen=True, kw_only=True)
class EpochConfig:
    """How one epoch trains: windows per batch, bytes per window, and AdamW's schedule."""

    batch_size: int = 16
    seq_len: int = 64  # bytes per window; at most the model's n_ctx - 1
    lr: float = 3e-3  # peak learning rate, after a linear warm-up, then a cosine decay to lr / 10
    warmup_steps: int = 10
    weight_decay: float = 0.0
    seed: int = 0  # the initial weights

    def __post_init__(self) -> None:
        for name in ("batch_size", "seq_len"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive int, got {getattr(self, name)!r}")
        if not self.lr > 0 or self.warmup_steps < 0 or self.weight_decay < 0:
            raise ValueError("lr must be > 0, warmup_steps and weight_decay >= 0")


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
    per_batch = config.batch_size * config.seq_len
    out = []
    for start in range(0, n, per_batch):
        m = min(per_batch, n - start)
        out.append((start, StreamLayout(m, -(-m // config.seq_len), config.seq_len)))
    return out


def _lr(step: int, total: int, config: EpochConfig) -> float:
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, total - config.warmup_steps)
    return config.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def _check(model_config: TransformerConfig, config: EpochConfig) -> None:
    if not isinstance(model_config, TransformerConfig):
        raise TypeError(f"model_config must be a TransformerConfig, got {type(model_config).__name__}")
    if config.seq_len > model_config.n_ctx - 1:
        raise ValueError(f"seq_len {config.seq_len} does not fit the model's window (n_ctx {model_config.n_ctx})")


def _run(model_config: TransformerConfig, config: EpochConfig, n: int, code_batch) -> EpochResult:
    """Train one epoch over ``n`` bytes; ``code_batch(model, offset, layout) -> (B, seq_len + 1) tokens``
    supplies each batch (coding or decoding it with the model as it is) before the model trains on it."""
    _check(model_config, config)
    batches = _batches(n, config)
    model = build_model(model_config, seed=config.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    bits, sizes = np.zeros(len(batches)), np.zeros(len(batches), dtype=np.int64)
    with one_thread():
        for step, (offset, layout) in enumerate(batches):
            seq = torch.from_numpy(code_batch(model, offset, layout))
            targets = seq[:, 1:].clone()
            targets[torch.arange(layout.stream_len)[None, :] >= torch.from_numpy(layout.lengths)[:, None]] = -100
            logits = model(seq[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100,
                                   reduction="sum")
            bits[step], sizes[step] = float(loss.detach()) / math.log(2), layout.n
            for group in opt.param_groups:
                group["lr"] = _lr(step, len(batches), config)
            opt.zero_grad(set_to_none=True)
            (loss / layout.n).backward()
            opt.step()
    return EpochResult(bits, sizes, weights_crc32(model))


def train_epoch(data: bytes, model_config: TransformerConfig, config: EpochConfig) -> EpochResult:
    """One epoch over ``data`` in order; returns each batch's code length before the model trained on it."""
    data = as_bytes(data)
    return _run(model_config, config, len(data), lambda model, offset, layout: layout.split(data[offset:offset + layout.n]))


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
