"""A scaling study of byte-level transformers on ``python-docs``, small enough for a laptop.

Every run trains one :class:`~scalingzip.nn.transformer.ByteTransformer` from seeded initial weights on
the training split of ``python-docs`` (373,019 bytes) and measures its loss on the held-out test
split (46,627 bytes, the last topics in sorted order, never trained on), in bits per byte: the
size an arithmetic coder driven by the model would give that text.

The design (:func:`study`) has six groups, which share runs where their configs coincide:

* ``size``: the model family :data:`SHAPES` (8 shapes, about 900 to 250,000 non-embedding
  parameters) at the largest token budget, for L(N).
* ``data``: the largest shape at six token budgets, for L(D).
* ``isoflop``: four compute budgets (3e10 to 1e12 FLOP), each spent by every shape whose token
  count D = C / (FLOP per token) falls between 2**16 and 2**23: 5 to 7 shapes per budget.
* ``grid``: the other shapes at two more budgets, so that the joint law L(N, D) sees the middle
  of the plane as well as its edges.
* ``seeds``: three points repeated with two more seeds, to show the run-to-run noise.
* ``stream``: every shape trained for exactly one epoch in batches of 2 windows: each run's
  training losses are a prequential code of the whole training split.

Training draws disjoint 129-byte windows in a fresh seeded order every epoch
(``sampling="epochs"``), so the first epoch is a prequential code of the training split: its
batch losses, each taken before the update on that batch, add up to ``prequential_bits``.
Budgets beyond one epoch (about 370,000 tokens) repeat the data; Muennighoff et al. (2023)
measured that a few epochs are worth nearly as much as fresh data, and chapter 5 shows where it
stops being so here.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from scalingzip.data import load_text, split_bytes
from scalingzip.nn.flops import count_parameters, transformer_flops
from scalingzip.nn.transformer import TransformerConfig, build_model
from scalingzip.nn.train import TrainConfig, train

__all__ = [
    "BATCH_SIZE",
    "BUDGETS",
    "ISOFLOP_BUDGETS",
    "LMRun",
    "SHAPES",
    "all_runs",
    "default_batch_size",
    "default_lr",
    "lm_run",
    "study",
    "train_flops_per_token",
]

CURVE_POINTS = 8  # held-out evaluations along each run, each on the whole test split
TRAIN_CURVE_POINTS = 100  # the per-step training losses are stored as this many bin means


@dataclass(frozen=True, kw_only=True)
class LMRun:
    """One training run: a model shape, how to train it, on which corpus, from which seed."""

    model: TransformerConfig
    train: TrainConfig
    corpus: str = "python-docs"
    init_seed: int = 0  # seed of the initial weights (train.seed seeds the batches)

    @property
    def tokens(self) -> int:
        """Training tokens (bytes predicted), D = steps x batch x sequence length."""
        return self.train.steps * self.train.batch_size * (self.train.seq_len or self.model.n_ctx)

    def cost(self) -> float:
        """Rough seconds on one CPU core: a fixed cost per step plus the FLOP at 40 GFLOP/s."""
        return self.train.steps * (0.006 + train_flops_per_token(self.model) * self.tokens / self.train.steps / 4e10)

    def execute(self, device: torch.device) -> dict[str, Any]:
        data = load_text(self.corpus)
        splits = split_bytes(data)
        model = build_model(self.model, seed=self.init_seed).to(device)
        result = train(model, splits.train, splits.test, self.train, progress=False)
        T = self.train.seq_len or self.model.n_ctx
        B = self.train.batch_size
        params = count_parameters(model)
        per_token = train_flops_per_token(self.model)

        # the first epoch: the full batches drawn before any window repeats
        n_windows = math.ceil((len(splits.train) - T) / T)
        first_epoch_steps = min(n_windows // B, self.train.steps) if self.train.sampling == "epochs" else 0
        bits = result.train_bits_per_byte
        bins = np.array_split(np.arange(self.train.steps), min(TRAIN_CURVE_POINTS, self.train.steps))
        return {
            "loss": float(result.final_eval_bits_per_byte),  # bits per byte, the whole test split
            "test_bytes": len(splits.test),
            "tokens": self.tokens,
            "params_non_embedding": params.non_embedding,
            "params_embedding": params.embedding,
            "flops_per_token": per_token,
            "flops": per_token * self.tokens,
            "flops_6nd": 6 * params.non_embedding * self.tokens,
            "epochs": self.tokens / (n_windows * T),
            "curve_tokens": [int(s) * B * T for s in result.eval_steps],
            "curve_loss": [round(float(x), 6) for x in result.eval_bits_per_byte],
            "train_curve_tokens": [int(b[-1] + 1) * B * T for b in bins],
            "train_curve_loss": [round(float(bits[b].mean()), 6) for b in bins],
            "prequential_bits": float(bits[:first_epoch_steps].sum() * B * T),
            "prequential_bytes": first_epoch_steps * B * T,
            "first_epoch_loss": [round(float(x), 5) for x in bits[:first_epoch_steps]],
            "corpus_sha256": hashlib.sha256(data).hexdigest(),
        }


def train_flops_per_token(shape: TransformerConfig) -> float:
    """Training FLOP per token, every matrix product counted (:func:`scalingzip.nn.flops.transformer_flops`)."""
    return float(transformer_flops(shape).training)


# The model family: depth and width grow together, heads of width 4 to 18.
SHAPES: tuple[TransformerConfig, ...] = (
    TransformerConfig(n_layer=1, d_model=8, n_head=2),
    TransformerConfig(n_layer=1, d_model=16, n_head=2),
    TransformerConfig(n_layer=2, d_model=16, n_head=2),
    TransformerConfig(n_layer=2, d_model=24, n_head=4),
    TransformerConfig(n_layer=2, d_model=32, n_head=4),
    TransformerConfig(n_layer=3, d_model=40, n_head=4),
    TransformerConfig(n_layer=3, d_model=56, n_head=4),
    TransformerConfig(n_layer=4, d_model=72, n_head=4),
)
BATCH_SIZE = 16  # windows of 128 predicted bytes: 2,048 tokens per step, when the budget allows
MIN_STEPS = 2048  # smaller budgets use smaller batches (down to 2 windows) to get this many steps
BUDGETS: tuple[int, ...] = (2**17, 2**18, 2**19, 2**20, 2**21, 2**22)  # training tokens, for L(D)
ISOFLOP_BUDGETS: tuple[float, ...] = (3e10, 1e11, 3e11, 1e12)  # training FLOP
ISOFLOP_TOKENS = (2**16, 2**23)  # an IsoFLOP run trains on between this many tokens
STREAM_TOKENS = 370_048  # one epoch of the training split: its 2,891 windows of 128 predicted bytes
STREAM_BATCH = 2  # the one-epoch runs update after every 256 bytes


def default_batch_size(tokens: int, n_ctx: int = 128) -> int:
    """:data:`BATCH_SIZE` windows, halved (down to 2) until the budget gives :data:`MIN_STEPS` steps."""
    batch = BATCH_SIZE
    while batch > 2 and tokens / (batch * n_ctx) < MIN_STEPS:
        batch //= 2
    return batch


def default_lr(shape: TransformerConfig, batch_size: int = BATCH_SIZE) -> float:
    """Peak learning rate 0.75 / d_model x sqrt(batch / 16), three significant digits.

    Wider models take smaller steps, and smaller batches (noisier gradients) too, by the
    square-root rule; both set by a pilot sweep, not tuned per run.
    """
    return float(f"{0.75 / shape.d_model * math.sqrt(batch_size / BATCH_SIZE):.3g}")


def lm_run(shape: TransformerConfig, tokens: int, *, seed: int = 0, lr: float | None = None,
           batch_size: int | None = None, corpus: str = "python-docs") -> LMRun:
    """The study's recipe for training ``shape`` on about ``tokens`` bytes.

    Batch :func:`default_batch_size` unless given; steps = tokens / (batch x 128), rounded, at
    least 10; warm-up over a tenth of them (at most 100); cosine decay to a tenth of the peak
    ``lr`` (default :func:`default_lr`); 8 evaluations on the whole test split along the way;
    epochs sampling; ``seed`` seeds both the weights and the batch order.
    """
    T = shape.n_ctx
    batch_size = default_batch_size(tokens, T) if batch_size is None else batch_size
    steps = max(10, round(tokens / (batch_size * T)))
    return LMRun(
        model=shape,
        train=TrainConfig(steps=steps, batch_size=batch_size, lr=default_lr(shape, batch_size) if lr is None else lr,
                          warmup_steps=min(100, max(1, steps // 10)), eval_every=max(1, steps // CURVE_POINTS),
                          eval_bytes=0, seed=seed, sampling="epochs"),
        corpus=corpus,
        init_seed=seed,
    )


def study() -> dict[str, list[LMRun]]:
    """The runs of chapter 5, by group (a run may sit in more than one group)."""
    largest, top = SHAPES[-1], BUDGETS[-1]
    groups: dict[str, list[LMRun]] = {
        "size": [lm_run(s, top) for s in SHAPES],
        "data": [lm_run(largest, d) for d in BUDGETS],
        "grid": [lm_run(s, d) for s in SHAPES[:-1] for d in (BUDGETS[1], BUDGETS[3])],
        "isoflop": [lm_run(s, round(C / train_flops_per_token(s))) for C in ISOFLOP_BUDGETS for s in SHAPES
                    if ISOFLOP_TOKENS[0] <= C / train_flops_per_token(s) <= ISOFLOP_TOKENS[1]],
        "seeds": [lm_run(s, d, seed=seed) for s, d in ((SHAPES[2], BUDGETS[1]), (SHAPES[5], BUDGETS[3]),
                                                        (largest, BUDGETS[3])) for seed in (1, 2)],
        "stream": [lm_run(s, STREAM_TOKENS, batch_size=STREAM_BATCH) for s in SHAPES],
    }
    return groups


def all_runs() -> list[LMRun]:
    """Every run of :func:`study` once, in a stable order."""
    seen: dict[LMRun, None] = {}
    for runs in study().values():
        seen.update(dict.fromkeys(runs))
    return list(seen)
