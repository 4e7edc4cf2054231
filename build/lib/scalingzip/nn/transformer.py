"""Byte-level causal transformers: the language models whose code lengths the course measures.

A model reads bytes (vocabulary 256) and outputs, at every position ``t``, a distribution over
the next byte given the bytes before it. Its log-loss in bits is the length of the arithmetic
code it drives, which is why the course counts its size and compute so carefully.

The architecture is the GPT-2 shape (Radford et al. 2019) used by Kaplan et al. (2020): learned
token and position embeddings, ``n_layer`` pre-LayerNorm blocks of causal multi-head attention
and a 4x-wide GELU MLP, a final LayerNorm, and an output layer tied to the token embedding.
Attention runs through PyTorch's fused kernel (``scaled_dot_product_attention``), which is
several times faster on a CPU; :mod:`scalingzip.nn.flops` switches a model to the equivalent
explicit matrix products while it counts, because PyTorch's FLOP counter does not see inside the
fused CPU kernel.

References:
    Vaswani et al. 2017, "Attention Is All You Need".
    Radford et al. 2019, "Language Models are Unsupervised Multitask Learners" (GPT-2).
    Kaplan et al. 2020, "Scaling Laws for Neural Language Models", section 2.1.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["PRESETS", "ByteTransformer", "TransformerConfig", "build_model", "explicit_attention"]


@dataclass(frozen=True, kw_only=True)
class TransformerConfig:
    """Shape of a byte-level transformer. Frozen, so it can key a cache of results."""

    n_layer: int  # number of transformer blocks
    d_model: int  # width of the residual stream
    n_head: int  # attention heads; d_model must be divisible by n_head
    n_ctx: int = 128  # context length in bytes (tokens)
    d_ff: int | None = None  # hidden width of the MLP; None means 4 * d_model
    vocab_size: int = 256  # bytes

    def __post_init__(self) -> None:
        for name in ("n_layer", "d_model", "n_head", "n_ctx", "vocab_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        if self.d_model % self.n_head:
            raise ValueError(
                f"d_model ({self.d_model}) must be divisible by n_head ({self.n_head}); "
                "choose n_head among the divisors of d_model"
            )
        if self.d_ff is not None and (not isinstance(self.d_ff, int) or self.d_ff < 1):
            raise ValueError(f"d_ff must be a positive integer or None; got {self.d_ff!r}")

    @property
    def ff_width(self) -> int:
        """Hidden width of the MLP (``d_ff``, defaulting to ``4 * d_model``)."""
        return 4 * self.d_model if self.d_ff is None else self.d_ff


# Named shapes spanning about 10^3 to 10^6 non-embedding parameters (the name is the rounded
# count, which tests check). The context length is fixed so that they differ only in size.
PRESETS: dict[str, TransformerConfig] = {
    "1k": TransformerConfig(n_layer=1, d_model=8, n_head=2),
    "3k": TransformerConfig(n_layer=1, d_model=16, n_head=2),
    "10k": TransformerConfig(n_layer=2, d_model=20, n_head=4),
    "30k": TransformerConfig(n_layer=2, d_model=36, n_head=4),
    "100k": TransformerConfig(n_layer=3, d_model=52, n_head=4),
    "300k": TransformerConfig(n_layer=4, d_model=80, n_head=4),
    "1M": TransformerConfig(n_layer=6, d_model=116, n_head=4),
}


class CausalSelfAttention(nn.Module):
    """Multi-head attention in which position ``t`` sees only positions ``<= t``.

    Every head has ``head_size = d_model // config.n_head`` dimensions. A block may have fewer
    heads than ``config.n_head`` (``n_head``; structured pruning removes heads,
    :mod:`scalingzip.nn.structured`); the attention's inner width is then ``n_head * head_size``.
    """

    def __init__(self, config: TransformerConfig, *, n_head: int | None = None) -> None:
        super().__init__()
        self.n_head = config.n_head if n_head is None else n_head
        self.head_size = config.d_model // config.n_head
        inner = self.n_head * self.head_size  # d_model unless heads were removed
        self.fused = True  # False: explicit matrix products (same function, visible to FLOP counters)
        self.qkv = nn.Linear(config.d_model, 3 * inner)
        self.proj = nn.Linear(inner, config.d_model)
        mask = torch.ones(config.n_ctx, config.n_ctx, dtype=torch.bool).tril()
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, _ = x.shape  # (batch, time, d_model)
        nh, hs = self.n_head, self.head_size
        q, k, v = self.qkv(x).split(nh * hs, dim=2)
        q = q.view(B, T, nh, hs).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, nh, hs).transpose(1, 2)  # (B, nh, T, hs)
        v = v.view(B, T, nh, hs).transpose(1, 2)  # (B, nh, T, hs)
        if self.fused:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, nh, T, hs)
        else:
            att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)  # (B, nh, T, T)
            att = att.masked_fill(~self.mask[:T, :T], float("-inf")).softmax(dim=-1)
            y = att @ v  # (B, nh, T, hs)
        return self.proj(y.transpose(1, 2).reshape(B, T, nh * hs))  # (B, T, d_model)


class Block(nn.Module):
    """One pre-LayerNorm transformer block: x + attn(ln(x)), then x + mlp(ln(x)).

    ``n_head`` and ``d_ff`` override the config's head count and MLP width for this block alone
    (a structurally pruned model has its own in each block); by default every block has the config's.
    """

    def __init__(self, config: TransformerConfig, *, n_head: int | None = None, d_ff: int | None = None) -> None:
        super().__init__()
        ff = config.ff_width if d_ff is None else d_ff
        self.ln_1 = nn.LayerNorm(config.d_model)
        self.attn = CausalSelfAttention(config, n_head=n_head)
        self.ln_2 = nn.LayerNorm(config.d_model)
        self.mlp = nn.Sequential(
            nn.Linear(config.d_model, ff),
            nn.GELU(),
            nn.Linear(ff, config.d_model),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class ByteTransformer(nn.Module):
    """A GPT-2-shaped causal language model over bytes.

    ``forward(idx)`` maps a ``(B, T)`` int64 tensor of byte values (``0 <= idx < 256``,
    ``T <= n_ctx``) to ``(B, T, 256)`` logits; ``logits[b, t]`` scores byte ``t + 1``.
    The output layer shares its weight with the token embedding (weight tying), so the only
    parameters outside the blocks are the two embeddings and the final LayerNorm.
    """

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.d_model)
        self.pos_emb = nn.Embedding(config.n_ctx, config.d_model)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.d_model)
        self.apply(self._init_weights)
        # GPT-2's scaled init of the residual projections keeps the stream's variance flat in depth.
        for name, p in self.named_parameters():
            if name.endswith(("attn.proj.weight", "mlp.2.weight")):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        if idx.dim() != 2:
            raise ValueError(f"expected a (batch, time) tensor of byte values; got shape {tuple(idx.shape)}")
        B, T = idx.shape
        if T > self.config.n_ctx:
            raise ValueError(f"sequence length {T} exceeds the context n_ctx={self.config.n_ctx}; split the input")
        pos = torch.arange(T, device=idx.device)
        x = self.tok_emb(idx) + self.pos_emb(pos)  # (B, T, d_model)
        for block in self.blocks:
            x = block(x)
        x = self.ln_f(x)
        return x @ self.tok_emb.weight.T  # (B, T, vocab): the tied output layer


@contextmanager
def explicit_attention(model: nn.Module) -> Iterator[nn.Module]:
    """Within the block, run every attention layer of ``model`` as explicit matrix products.

    The function computed is the same (up to float rounding); the point is that each product
    then executes as an ordinary ``bmm`` that :class:`torch.utils.flop_counter.FlopCounterMode`
    counts. The previous setting is restored on exit.
    """
    layers = [m for m in model.modules() if isinstance(m, CausalSelfAttention)]
    before = [m.fused for m in layers]
    for m in layers:
        m.fused = False
    try:
        yield model
    finally:
        for m, fused in zip(layers, before):
            m.fused = fused


def build_model(config: TransformerConfig | str, *, seed: int = 0) -> ByteTransformer:
    """Build a model with seeded initial weights.

    Args:
        config: a :class:`TransformerConfig` or the name of one in :data:`PRESETS`.
        seed: seed of the weight initialisation; the same seed gives the same weights.
    """
    if isinstance(config, str):
        if config not in PRESETS:
            raise ValueError(f"unknown preset {config!r}; choose one of {', '.join(PRESETS)}")
        config = PRESETS[config]
    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        return ByteTransformer(config)
    finally:
        torch.random.set_rng_state(generator_state)
