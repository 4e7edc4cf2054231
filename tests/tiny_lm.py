"""A tiny byte transformer trained briefly on real text, shared by the pruning tests (trained once per process)."""

import functools

import torch

from scalingzip.data import document_splits
from scalingzip.nn import pruning as P
from scalingzip.nn.determinism import one_thread
from scalingzip.nn.saliency import calibration_batches
from scalingzip.nn.train import TrainConfig, train
from scalingzip.nn.transformer import TransformerConfig, build_model

CONFIG = TransformerConfig(n_layer=2, d_model=16, n_head=4, n_ctx=32)
SEQ_LEN = 32


@functools.lru_cache(maxsize=1)
def text() -> tuple[bytes, bytes]:
    """(8 KB of training text, 2 KB of held-out text) from the course's corpus."""
    splits = document_splits("cpython-docs")
    return splits.train[:8000], splits.val[:2000]


@functools.lru_cache(maxsize=1)
def _trained() -> torch.nn.Module:
    model = build_model(CONFIG, seed=0)
    with one_thread():
        train(model, text()[0], None, TrainConfig(steps=120, batch_size=8, seq_len=SEQ_LEN, lr=2e-2, warmup_steps=5,
                                                  eval_every=0), progress=False)
    return model


def trained() -> torch.nn.Module:
    """A fresh copy of the trained model (about 4.9 bits per byte on the held-out text), to prune at will."""
    return P.clone(_trained())


def untrained(seed: int = 0) -> torch.nn.Module:
    return build_model(CONFIG, seed=seed)


def batches(n: int = 3, batch_size: int = 8) -> list[torch.Tensor]:
    """Calibration batches from the training text."""
    return calibration_batches(text()[0], seq_len=SEQ_LEN, batch_size=batch_size, n_batches=n)


def linear_layers(model: torch.nn.Module) -> list[str]:
    return [name for name, m in P.prunable_layers(model).items() if isinstance(m, torch.nn.Linear)]
